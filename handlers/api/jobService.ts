import type { BatchEnqueueEntry, BatchEnqueueFailure, JobQueue } from "../adapters/sqsJobQueue";
import type { JobStore } from "../adapters/jobStore";
import type { Caller } from "../auth/caller";
import type { IdSecretSource } from "../auth/idSecret";
import { keyedJobId } from "../auth/keyedJobId";
import { JobStatus, ownerOf, type Job } from "../domain/job";
import { newJobId } from "../domain/jobId";
import type { JobTypeRegistry } from "../domain/jobTypes";
import { messageDelaySeconds, waitsInSweepIndex } from "../domain/delay";
import { dueAtOf, submissionHash, type Submission } from "../domain/submission";
import {
  ConditionFailedError,
  IdempotencyKeyConflictError,
  IdSecretUnavailableError,
  JobAlreadyExistsError,
  JobNotFoundError,
  JobStateConflictError,
  QueueUnavailableError,
} from "../errors";
import { logTransition } from "../jobEvents";
import { describeError, type Logger } from "../log";

export interface JobServiceDeps {
  store: JobStore;
  queue: JobQueue;
  jobTypes: JobTypeRegistry;
  logger: Logger;
  /** Epoch ms. @default Date.now */
  now?: () => number;
  /** The API request being served (API Gateway's request id): stored with the job and sent with its message. */
  requestId?: string;
  /** Who is asking: its jobs are stored under its owner, and it sees only those unless it is an admin. */
  caller: Caller;
  /** The secret of key-derived job ids. */
  idSecret: IdSecretSource;
}

/** Jobs of one batch submit stored at once, at most. */
export const BATCH_CONCURRENCY = 10;

/** One validated item of a batch submit. */
export interface BatchItem {
  submission: Submission;
  idempotencyKey?: string;
  /** The schedule whose fire this is (`fire`): stored on the job. */
  schedule?: string;
}

/** What storing one item did: stored as a new job, found the same request's job, or found another request's under its key. */
export type BatchOutcome = { kind: "accepted"; job: Job } | { kind: "replayed"; job: Job } | { kind: "conflict"; jobId: string };

/** Runs `work` over `items`, at most `limit` at a time. */
async function inParallel<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const runner = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, runner));
}

/** What one conditional transition did: moved the job, or found it as `current` (none: missing or not the caller's). */
export type Transition = { changed: true; job: Job } | { changed: false; current: Job | undefined };

/**
 * What the API does with jobs, free of HTTP: submit, read, cancel, retry. One per request.
 *
 * Every job belongs to the owner that submitted it. A caller sees only its own jobs, unless it is
 * an admin: another owner's job is {@link JobNotFoundError}, exactly as a missing one, so that a
 * job's existence never leaks. Cancel and retry put the owner in their condition, so the check
 * and the write are one atomic step.
 */
export class JobService {
  private readonly now: () => number;

  constructor(private readonly deps: JobServiceDeps) {
    this.now = deps.now ?? Date.now;
  }

  /**
   * Stores the job as `QUEUED`, then enqueues it to become visible when it is due; a job due more
   * than 900 s ahead (SQS's longest delay) gets no message yet: it waits in the sweep index and
   * the sweeper sends its message once it is within 900 s of due. Once the put succeeds the job is accepted:
   * if the enqueue fails, the sweeper enqueues it after its grace period (SPEC §5), so the
   * client still gets its `jobId`.
   *
   * @returns the job, and whether it is the replay of an earlier request with the same key
   */
  async submit(submission: Submission, idempotencyKey?: string, schedule?: string): Promise<{ job: Job; replayed: boolean }> {
    const nowMs = this.now();
    const placed = await this.place({ submission, idempotencyKey, schedule }, nowMs, idempotencyKey === undefined ? undefined : await this.idSecret());
    if (placed.kind === "conflict") throw new IdempotencyKeyConflictError(placed.jobId);
    if (placed.kind === "replayed") return { job: placed.job, replayed: true };
    // Due past SQS's 900 s: no message now; the sweeper sends it once the job is within 900 s of due.
    if (!waitsInSweepIndex(placed.job.dueAt!, nowMs)) await this.enqueueOrLeaveToSweeper(placed.job.jobId, messageDelaySeconds(placed.job.dueAt!, nowMs));
    return { job: placed.job, replayed: false };
  }

