import type { Job, JobErrorInfo, JobStatus } from "../domain/job";

/** How an attempt ends, as committed by the worker holding the claim. */
export type AttemptOutcome =
  | { status: "SUCCEEDED"; result: unknown }
  | { status: "FAILED"; error: JobErrorInfo }
  /** Retryable failure with attempts left: back to `QUEUED`, to be picked up at `retryAtMs`. */
  | { status: "QUEUED"; error: JobErrorInfo; retryAtMs: number };

/** The result of a claim: the claimed job, or the job as it was when the claim was refused. */
export type ClaimResult = { claimed: true; job: Job } | { claimed: false; job: Job | undefined };

/** An entry of the sweep index: a job the sweeper should look at. */
export interface DueJob {
  jobId: string;
  sweepAt: number;
}

/**
 * The port to the jobs table. Every method is one conditional write or one read; the conditions
 * are what make the protocol of SPEC §4 safe under duplicates, races and crashes.
 */
export interface JobStore {
  /**
   * Stores a new `QUEUED` job and returns it as stored. Throws `JobAlreadyExistsError` when its
   * id is taken by another request (a reused `Idempotency-Key`); `existing` then carries the
   * stored job.
   */
  create(job: Job): Promise<Job>;
  /** Reads a job (strongly consistent), `undefined` when none has this id. */
  get(jobId: string): Promise<Job | undefined>;
  /**
   * Claims a job for one attempt: `QUEUED`, or `IN_PROGRESS` with an expired lease, and attempts
   * left → `IN_PROGRESS`, `attempts + 1`, the new claim token and lease.
   */
  claim(jobId: string, claim: { claimToken: string; nowMs: number; leaseExpiresAtMs: number }): Promise<ClaimResult>;
  /** Commits an attempt's outcome; throws `StaleClaimError` unless `claimToken` still holds the job. */
  commit(jobId: string, claimToken: string, outcome: AttemptOutcome, nowMs: number): Promise<Job>;
  /**
   * Fails an `IN_PROGRESS` job whose lease (of claim `claimToken`) expired before `nowMs`, with
   * `TIMED_OUT`. Throws `StaleClaimError` when the claim changed or the lease is live.
   */
  failExpiredLease(jobId: string, claimToken: string, nowMs: number): Promise<Job>;
  /**
   * `QUEUED` → `CANCELED`, only if the job is `owner`'s when an owner is given (an admin gives
   * none); throws `ConditionFailedError` otherwise.
   */
  cancel(jobId: string, nowMs: number, owner?: string): Promise<Job>;
  /**
   * `FAILED`/`CANCELED` → `QUEUED` with attempts reset, due at once, `requestId` the retrying
   * request's, only if the job is `owner`'s when one is given; throws `ConditionFailedError`
   * otherwise.
   */
  retry(jobId: string, nowMs: number, options?: { requestId?: string; owner?: string }): Promise<Job>;
  /** Active jobs whose `sweepAt` has passed, from every shard of the sweep index. */
  findDue(nowMs: number, limit: number): Promise<DueJob[]>;
  /**
   * Moves a job's `sweepAt` to `sweepAtMs` if it is still `expected`, adding `requeues` to its
   * count of sweeper re-enqueues (`sweeps`); throws `ConditionFailedError` when another sweeper
   * or a worker changed the job first.
   */
  deferSweep(jobId: string, expected: { sweepAtMs: number; status: JobStatus }, sweepAtMs: number, requeues?: -1 | 0 | 1): Promise<void>;
}
