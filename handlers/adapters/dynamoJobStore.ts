import { randomUUID } from "node:crypto";
import { ConditionalCheckFailedException, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import { PUBLIC_OWNER } from "../auth/authMode";
import { handOffAtMs, waitsInSweepIndex } from "../domain/delay";
import { ErrorCode, JobStatus, ownerOf, type AttemptFinish, type Job } from "../domain/job";
import { ConditionFailedError, JobAlreadyExistsError, StaleClaimError, storeError } from "../errors";
import { JOB_TABLE, type StoreSettings } from "../settings";
import type { AttemptOutcome, ClaimResult, DueJob, JobStore } from "./jobStore";
import { doneShard, listKey, shardOf } from "./listKeys";

/** Attributes that exist only in the table, never in a {@link Job}. */
const STORAGE_ONLY = [
  JOB_TABLE.sweepIndex.hashKey,
  JOB_TABLE.sweepIndex.rangeKey,
  JOB_TABLE.listIndex.hashKey,
  JOB_TABLE.listIndex.rangeKey,
  JOB_TABLE.doneIndex.hashKey,
  JOB_TABLE.ttlAttribute,
] as const;

/** Appends to the attempt log, which the claim creates on a job stored before the log existed. */
const APPEND_ATTEMPT = "attemptLog = list_append(if_not_exists(attemptLog, :noAttempts), :attemptEntry)";

/**
 * The jobs table through `@aws-sdk/lib-dynamodb`; SDK errors become CloudQueue errors here.
 *
 * Every write stamps the item with a fresh `writeId`. The SDK retries a write whose response was
 * lost; when the first try landed, the retry fails its own condition. Finding our `writeId` on
 * the item then tells "my write landed" from "someone else's write won", so each method is safe
 * to retry and reports success exactly once.
 */
export class DynamoJobStore implements JobStore {
  private readonly documents: DynamoDBDocumentClient;

  constructor(client: DynamoDBClient, private readonly settings: StoreSettings) {
    this.documents = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  async create(job: Job): Promise<Job> {
    const stored = { ...job, writeId: randomUUID() };
    const item = {
      ...stored,
      [JOB_TABLE.sweepIndex.hashKey]: this.shardOf(job.jobId),
      [JOB_TABLE.sweepIndex.rangeKey]: this.firstSweepAt(job),
      // The listing index's keys: written once, here, and never changed (one index write per job).
      [JOB_TABLE.listIndex.hashKey]: this.shardOf(job.jobId),
      [JOB_TABLE.listIndex.rangeKey]: listKey(ownerOf(job), Date.parse(job.createdAt)),
    };
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.settings.tableName,
          Item: item,
          // The id is derived from the Idempotency-Key when there is one: this condition is what
          // makes a reused key collide instead of overwriting the first job.
          ConditionExpression: "attribute_not_exists(jobId)",
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        }),
      );
      return stored;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw storeError("PutItem", error);
      const existing = oldItem(error) ?? (await this.get(job.jobId));
      if (existing?.writeId === stored.writeId) return existing;
      throw new JobAlreadyExistsError(job.jobId, existing);
    }
  }

  /**
   * When the sweeper first looks at a new job: the grace period after it is due, or, for a job
   * due past SQS's longest delay (it has no message), its hand-off time (900 s before due).
   */
  private firstSweepAt(job: Job): number {
    const createdMs = Date.parse(job.createdAt);
    const dueAtMs = job.dueAt ?? createdMs + job.delaySeconds * 1000;
    return waitsInSweepIndex(dueAtMs, createdMs) ? handOffAtMs(dueAtMs) : dueAtMs + this.graceMs;
  }

  async get(jobId: string): Promise<Job | undefined> {
    try {
      const { Item } = await this.documents.send(new GetCommand({ TableName: this.settings.tableName, Key: { jobId }, ConsistentRead: true }));
      return Item ? toJob(Item) : undefined;
    } catch (error) {
      throw storeError("GetItem", error);
    }
  }

  async claim(jobId: string, claim: { claimToken: string; nowMs: number; leaseExpiresAtMs: number }): Promise<ClaimResult> {
    const now = new Date(claim.nowMs).toISOString();
    try {
      const job = await this.update(jobId, {
        UpdateExpression:
          // previousStatus keeps the status before this claim (operands read the item as it
          // was): IN_PROGRESS means the claim took an expired lease over.
          `SET previousStatus = #status, #status = :inProgress, attempts = attempts + :one, claimToken = :token, leaseExpiresAt = :lease, startedAt = :now, updatedAt = :now, ${APPEND_ATTEMPT}`,
        // A queued job, or one whose holder's lease ran out (it crashed or hung): never a job
        // another worker holds, never a finished one, never past its attempts.
        ConditionExpression: "attempts < maxAttempts AND (#status = :queued OR (#status = :inProgress AND leaseExpiresAt < :nowMs))",
        ExpressionAttributeNames: { "#status": "status" },
        ExpressionAttributeValues: {
          ":inProgress": JobStatus.IN_PROGRESS,
          ":queued": JobStatus.QUEUED,
          ":one": 1,
          ":token": claim.claimToken,
          ":lease": claim.leaseExpiresAtMs,
          ":now": now,
          ":nowMs": claim.nowMs,
          ":noAttempts": [],
          ":attemptEntry": [{ startedAt: now }],
        },
      });
      return { claimed: true, job };
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
      return { claimed: false, job: error.current };
    }
  }

  async commit(jobId: string, claimToken: string, outcome: AttemptOutcome, nowMs: number): Promise<Job> {
    const values: Record<string, unknown> = { ":token": claimToken, ":inProgress": JobStatus.IN_PROGRESS };
    return this.fenced(jobId, {
      ...this.outcomeUpdate(outcome, nowMs, values, jobId),
      // The fencing token: a worker whose lease expired and was taken over holds an old token,
      // so its late commit fails here instead of overwriting the newer attempt.
      ConditionExpression: "claimToken = :token AND #status = :inProgress",
      ExpressionAttributeValues: values,
    });
  }

  async failExpiredLease(jobId: string, claimToken: string, nowMs: number): Promise<Job> {
    const values: Record<string, unknown> = { ":token": claimToken, ":inProgress": JobStatus.IN_PROGRESS, ":nowMs": nowMs };
    const outcome: AttemptOutcome = {
      status: JobStatus.FAILED,
      error: { code: ErrorCode.TIMED_OUT, message: "the attempt's lease expired with no attempts left", retryable: false },
    };
    return this.fenced(jobId, {
      ...this.outcomeUpdate(outcome, nowMs, values, jobId, "LEASE_EXPIRED"),
      ConditionExpression: "claimToken = :token AND #status = :inProgress AND leaseExpiresAt < :nowMs",
      ExpressionAttributeValues: values,
    });
  }

  async cancel(jobId: string, nowMs: number, owner?: string): Promise<Job> {
    const now = new Date(nowMs).toISOString();
    const owned = ownerCondition(owner);
    return this.update(jobId, {
      UpdateExpression: `SET #status = :canceled, updatedAt = :now, finishedAt = :now, ${JOB_TABLE.ttlAttribute} = :expiresAt, ${JOB_TABLE.doneIndex.hashKey} = :doneShard REMOVE ${this.sweepKeys}`,
      ConditionExpression: `#status = :queued${owned.condition}`,
      ExpressionAttributeNames: { "#status": "status", ...owned.names },
      ExpressionAttributeValues: {
        ":canceled": JobStatus.CANCELED,
        ":queued": JobStatus.QUEUED,
        ":now": now,
        ":expiresAt": this.expiresAt(nowMs),
        ":doneShard": doneShard(JobStatus.CANCELED, this.shardOf(jobId)),
        ...owned.values,
      },
    });
  }

  async retry(jobId: string, nowMs: number, options: { requestId?: string; owner?: string } = {}): Promise<Job> {
    const now = new Date(nowMs).toISOString();
    const { requestId } = options;
    const owned = ownerCondition(options.owner);
    return this.update(jobId, {
      UpdateExpression:
        `SET previousStatus = #status, #status = :queued, attempts = :zero, sweeps = :zero, updatedAt = :now, dueAt = :nowMs, ${JOB_TABLE.sweepIndex.hashKey} = :shard, ${JOB_TABLE.sweepIndex.rangeKey} = :sweepAt` +
        `${requestId === undefined ? "" : ", requestId = :requestId"} ` +
        // A retry starts a new run: it leaves the finished jobs' index and its attempt log restarts.
        `REMOVE #result, #error, startedAt, finishedAt, claimToken, leaseExpiresAt, attemptLog, ${JOB_TABLE.ttlAttribute}, ${JOB_TABLE.doneIndex.hashKey}`,
      ConditionExpression: `#status IN (:failed, :canceled)${owned.condition}`,
      ExpressionAttributeNames: { "#status": "status", "#result": "result", "#error": "error", ...owned.names },
      ExpressionAttributeValues: {
        ...owned.values,
        ":queued": JobStatus.QUEUED,
        ":failed": JobStatus.FAILED,
        ":canceled": JobStatus.CANCELED,
        ":zero": 0,
        ":now": now,
        ":nowMs": nowMs,
        ":shard": this.shardOf(jobId),
        ":sweepAt": nowMs + this.graceMs,
        ...(requestId !== undefined && { ":requestId": requestId }),
      },
    });
  }

  async findDue(nowMs: number, limit: number): Promise<DueJob[]> {
    // One throttled shard must not stop the repair of the others.
    const perShard = await Promise.allSettled(Array.from({ length: this.settings.sweepShards }, (_, shard) => this.findDueInShard(shard, nowMs, limit)));
    const found = perShard.flatMap((result) => (result.status === "fulfilled" ? result.value : []));
    if (found.length === 0) {
      const failure = perShard.find((result): result is PromiseRejectedResult => result.status === "rejected");
      if (failure) throw failure.reason;
    }
    return found.sort((a, b) => a.sweepAt - b.sweepAt).slice(0, limit);
  }

  async deferSweep(jobId: string, expected: { sweepAtMs: number; status: JobStatus }, sweepAtMs: number, requeues: -1 | 0 | 1 = 0): Promise<void> {
    await this.update(jobId, {
      UpdateExpression: "SET #sweepAt = :next, sweeps = if_not_exists(sweeps, :zero) + :requeues",
      // Two sweepers, or a sweeper and a worker, may act on the same job: only the first wins.
      ConditionExpression: "#sweepAt = :expected AND #status = :status",
      ExpressionAttributeNames: { "#sweepAt": JOB_TABLE.sweepIndex.rangeKey, "#status": "status" },
      ExpressionAttributeValues: { ":expected": expected.sweepAtMs, ":status": expected.status, ":next": sweepAtMs, ":zero": 0, ":requeues": requeues },
    });
  }

  private async findDueInShard(shard: number, nowMs: number, limit: number): Promise<DueJob[]> {
    const due: DueJob[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      let page;
      try {
        page = await this.documents.send(
          new QueryCommand({
            TableName: this.settings.tableName,
            IndexName: JOB_TABLE.sweepIndex.name,
            KeyConditionExpression: "#shard = :shard AND #sweepAt <= :now",
            ExpressionAttributeNames: { "#shard": JOB_TABLE.sweepIndex.hashKey, "#sweepAt": JOB_TABLE.sweepIndex.rangeKey },
            ExpressionAttributeValues: { ":shard": shard, ":now": nowMs },
            Limit: limit - due.length,
            ExclusiveStartKey: startKey,
          }),
        );
      } catch (error) {
        throw storeError("Query", error);
      }
      for (const item of page.Items ?? []) {
        due.push({ jobId: String(item.jobId), sweepAt: Number(item[JOB_TABLE.sweepIndex.rangeKey]) });
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey && due.length < limit);
    return due;
  }

  /**
   * The update expression for an outcome; fills `values` with what it names. The attempt's end
   * goes into the attempt log in the same write (`finish` overrides how it reads there).
   */
  private outcomeUpdate(outcome: AttemptOutcome, nowMs: number, values: Record<string, unknown>, jobId: string, finish?: AttemptFinish["outcome"]) {
    values[":status"] = outcome.status;
    values[":now"] = new Date(nowMs).toISOString();
    values[":noAttempts"] = [];
    values[":attemptEntry"] = [attemptFinish(outcome, values[":now"] as string, finish)];
    if (outcome.status === JobStatus.QUEUED) {
      values[":error"] = outcome.error;
      values[":sweepAt"] = outcome.retryAtMs + this.graceMs;
      values[":dueAt"] = outcome.retryAtMs;
      return {
        UpdateExpression: `SET #status = :status, #error = :error, updatedAt = :now, dueAt = :dueAt, ${JOB_TABLE.sweepIndex.rangeKey} = :sweepAt, ${APPEND_ATTEMPT} REMOVE leaseExpiresAt`,
        ExpressionAttributeNames: { "#status": "status", "#error": "error" },
      };
    }
    // Terminal: leave the sweep index (sparse), enter the finished jobs' index, start the retention clock.
    values[":expiresAt"] = this.expiresAt(nowMs);
    values[":doneShard"] = doneShard(outcome.status, this.shardOf(jobId));
    const field = outcome.status === JobStatus.SUCCEEDED ? "result" : "error";
    values[`:${field}`] = outcome.status === JobStatus.SUCCEEDED ? outcome.result : outcome.error;
    return {
      UpdateExpression:
        `SET #status = :status, #${field} = :${field}, updatedAt = :now, finishedAt = :now, ${JOB_TABLE.ttlAttribute} = :expiresAt, ` +
        `${JOB_TABLE.doneIndex.hashKey} = :doneShard, ${APPEND_ATTEMPT} ` +
        `REMOVE leaseExpiresAt, ${this.sweepKeys}${field === "result" ? ", #error" : ""}`,
      ExpressionAttributeNames: { "#status": "status", [`#${field}`]: field, ...(field === "result" && { "#error": "error" }) },
    };
  }

  /** An update fenced by a claim token: a failed condition means the claim is stale. */
  private async fenced(jobId: string, input: UpdateInput): Promise<Job> {
    try {
      return await this.update(jobId, input);
    } catch (error) {
      if (error instanceof ConditionFailedError) throw new StaleClaimError(jobId);
      throw error;
    }
  }

  /**
   * One conditional `UpdateItem` stamped with a fresh `writeId`, returning the new job. A failed
   * condition is our own write when the item carries our `writeId` (see the class comment);
   * otherwise `ConditionFailedError` carries the job as it is.
   */
  private async update(jobId: string, input: UpdateInput): Promise<Job> {
    const writeId = randomUUID();
    try {
      const { Attributes } = await this.documents.send(
        new UpdateCommand({
          TableName: this.settings.tableName,
          Key: { jobId },
          ReturnValues: "ALL_NEW",
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
          // Every condition compares an attribute only a stored job has, so it also fails on a
          // missing item: no update ever creates one.
          ...input,
          UpdateExpression: input.UpdateExpression.replace(/^SET /, "SET writeId = :writeId, "),
          ExpressionAttributeValues: { ...input.ExpressionAttributeValues, ":writeId": writeId },
        }),
      );
      return toJob(Attributes!);
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw storeError("UpdateItem", error);
      // Where DynamoDB returns the item that failed the condition, no second read is needed
      // (dynalite returns none).
      const current = oldItem(error) ?? (await this.get(jobId));
      if (current?.writeId === writeId) return current;
      throw new ConditionFailedError(jobId, current, { cause: error });
    }
  }

  private shardOf(jobId: string): number {
    return shardOf(jobId, this.settings.sweepShards);
  }

  private expiresAt(nowMs: number): number {
    return Math.floor(nowMs / 1000) + this.settings.retentionDays * 86_400;
  }

  private get graceMs(): number {
    return this.settings.sweepGraceSeconds * 1000;
  }

  private get sweepKeys(): string {
    return `${JOB_TABLE.sweepIndex.hashKey}, ${JOB_TABLE.sweepIndex.rangeKey}`;
  }
}

