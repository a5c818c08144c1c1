import { PUBLIC_OWNER } from "../auth/authMode";

/**
 * The job and its lifecycle (SPEC §4). Pure: no AWS, no HTTP.
 *
 * `QUEUED → IN_PROGRESS → SUCCEEDED | FAILED`, `QUEUED → CANCELED`, and back to `QUEUED` for a
 * retryable failure (from `IN_PROGRESS`) or an explicit retry (from `FAILED` or `CANCELED`).
 */
export const JobStatus = {
  QUEUED: "QUEUED",
  IN_PROGRESS: "IN_PROGRESS",
  SUCCEEDED: "SUCCEEDED",
  FAILED: "FAILED",
  CANCELED: "CANCELED",
} as const;
export type JobStatus = (typeof JobStatus)[keyof typeof JobStatus];

/** States that nothing but an explicit retry leaves. */
export const TERMINAL_STATUSES: readonly JobStatus[] = [JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELED];

/** States a job can be retried from with `POST /jobs/{jobId}/retry`. */
export const RETRYABLE_STATUSES: readonly JobStatus[] = [JobStatus.FAILED, JobStatus.CANCELED];

const TRANSITIONS: Readonly<Record<JobStatus, readonly JobStatus[]>> = {
  QUEUED: [JobStatus.IN_PROGRESS, JobStatus.CANCELED],
  IN_PROGRESS: [JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.QUEUED],
  SUCCEEDED: [],
  FAILED: [JobStatus.QUEUED],
  CANCELED: [JobStatus.QUEUED],
};

