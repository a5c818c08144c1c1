import { ErrorCode, JobStatus, isTerminal, type Job } from "./domain/job";
import type { Logger } from "./log";
import { errorCodeDimension, type Emitter, type MetricName, type MetricRecord } from "./metrics";

/** One change of a job's status, as the handler that made it saw it. */
export interface Transition {
  /** The job as it is after the transition. */
  job: Job;
  /** `null` for a new job; `IN_PROGRESS` → `IN_PROGRESS` is a claim that took an expired lease over. */
  from: JobStatus | null;
  to: JobStatus;
  by: Emitter;
  nowMs: number;
  /** The error code of a failed attempt or job. */
  error?: string;
  /** Error codes the job's type declares (its `ErrorCode` metric dimension values). */
  declaredErrorCodes?: readonly string[];
  /** Due → claim, on a claim. */
  waitMs?: number;
  /** Claim → commit, on a commit. */
  runMs?: number;
  /** Anything else worth a field (`retryInSeconds`). */
  fields?: Record<string, unknown>;
}

/**
 * Logs a transition as the one `job.transition` record of it, with the metrics it counts (EMF,
 * see handlers/metrics.ts): `jobId`, `type`, `from`, `to`, `attempt`, `by`, the error code, and
 * the durations that matter: `waitMs` (due → claimed), `runMs` (claimed → committed), `totalMs`
 * (created → terminal).
 */
export function logTransition(logger: Logger, transition: Transition): void {
  const { job, from, to, error } = transition;
  const totalMs = isTerminal(to) ? Math.max(0, transition.nowMs - Date.parse(job.createdAt)) : undefined;
  const durations = { waitMs: transition.waitMs, runMs: transition.runMs, totalMs };
  const metrics: MetricRecord["metrics"] = {};
  const count = (name: MetricName) => (metrics[name] = 1);
  const timedOut = error === ErrorCode.TIMED_OUT;
  if (from === null) count("JobsSubmitted");
  else if (to === JobStatus.QUEUED) count("JobsRetried");
  else if (to === JobStatus.IN_PROGRESS && from === JobStatus.IN_PROGRESS) {
    // A takeover: the previous attempt's lease ran out (its worker crashed or hung).
    count("JobsRetried");
    count("JobsTimedOut");
  } else if (to === JobStatus.SUCCEEDED) count("JobsSucceeded");
  else if (to === JobStatus.FAILED) count("JobsFailed");
  else if (to === JobStatus.CANCELED) count("JobsCanceled");
  if (timedOut && from === JobStatus.IN_PROGRESS && to !== JobStatus.IN_PROGRESS) count("JobsTimedOut");
  if (durations.waitMs !== undefined) metrics.WaitMs = durations.waitMs;
  if (durations.runMs !== undefined) metrics.RunMs = durations.runMs;
  if (totalMs !== undefined) metrics.TotalMs = totalMs;
  const dimensions: MetricRecord["dimensions"] = { JobType: job.type };
  if (metrics.JobsFailed !== undefined) dimensions.ErrorCode = errorCodeDimension(error ?? ErrorCode.JOB_ERROR, transition.declaredErrorCodes);
  logger.info(
    "job.transition",
    { jobId: job.jobId, type: job.type, from, to, attempt: job.attempts, by: transition.by, ...(error !== undefined && { error }), ...definedOnly(durations), ...transition.fields },
    { metrics, dimensions },
  );
}

function definedOnly(values: Record<string, number | undefined>): Record<string, number> {
  return Object.fromEntries(Object.entries(values).filter((entry): entry is [string, number] => entry[1] !== undefined));
}
