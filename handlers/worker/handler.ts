import { randomUUID } from "node:crypto";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import * as v from "valibot";
import type { AttemptOutcome, ClaimResult, JobStore } from "../adapters/jobStore";
import { JobMessageSchema, REQUEST_ID_ATTRIBUTE, type JobQueue } from "../adapters/sqsJobQueue";
import { backoffSeconds, type BackoffSettings } from "../domain/backoff";
import { ErrorCode, JobStatus, isLeaseExpired, isTerminal, type Job, dueAtMs } from "../domain/job";
import type { JobTypeRegistry } from "../domain/jobTypes";
import { StaleClaimError, StoreUnavailableError } from "../errors";
import { logTransition } from "../jobEvents";
import { describeError, type Logger } from "../log";
import { runAttempt } from "./runAttempt";

export interface WorkerHandlerDeps {
  store: JobStore;
  queue: JobQueue;
  jobTypes: JobTypeRegistry;
  logger: Logger;
  /** Kept out of the run's budget to commit before the Lambda is cut off. @default 2000 */
  commitReserveMs: number;
  backoff: BackoffSettings;
  now?: () => number;
  /** In [0, 1), for backoff jitter. @default Math.random */
  random?: () => number;
}

/** The subset of the Lambda context the worker needs (the request id names its log records). */
export type WorkerContext = Pick<Context, "getRemainingTimeInMillis"> & Partial<Pick<Context, "awsRequestId">>;

export type WorkerHandler = (event: SQSEvent, context: WorkerContext) => Promise<SQSBatchResponse>;

/** What became of one message: acknowledged (deleted) or left for SQS to deliver again. */
type RecordOutcome = "ack" | "redeliver";

/**
 * The worker's Lambda handler (SQS event source mapping with `ReportBatchItemFailures`). The
 * records of a batch run concurrently and fail independently: only messages that must come
 * back are reported as failures; everything else is deleted by Lambda.
 */