type UpdateInput = {
  UpdateExpression: string;
  ConditionExpression: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues: Record<string, unknown>;
};

/**
 * The conjunct that restricts a client's cancel or retry to its own job (none for an admin). It
 * only narrows the API's writes: `owner` is written once, at create, and never changed, and no
 * worker or sweeper write reads it (docs/MODEL.md). Jobs stored before owners were recorded have
 * no `owner` and are the public owner's.
 */
function ownerCondition(owner: string | undefined): { condition: string; names: Record<string, string>; values: Record<string, unknown> } {
  if (owner === undefined) return { condition: "", names: {}, values: {} };
  const condition = owner === PUBLIC_OWNER ? " AND (#owner = :owner OR attribute_not_exists(#owner))" : " AND #owner = :owner";
  return { condition, names: { "#owner": "owner" }, values: { ":owner": owner } };
}

/** How an outcome reads in the attempt log. */
function attemptFinish(outcome: AttemptOutcome, finishedAt: string, finish?: AttemptFinish["outcome"]): AttemptFinish {
  const read = finish ?? (outcome.status === JobStatus.QUEUED ? "RETRYING" : outcome.status);
  return { finishedAt, outcome: read, ...(outcome.status !== JobStatus.SUCCEEDED && { errorCode: outcome.error.code }) };
}

/** The item a failed condition saw (AWS returns it; dynalite ignores the request and returns none). */
function oldItem(error: ConditionalCheckFailedException): Job | undefined {
  return error.Item ? toJob(unmarshall(error.Item)) : undefined;
}

/** A stored item as a job: the table-only attributes dropped. Items are only ever written by this class. */
function toJob(item: Record<string, unknown>): Job {
  const job = { ...item };
  for (const attribute of STORAGE_ONLY) delete job[attribute];
  return job as unknown as Job;
}