  /**
   * Submits several validated jobs as {@link submit} does each, one outcome per item in order:
   * each is stored by the same conditional put, {@link BATCH_CONCURRENCY} at a time. Items that
   * share an `Idempotency-Key` are stored one after the other, in order, so the first is the one
   * stored and a later one is its replay (the same body) or a conflict (another body). The
   * accepted jobs due within 900 s are then enqueued together (`SendMessageBatch`, 10 to a call);
   * an entry that could not be sent is left to the sweeper, as a single submit's failed enqueue.
   *
   * An error other than a conflict (the store unavailable) is thrown once every item has been
   * tried, after the jobs already accepted have been enqueued.
   */
  async submitBatch(items: readonly BatchItem[]): Promise<BatchOutcome[]> {
    const nowMs = this.now();
    const secret = items.some((item) => item.idempotencyKey !== undefined) ? await this.idSecret() : undefined;
    // One lane per key (its items in order), one per unkeyed item: lanes run in parallel.
    const lanes = new Map<string, number[]>();
    items.forEach((item, index) => {
      const lane = item.idempotencyKey === undefined ? `#${index}` : `key:${item.idempotencyKey}`;
      lanes.set(lane, [...(lanes.get(lane) ?? []), index]);
    });
    const outcomes: BatchOutcome[] = new Array(items.length);
    let failure: { error: unknown } | undefined;
    await inParallel([...lanes.values()], BATCH_CONCURRENCY, async (indexes) => {
      for (const index of indexes) {
        try {
          outcomes[index] = await this.place(items[index]!, nowMs, secret);
        } catch (error) {
          failure ??= { error };
          return;
        }
      }
    });
    const due = outcomes.flatMap((outcome) => (outcome?.kind === "accepted" && !waitsInSweepIndex(outcome.job.dueAt!, nowMs) ? [{ jobId: outcome.job.jobId, delaySeconds: messageDelaySeconds(outcome.job.dueAt!, nowMs) }] : []));
    if (due.length > 0) await this.enqueueBatchOrLeaveToSweeper(due);
    if (failure) throw failure.error;
    return outcomes;
  }

  /**
   * Builds the job of a submission and stores it as `QUEUED` (one conditional put): the one path
   * of {@link submit} and {@link submitBatch}. A keyed id already stored is the replay of the
   * same request, or a conflict. Enqueues nothing.
   */
  private async place({ submission, idempotencyKey, schedule }: BatchItem, nowMs: number, secret: Uint8Array | undefined): Promise<BatchOutcome> {
    const jobType = this.deps.jobTypes.get(submission.type);
    if (!jobType) throw new Error(`submit called with an unvalidated type ${submission.type}`);
    const now = new Date(nowMs).toISOString();
    const owner = this.deps.caller.owner;
    const dueAt = Math.max(nowMs, dueAtOf(submission, nowMs));
    if (idempotencyKey !== undefined && secret === undefined) throw new Error("a keyed submission needs the id secret");
    const job: Job = {
      jobId: idempotencyKey === undefined ? newJobId() : keyedJobId(secret!, owner, idempotencyKey),
      type: submission.type,
      status: JobStatus.QUEUED,
      payload: submission.payload,
      attempts: 0,
      maxAttempts: jobType.maxAttempts,
      delaySeconds: submission.delaySeconds ?? Math.ceil((dueAt - nowMs) / 1000),
      createdAt: now,
      updatedAt: now,
      dueAt,
      owner,
      ...(schedule !== undefined && { schedule }),
      ...(this.deps.requestId !== undefined && { requestId: this.deps.requestId }),
      ...(idempotencyKey !== undefined && { idempotencyKey, requestHash: submissionHash(submission) }),
    };
    try {
      await this.deps.store.create(job);
    } catch (error) {
      if (!(error instanceof JobAlreadyExistsError)) throw error;
      const existing = error.existing ?? (await this.deps.store.get(job.jobId));
      // The id is the owner's (keyed with it), so only a hash collision could make `existing`
      // another owner's: even then it is a conflict, never a replay of someone else's job.
      if (!existing || existing.requestHash !== job.requestHash || ownerOf(existing) !== owner) return { kind: "conflict", jobId: job.jobId };
      return { kind: "replayed", job: existing };
    }
    const waits = waitsInSweepIndex(dueAt, nowMs);
    logTransition(this.deps.logger, { job, from: null, to: JobStatus.QUEUED, by: "api", nowMs, fields: { delaySeconds: job.delaySeconds, ...(waits && { waitsInSweepIndex: true }), ...(schedule !== undefined && { schedule }) } });
    return { kind: "accepted", job };
  }

  async get(jobId: string): Promise<Job> {
    const job = await this.deps.store.get(jobId);
    if (!job || !this.sees(job)) throw new JobNotFoundError(jobId);
    return job;
  }

