import type { JobQueue } from "../adapters/sqsJobQueue";
import type { JobStore } from "../adapters/jobStore";
import { JobStatus, type Job } from "../domain/job";
import { jobIdForIdempotencyKey, newJobId } from "../domain/jobId";
import type { JobTypeRegistry } from "../domain/jobTypes";
import { submissionHash, type Submission } from "../domain/submission";
import { ConditionFailedError, IdempotencyKeyConflictError, JobAlreadyExistsError, JobNotFoundError, JobStateConflictError, QueueUnavailableError } from "../errors";
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
}

/** What the API does with jobs, free of HTTP: submit, read, cancel, retry. One per request. */
export class JobService {
  private readonly now: () => number;

  constructor(private readonly deps: JobServiceDeps) {
    this.now = deps.now ?? Date.now;
  }

  /**
   * Stores the job as `QUEUED`, then enqueues it. Once the put succeeds the job is accepted:
   * if the enqueue fails, the sweeper enqueues it after its grace period (SPEC §5), so the
   * client still gets its `jobId`.
   *
   * @returns the job, and whether it is the replay of an earlier request with the same key
   */
  async submit(submission: Submission, idempotencyKey?: string): Promise<{ job: Job; replayed: boolean }> {
    const jobType = this.deps.jobTypes.get(submission.type);
    if (!jobType) throw new Error(`submit called with an unvalidated type ${submission.type}`);
    const nowMs = this.now();
    const now = new Date(nowMs).toISOString();
    const job: Job = {
      jobId: idempotencyKey === undefined ? newJobId() : jobIdForIdempotencyKey(idempotencyKey),
      type: submission.type,
      status: JobStatus.QUEUED,
      payload: submission.payload,
      attempts: 0,
      maxAttempts: jobType.maxAttempts,
      delaySeconds: submission.delaySeconds,
      createdAt: now,
      updatedAt: now,
      dueAt: nowMs + submission.delaySeconds * 1000,
      ...(this.deps.requestId !== undefined && { requestId: this.deps.requestId }),
      ...(idempotencyKey !== undefined && { idempotencyKey, requestHash: submissionHash(submission) }),
    };
    try {
      await this.deps.store.create(job);
    } catch (error) {
      if (!(error instanceof JobAlreadyExistsError)) throw error;
      const existing = error.existing ?? (await this.deps.store.get(job.jobId));
      if (!existing || existing.requestHash !== job.requestHash) throw new IdempotencyKeyConflictError(job.jobId);
      return { job: existing, replayed: true };
    }
    logTransition(this.deps.logger, { job, from: null, to: JobStatus.QUEUED, by: "api", nowMs, fields: { delaySeconds: job.delaySeconds } });
    await this.enqueueOrLeaveToSweeper(job.jobId, job.delaySeconds);
    return { job, replayed: false };
  }

  async get(jobId: string): Promise<Job> {
    const job = await this.deps.store.get(jobId);
    if (!job) throw new JobNotFoundError(jobId);
    return job;
  }

  /** `QUEUED` → `CANCELED`; an already canceled job is returned as it is. */
  async cancel(jobId: string): Promise<Job> {
    try {
      const nowMs = this.now();
      const job = await this.deps.store.cancel(jobId, nowMs);
      logTransition(this.deps.logger, { job, from: JobStatus.QUEUED, to: JobStatus.CANCELED, by: "api", nowMs });
      return job;
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
      const current = error.current ?? (await this.deps.store.get(jobId));
      if (!current) throw new JobNotFoundError(jobId);
      if (current.status === JobStatus.CANCELED) return current;
      throw new JobStateConflictError(jobId, current.status, "canceled");
    }
  }

  /** `FAILED` or `CANCELED` → `QUEUED` with attempts reset, and enqueued again. */
  async retry(jobId: string): Promise<Job> {
    let job: Job;
    const nowMs = this.now();
    try {
      job = await this.deps.store.retry(jobId, nowMs, this.deps.requestId);
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
      const current = error.current ?? (await this.deps.store.get(jobId));
      if (!current) throw new JobNotFoundError(jobId);
      throw new JobStateConflictError(jobId, current.status, "retried");
    }
    logTransition(this.deps.logger, { job, from: job.previousStatus ?? JobStatus.FAILED, to: JobStatus.QUEUED, by: "api", nowMs, fields: { retry: true } });
    await this.enqueueOrLeaveToSweeper(jobId, 0);
    return job;
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
