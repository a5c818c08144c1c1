import { randomBytes } from "node:crypto";
import { BatchGetItemCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import * as v from "valibot";
import { DynamoJobListing } from "../handlers/adapters/dynamoJobListing";
import { DynamoJobStore } from "../handlers/adapters/dynamoJobStore";
import { DynamoRequestRecords } from "../handlers/adapters/requestRecords";
import { SqsJobQueue } from "../handlers/adapters/sqsJobQueue";
import { createApiHandler, type ApiHandler } from "../handlers/api/handler";
import { staticIdSecret } from "../handlers/auth/kmsIdSecret";
import { createRegistry, JobFailure, type JobType } from "../handlers/domain/jobTypes";
import { silentLogger } from "../handlers/log";
import { DEFAULTS, type StoreSettings } from "../handlers/settings";
import { createWorkerHandler, type WorkerHandler } from "../handlers/worker/handler";
import { LOCAL_AWS, startEmulators, type Emulators } from "../local/emulators";
import { SqsEventSource } from "../local/sqsEvents";
import { apiEvent, iamCaller, lambdaContext } from "../test/helpers/events";
import { IndexWriteMeter, rawImageReader } from "./indexWrites";
import { ReadMeter } from "./readMeter";

/** The two job types the listing phase runs: two names, so that the type filter has something to tell apart. */
export const BENCH_TYPES = ["bench.render", "bench.notify"] as const;

/** IAM principals of the phase: two tenants and an admin (`iam` auth mode). */
export const PRINCIPALS = {
  tenant: "arn:aws:iam::123456789012:role/bench-tenant",
  other: "arn:aws:iam::123456789012:role/bench-other-tenant",
  admin: "arn:aws:iam::123456789012:role/bench-admin",
} as const;
export type Principal = keyof typeof PRINCIPALS;

/**
 * A job type that succeeds, fails its first `failAttempts` attempts (retryably), or fails for good
 * while the bench keeps its id in `failing`.
 */
function benchJobType(type: string, failing: ReadonlySet<string>): JobType<{ text: string; failAttempts: number }> {
  return {
    type,
    description: "bench: succeeds, or fails as the listing phase tells it",
    schema: v.strictObject({ text: v.string(), failAttempts: v.optional(v.number(), 0) }),
    example: { text: "hello cloudqueue", failAttempts: 0 },
    timeoutSeconds: 10,
    maxAttempts: 3,
    async run({ text, failAttempts }, { jobId, attempt }) {
      if (failing.has(jobId)) throw new JobFailure("BENCH_PERMANENT", "the bench fails this job", { retryable: false });
      if (attempt <= failAttempts) throw new JobFailure("BENCH_TRANSIENT", `the bench fails attempt ${attempt}`, { retryable: true });
      return { length: text.length };
    },
  };
}

/**
 * The real api and worker handlers in this process against fresh emulators, on one DynamoDB client
 * that carries the index write and read meters (so they see every call the handlers make), with
 * the emulators' own client as the meters' uncounted raw client.
 */
export class ListingStack {
  /** Jobs the worker fails for good while their ids are here. */
  readonly failing = new Set<string>();
  /** Jobs submitted, by principal. */
  readonly submitted: Record<Principal, number> = { tenant: 0, other: 0, admin: 0 };
  readonly writes: IndexWriteMeter;
  readonly reads: ReadMeter;
  private readonly client: DynamoDBClient;
  private readonly api: ApiHandler;
  private readonly worker: WorkerHandler;
  private readonly events: SqsEventSource;

  private constructor(readonly emulators: Emulators, sweepShards: number) {
    const settings: StoreSettings = { tableName: emulators.tableName, sweepShards, sweepGraceSeconds: DEFAULTS.sweepGraceSeconds, retentionDays: DEFAULTS.retentionDays };
    this.writes = new IndexWriteMeter(rawImageReader(emulators.dynamo, emulators.tableName), emulators.tableName);
    this.reads = new ReadMeter(emulators.dynamo, emulators.tableName);
    this.client = this.reads.attach(this.writes.attach(new DynamoDBClient({ ...LOCAL_AWS, endpoint: emulators.dynamoEndpoint })));
    const store = new DynamoJobStore(this.client, settings);
    const queue = new SqsJobQueue(emulators.sqs, { queueUrl: emulators.queueUrl });
    const jobTypes = createRegistry(BENCH_TYPES.map((type) => benchJobType(type, this.failing)));
    this.api = createApiHandler({
      store,
      listing: new DynamoJobListing(this.client, settings),
      records: new DynamoRequestRecords(this.client, settings),
      queue,
      jobTypes,
      logger: silentLogger,
      maxBodyBytes: DEFAULTS.maxBodyBytes,
      auth: { mode: "iam", adminPrincipals: [PRINCIPALS.admin], requireScopes: false },
      idSecret: staticIdSecret(randomBytes(32)),
    });
    // Retries come back after 1 s (the backoff's floor) instead of the default 2-4 s.
    this.worker = createWorkerHandler({ store, queue, jobTypes, logger: silentLogger, commitReserveMs: 100, backoff: { baseSeconds: 1, maxSeconds: 1 }, random: () => 0 });
    this.events = new SqsEventSource(emulators.sqs, emulators.queueUrl, emulators.queueArn);
  }

  /** @param sweepShards the shards of the sweep and listing indexes @default DEFAULTS.sweepShards */
  static async start(options: { sweepShards?: number } = {}): Promise<ListingStack> {
    return new ListingStack(await startEmulators({ tableName: `bench-listing-${Date.now()}` }), options.sweepShards ?? DEFAULTS.sweepShards);
  }

  /** Calls the api as `principal`, as API Gateway would after its IAM authorizer. */
  async request(principal: Principal, method: string, path: string, body?: unknown): Promise<{ statusCode: number; json: any }> {
    const response = await this.api(apiEvent({ method, path, body, authorizer: iamCaller(PRINCIPALS[principal]) }));
    return { statusCode: response.statusCode, json: response.body ? JSON.parse(response.body) : undefined };
  }

  async submit(principal: Principal, body: { type: string; payload: unknown; delaySeconds?: number }): Promise<string> {
    const response = await this.request(principal, "POST", "/jobs", body);
    if (response.statusCode !== 202) throw new Error(`submit answered ${response.statusCode}: ${JSON.stringify(response.json)}`);
    this.submitted[principal] += 1;
    return response.json.jobId;
  }

  /** Runs the worker, as the event source mapping would, until no message is visible or in flight (delayed ones wait). */
  async drain(pollers = 3): Promise<void> {
    let idleSince: number | undefined;
    const poll = async () => {
      for (;;) {
        const messages = await this.events.receive(10, 0);
        if (messages.length > 0) {
          idleSince = undefined;
          await this.events.settle(messages, await this.worker(this.events.toEvent(messages), lambdaContext()));
          continue;
        }
        if ((await this.pendingMessages()) === 0) return;
        idleSince ??= Date.now();
        if (Date.now() - idleSince > 30_000) throw new Error("the queue kept messages in flight for 30 s with nothing to receive");
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    await Promise.all(Array.from({ length: pollers }, poll));
  }

  /** The stored items of `jobIds`, read with the uncounted raw client. */
  async items(jobIds: readonly string[]): Promise<Map<string, Record<string, any>>> {
    const found = new Map<string, Record<string, any>>();
    for (let start = 0; start < jobIds.length; start += 100) {
      const keys = jobIds.slice(start, start + 100).map((jobId) => ({ jobId: { S: jobId } }));
      const { Responses } = await this.emulators.dynamo.send(new BatchGetItemCommand({ RequestItems: { [this.emulators.tableName]: { Keys: keys, ConsistentRead: true } } }));
      for (const item of Responses?.[this.emulators.tableName] ?? []) found.set(item.jobId!.S!, unmarshall(item));
    }
    return found;
  }

  async close(): Promise<void> {
    this.client.destroy();
    await this.emulators.close();
  }

  private async pendingMessages(): Promise<number> {
    const { Attributes } = await this.emulators.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: this.emulators.queueUrl, AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"] }),
    );
    return Number(Attributes?.ApproximateNumberOfMessages ?? 0) + Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
  }
}