  /** `QUEUED` → `CANCELED`; an already canceled job is returned as it is. */
  async cancel(jobId: string): Promise<Job> {
    const moved = await this.cancelQueued(jobId);
    if (moved.changed) return moved.job;
    if (!moved.current) throw new JobNotFoundError(jobId);
    if (moved.current.status === JobStatus.CANCELED) return moved.current;
    throw new JobStateConflictError(jobId, moved.current.status, "canceled");
  }

  /** `FAILED` or `CANCELED` → `QUEUED` with attempts reset, and enqueued again. */
  async retry(jobId: string): Promise<Job> {
    const moved = await this.retryFinished(jobId);
    if (moved.changed) return moved.job;
    if (!moved.current) throw new JobNotFoundError(jobId);
    throw new JobStateConflictError(jobId, moved.current.status, "retried");
  }

  /**
   * The cancel's one conditional write (`QUEUED` → `CANCELED`, the owner in the condition). When
   * the condition fails, `current` is the job as the caller may see it (none: missing or not
   * the caller's). Bulk cancel moves each job through this.
   */
  async cancelQueued(jobId: string): Promise<Transition> {
    const nowMs = this.now();
    try {
      const job = await this.deps.store.cancel(jobId, nowMs, this.ownerCondition);
      logTransition(this.deps.logger, { job, from: JobStatus.QUEUED, to: JobStatus.CANCELED, by: "api", nowMs });
      return { changed: true, job };
    } catch (error) {
      return { changed: false, current: await this.currentAfter(error, jobId) };
    }
  }

  /** The retry's one conditional write, then the enqueue; as {@link cancelQueued} for a failed condition. Bulk retry moves each job through this. */
  async retryFinished(jobId: string): Promise<Transition> {
    const nowMs = this.now();
    let job: Job;
    try {
      job = await this.deps.store.retry(jobId, nowMs, { requestId: this.deps.requestId, owner: this.ownerCondition });
    } catch (error) {
      return { changed: false, current: await this.currentAfter(error, jobId) };
    }
    logTransition(this.deps.logger, { job, from: job.previousStatus ?? JobStatus.FAILED, to: JobStatus.QUEUED, by: "api", nowMs, fields: { retry: true } });
    await this.enqueueOrLeaveToSweeper(jobId, 0);
    return { changed: true, job };
  }

  /** The job a failed condition saw, if the caller may see it; any other error is thrown on. */
  private async currentAfter(error: unknown, jobId: string): Promise<Job | undefined> {
    if (!(error instanceof ConditionFailedError)) throw error;
    const current = error.current ?? (await this.deps.store.get(jobId));
    return current && this.sees(current) ? current : undefined;
  }

  /** Whether the caller may see (and act on) the job. */
  private sees(job: Job): boolean {
    return this.deps.caller.admin || ownerOf(job) === this.deps.caller.owner;
  }

  /** The owner a cancel's or retry's condition requires: none for an admin. */
  private get ownerCondition(): string | undefined {
    return this.deps.caller.admin ? undefined : this.deps.caller.owner;
  }

  /** The stack's id secret (also the root of the cursor key); {@link IdSecretUnavailableError} when it cannot be had. */
  secret(): Promise<Uint8Array> {
    return this.idSecret();
  }

  private async idSecret(): Promise<Uint8Array> {
    try {
      return await this.deps.idSecret.get();
    } catch (error) {
      throw error instanceof IdSecretUnavailableError ? error : new IdSecretUnavailableError({ cause: error });
    }
  }

  private async enqueueBatchOrLeaveToSweeper(entries: BatchEnqueueEntry[]): Promise<void> {
    let failed: BatchEnqueueFailure[];
    try {
      ({ failed } = await this.deps.queue.enqueueBatch(entries, this.deps.requestId));
    } catch (error) {
      if (!(error instanceof QueueUnavailableError)) throw error;
      failed = entries.map((entry) => ({ jobId: entry.jobId, code: "SendMessageBatch", message: error.message }));
    }
    for (const failure of failed) this.deps.logger.warn("job.enqueue_deferred_to_sweeper", { jobId: failure.jobId, error: `QueueUnavailableError: ${failure.message}`, code: failure.code });
  }

  private async enqueueOrLeaveToSweeper(jobId: string, delaySeconds: number): Promise<void> {
    try {
      await this.deps.queue.enqueue(jobId, delaySeconds, this.deps.requestId);
    } catch (error) {
      if (!(error instanceof QueueUnavailableError)) throw error;
      this.deps.logger.warn("job.enqueue_deferred_to_sweeper", { jobId, ...describeError(error) });
    }
  }
}