/** Whether the lifecycle allows a job in `from` to move to `to`. */
export function canTransition(from: JobStatus, to: JobStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Whether `status` is terminal (`SUCCEEDED`, `FAILED`, `CANCELED`). */
export function isTerminal(status: JobStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/** Error codes the system itself writes into `job.error.code`. Job types may add their own. */
export const ErrorCode = {
  /** The run exceeded the job type's timeout, or its lease expired with no attempts left. */
  TIMED_OUT: "TIMED_OUT",
  /** The job type threw something that was not a {@link JobFailure}. */
  JOB_ERROR: "JOB_ERROR",
  /** The stored job names a type this deployment does not know. */
  UNKNOWN_TYPE: "UNKNOWN_TYPE",
  /** The job's result is not JSON or too large to store. */
  RESULT_NOT_STORABLE: "RESULT_NOT_STORABLE",
} as const;

/** Why a job failed, as stored and as shown to clients. */
export interface JobErrorInfo {
  code: string;
  message: string;
  retryable: boolean;
}

/** The start of an attempt, as the claim writes it into the attempt log. */
export interface AttemptStart {
  startedAt: string;
}

/** The end of an attempt, as the commit (or the sweeper's timeout) writes it into the attempt log. */
export interface AttemptFinish {
  finishedAt: string;
  /** `RETRYING`: failed, another attempt follows; `LEASE_EXPIRED`: its worker was lost. */
  outcome: "SUCCEEDED" | "FAILED" | "RETRYING" | "LEASE_EXPIRED";
  errorCode?: string;
}

/** One attempt of a job's current run, as the API shows it. */
export interface Attempt {
  /** 1 for the first attempt of the run. */
  attempt: number;
  startedAt: string;
  finishedAt?: string;
  outcome: "RUNNING" | AttemptFinish["outcome"];
  errorCode?: string;
}

/** The owner a stored job belongs to: jobs stored before owners were recorded are the public owner's. */
export function ownerOf(job: Pick<JobListItem, "owner">): string {
  return job.owner ?? PUBLIC_OWNER;
}

/**
 * The attempts of a job's current run, from its attempt log (starts and finishes in the order
 * they were written). A start that follows a start without a finish means the earlier attempt's
 * worker was lost and its lease taken over: that attempt reads `LEASE_EXPIRED`.
 */
export function attemptHistoryOf(log: readonly (AttemptStart | AttemptFinish)[] | undefined): Attempt[] {
  const attempts: Attempt[] = [];
  for (const entry of log ?? []) {
    const last = attempts.at(-1);
    if ("startedAt" in entry) {
      if (last?.outcome === "RUNNING") last.outcome = "LEASE_EXPIRED";
      attempts.push({ attempt: attempts.length + 1, startedAt: entry.startedAt, outcome: "RUNNING" });
    } else if (last?.outcome === "RUNNING") {
      last.finishedAt = entry.finishedAt;
      last.outcome = entry.outcome;
      if (entry.errorCode !== undefined) last.errorCode = entry.errorCode;
    }
  }
  return attempts;
}

/** A job as a listing shows it: no payload, result or history. Timestamps are ISO 8601 strings. */
export interface JobListItem {
  jobId: string;
  type: string;
  status: JobStatus;
  error?: JobErrorInfo;
  attempts: number;
  maxAttempts: number;
  delaySeconds: number;
  /**
   * When the job is (or was) due to run: its submission's `runAt` or delay, then the time of a
   * retry's backoff or of an explicit retry.
   */
  runAt: string;
  createdAt: string;
  updatedAt: string;
  startedAt?: string;
  finishedAt?: string;
  /**
   * Who submitted the job: `public` on a `none` stack, `jwt:<issuer>#<subject>`, or
   * `iam:<principal ARN>` (`handlers/auth/caller.ts`). Absent on jobs stored before owners were
   * recorded, which belong to `public`.
   */
  owner?: string;
  /** The schedule (`schedules` config) whose fire made the job; absent for a submitted one. */
  schedule?: string;
}

/** A job as the API shows it. */
export interface JobView extends JobListItem {
  payload: unknown;
  result?: unknown;
  /** The attempts of the current run (since the job was submitted or last retried). */
  attemptHistory?: Attempt[];
}

/**
 * A stored job: the view (less `runAt`, which is `dueAt` shown) plus the bookkeeping the protocol needs. Clients never see the extra
 * fields (see {@link toJobView}).
 */
export interface Job extends Omit<JobView, "runAt"> {
  /** Fencing token of the current claim; only its holder may commit. */
  claimToken?: string;
  /** Epoch ms after which the current claim may be taken over by another worker. */
  leaseExpiresAt?: number;
  idempotencyKey?: string;
  /** Hash of the canonical submission, to tell a replay from a key conflict. */
  requestHash?: string;
  /** Id of the last write, to recognise one's own write when a retry of it fails its condition. */
  writeId?: string;
  /** Times the sweeper re-enqueued the job (its next look backs off with it). */
  sweeps?: number;
  /** Epoch ms the job became (or becomes) due: created plus its delay, or the time of its retry. */
  dueAt?: number;
  /**
   * The status the last claim or retry took the job from: after a claim, `IN_PROGRESS` means it
   * took an expired lease over; after a retry, `FAILED` or `CANCELED`.
   */
  previousStatus?: JobStatus;
  /** The API request that submitted (or last retried) the job: it travels with every message. */
  requestId?: string;
  /** Starts and finishes of the current run's attempts, appended by the claim and the commit. */
  attemptLog?: (AttemptStart | AttemptFinish)[];
}

/** The client's view of a stored job: protocol bookkeeping stripped, the attempt log read as attempts. */
export function toJobView(job: Job): JobView {
  const { payload, result } = job;
  return { ...toJobListItem(job), payload, ...(result !== undefined && { result }), attemptHistory: attemptHistoryOf(job.attemptLog) };
}

/** A stored job as a listing shows it. */
export function toJobListItem(job: Job): JobListItem {
  const view: JobListItem = {
    jobId: job.jobId,
    type: job.type,
    status: job.status,
    attempts: job.attempts,
    maxAttempts: job.maxAttempts,
    delaySeconds: job.delaySeconds,
    runAt: new Date(dueAtMs(job)).toISOString(),
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
  };
  if (job.error !== undefined) view.error = job.error;
  if (job.startedAt !== undefined) view.startedAt = job.startedAt;
  if (job.finishedAt !== undefined) view.finishedAt = job.finishedAt;
  if (job.owner !== undefined) view.owner = job.owner;
  if (job.schedule !== undefined) view.schedule = job.schedule;
  return view;
}

/** When a queued job became (or becomes) due: its stored `dueAt`, or (jobs stored before it existed) created plus its delay. */
export function dueAtMs(job: Pick<Job, "dueAt" | "createdAt" | "delaySeconds">): number {
  return job.dueAt ?? Date.parse(job.createdAt) + job.delaySeconds * 1000;
}

/** Whether the job is `IN_PROGRESS` under a lease that ran out before `nowMs` (its holder crashed, hung or stalled). */
export function isLeaseExpired(job: Job, nowMs: number): boolean {
  return job.status === JobStatus.IN_PROGRESS && (job.leaseExpiresAt ?? 0) < nowMs;
}

/** Whether a claim by a worker at `nowMs` may take the job (the claim condition of SPEC §4). */
export function isClaimable(job: Job, nowMs: number): boolean {
  if (job.attempts >= job.maxAttempts) return false;
  return job.status === JobStatus.QUEUED || isLeaseExpired(job, nowMs);
}