export function createWorkerHandler(deps: WorkerHandlerDeps): WorkerHandler {
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;
  const { store, queue } = deps;

  /** `attempt` tells the caller, should this throw, whether this record holds a lease on its job. */
  async function processRecord(record: SQSRecord, context: WorkerContext, attempt: { leaseExpiresAtMs?: number }, recordLogger: Logger): Promise<RecordOutcome> {
    let logger = recordLogger;
    const message = parseMessage(record.body);
    if (!message) {
      // Poison: leave it, so that SQS moves it to the DLQ after maxReceiveCount receives, and
      // bring it back after a backoff rather than the whole visibility timeout, to get it there sooner.
      logger.error("worker.malformed_message", { messageId: record.messageId });
      await delayRedelivery(record, backoffSeconds(receiveCount(record), deps.backoff, random()), logger);
      return "redeliver";
    }
    const startedMs = now();
    const remainingMs = context.getRemainingTimeInMillis();
    const claimToken = randomUUID();
    // The lease ends when this invocation must have ended: no other worker can take the job
    // while this one may still be running it.
    attempt.leaseExpiresAtMs = startedMs + remainingMs;
    const claim = await claimOrRecognise(message.jobId, { claimToken, nowMs: startedMs, leaseExpiresAtMs: attempt.leaseExpiresAtMs }, attempt);
    // The message names the API request the job came from; a message without the attribute (sent
    // by hand, or before it existed) still finds it on the job.
    if (!record.messageAttributes?.[REQUEST_ID_ATTRIBUTE]?.stringValue && claim.job?.requestId) logger = logger.child({ apiRequestId: claim.job.requestId });
    if (!claim.claimed) {
      attempt.leaseExpiresAtMs = undefined;
      return settleUnclaimed(message.jobId, claim.job, record, logger);
    }

    const job = claim.job;
    const declaredErrorCodes = deps.jobTypes.get(job.type)?.errorCodes;
    // A later attempt may come from QUEUED (a retry) or from an expired lease (a takeover, which
    // has no wait of its own to measure).
    const takeover = job.previousStatus === JobStatus.IN_PROGRESS;
    logTransition(logger, {
      job,
      from: takeover ? JobStatus.IN_PROGRESS : JobStatus.QUEUED,
      to: JobStatus.IN_PROGRESS,
      by: "worker",
      nowMs: startedMs,
      ...(!takeover && { waitMs: Math.max(0, startedMs - dueAtMs(job)) }),
    });
    const run = await runAttempt(job, deps.jobTypes, remainingMs - deps.commitReserveMs);

    // The run is done: a throttled commit is worth retrying, while the lease lasts, rather than
    // running the job again.
    const commitDeadlineMs = attempt.leaseExpiresAtMs - 100;
    const committed = (to: JobStatus, error?: string, fields?: Record<string, unknown>) => {
      const nowMs = now();
      logTransition(logger, { job, from: JobStatus.IN_PROGRESS, to, by: "worker", nowMs, error, declaredErrorCodes, runMs: Math.max(0, nowMs - startedMs), fields });
    };
    const commit = async (outcome: AttemptOutcome) => {
      let uncertain = false;
      try {
        await retryUnavailable(() => store.commit(job.jobId, claimToken, outcome, now()), commitDeadlineMs, now, () => (uncertain = true));
      } catch (error) {
        // A try that failed may still have landed; the next one then finds the job already
        // committed. Our claim token on the job, in the state we wrote, says it was ours.
        if (!(error instanceof StaleClaimError) || !uncertain) throw error;
        const current = await store.get(job.jobId);
        if (current?.claimToken !== claimToken || current.status !== outcome.status) throw error;
      }
    };
    try {
      if (run.ok) {
        await commit({ status: JobStatus.SUCCEEDED, result: run.result });
        committed(JobStatus.SUCCEEDED);
        return "ack";
      }
      if (run.error.retryable && job.attempts < job.maxAttempts) {
        let delaySeconds = backoffSeconds(job.attempts, deps.backoff, random());
        // A run cut off at its timeout may not have stopped yet (a job type that ignores its
        // signal): give it until the lease ends before another attempt can start.
        if (run.error.code === ErrorCode.TIMED_OUT) delaySeconds = Math.max(delaySeconds, secondsUntil(attempt.leaseExpiresAtMs));
        await commit({ status: JobStatus.QUEUED, error: run.error, retryAtMs: now() + delaySeconds * 1000 });
        committed(JobStatus.QUEUED, run.error.code, { retryInSeconds: delaySeconds });
        await delayRedelivery(record, delaySeconds, logger);
        return "redeliver";
      }
      await commit({ status: JobStatus.FAILED, error: run.error });
      committed(JobStatus.FAILED, run.error.code);
      return "ack";
    } catch (error) {
      if (!(error instanceof StaleClaimError)) throw error;
      // This attempt outlived its lease and another claim took the job: the newer attempt owns it.
      logger.warn("worker.stale_commit_rejected", { jobId: job.jobId, attempt: job.attempts });
      return "ack";
    }
  }

  /**
   * Claims the job; when the store gives up on the claim (throttled, or the response lost past
   * the SDK's retries), reads the job to see whether the claim landed after all, so that a claim
   * nobody saw land does not cost the job an attempt. When the read shows it did not land, the
   * record holds no lease (`attempt.leaseExpiresAtMs` cleared) and may come back soon.
   */
  async function claimOrRecognise(jobId: string, claim: { claimToken: string; nowMs: number; leaseExpiresAtMs: number }, attempt: { leaseExpiresAtMs?: number }): Promise<ClaimResult> {
    try {
      return await store.claim(jobId, claim);
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) throw error;
      const current = await store.get(jobId);
      if (current?.status === JobStatus.IN_PROGRESS && current.claimToken === claim.claimToken) return { claimed: true, job: current };
      // The SDK sends its tries one after another: once it gave up, none can still land.
      attempt.leaseExpiresAtMs = undefined;
      throw error;
    }
  }

  function secondsUntil(timeMs: number): number {
    return Math.max(0, Math.ceil((timeMs - now()) / 1000));
  }

  /** A message whose job could not be claimed: a duplicate, a finished or canceled job, a live lease, or a lease expired with no attempts left. */
  async function settleUnclaimed(jobId: string, job: Job | undefined, record: SQSRecord, logger: Logger): Promise<RecordOutcome> {
    if (!job) {
      logger.warn("worker.job_not_found", { jobId, messageId: record.messageId });
      return "ack";
    }
    if (isLeaseExpired(job, now()) && job.attempts >= job.maxAttempts && job.claimToken) {
      try {
        const nowMs = now();
        const failed = await store.failExpiredLease(jobId, job.claimToken, nowMs);
        logTransition(logger, { job: failed, from: JobStatus.IN_PROGRESS, to: JobStatus.FAILED, by: "worker", nowMs, error: ErrorCode.TIMED_OUT });
      } catch (error) {
        if (!(error instanceof StaleClaimError)) throw error;
      }
      return "ack";
    }
    logger.info("worker.duplicate_acknowledged", { jobId, status: job.status, terminal: isTerminal(job.status) });
    return "ack";
  }

  async function delayRedelivery(record: SQSRecord, seconds: number, logger: Logger): Promise<void> {
    try {
      await queue.delayRedelivery(record.receiptHandle, seconds);
    } catch (error) {
      // The message still comes back, after the queue's visibility timeout instead.
      logger.warn("worker.backoff_not_applied", { messageId: record.messageId, ...describeError(error) });
    }
  }

  return async (event, context) => {
    const invocationLogger = context.awsRequestId ? deps.logger.child({ requestId: context.awsRequestId }) : deps.logger;
    const outcomes = await Promise.all(
      event.Records.map(async (record): Promise<RecordOutcome> => {
        const attempt: { leaseExpiresAtMs?: number } = {};
        const apiRequestId = record.messageAttributes?.[REQUEST_ID_ATTRIBUTE]?.stringValue;
        const logger = apiRequestId ? invocationLogger.child({ apiRequestId }) : invocationLogger;
        try {
          return await processRecord(record, context, attempt, logger);
        } catch (error) {
          // DynamoDB or SQS failed past the SDK's retries. The message comes back after a
          // backoff; if this record claimed the job, not before its lease ends, so that the
          // next delivery can take the job over instead of finding it held and dropping it.
          logger.error("worker.record_failed", { messageId: record.messageId, ...describeError(error) });
          const backoff = backoffSeconds(receiveCount(record), deps.backoff, random());
          await delayRedelivery(record, attempt.leaseExpiresAtMs === undefined ? backoff : Math.max(backoff, secondsUntil(attempt.leaseExpiresAtMs) + 1), logger);
          return "redeliver";
        }
      }),
    );
    return {
      batchItemFailures: event.Records.filter((_, index) => outcomes[index] === "redeliver").map((record) => ({ itemIdentifier: record.messageId })),
    };
  };
}

function parseMessage(body: string): v.InferOutput<typeof JobMessageSchema> | undefined {
  try {
    const parsed = v.safeParse(JobMessageSchema, JSON.parse(body));
    return parsed.success ? parsed.output : undefined;
  } catch {
    return undefined;
  }
}

function receiveCount(record: SQSRecord): number {
  const count = Number(record.attributes?.ApproximateReceiveCount);
  return Number.isFinite(count) && count > 0 ? count : 1;
}

/**
 * Calls `write` again, with a growing pause, while the store is unavailable (throttled past the
 * SDK's own retries) and `deadlineMs` has not come; any other error ends it at once.
 */
async function retryUnavailable<T>(write: () => Promise<T>, deadlineMs: number, now: () => number, onUnavailable: () => void): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (error) {
      const pauseMs = Math.min(1_000, 100 * 2 ** (attempt - 1));
      if (error instanceof StoreUnavailableError) onUnavailable();
      if (!(error instanceof StoreUnavailableError) || now() + pauseMs >= deadlineMs) throw error;
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  }
}
