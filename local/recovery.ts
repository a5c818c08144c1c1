import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { JobQueue } from "../handlers/adapters/sqsJobQueue";
import { JobStatus } from "../handlers/domain/job";
import { messageDelaySeconds, waitsInSweepIndex } from "../handlers/domain/delay";
import { describeError, type Logger } from "../handlers/log";
import { isActive, repairSweepIndex, scanJobs, scanSweepIndex, type ScannedJob } from "./sweepIndexRepair";

export interface RecoveryDeps {
  dynamo: DynamoDBClient;
  tableName: string;
  queue: JobQueue;
  logger: Logger;
  /** The grace the store adds to `sweepAt` (`sweepAt = visibleAt + grace`). */
  sweepGraceSeconds: number;
  now?: () => number;
}

/** What the startup recovery did. */
export interface RecoveryReport {
  /** Items in the table. */
  scanned: number;
  /** Jobs `QUEUED` or `IN_PROGRESS`: each is enqueued again, unless it waits in the sweep index. */
  active: number;
  /** `QUEUED` jobs due more than 900 s ahead: they have no message by design; the sweeper hands them off. */
  waiting: number;
  enqueued: number;
  /** Sweep index entries written again for active jobs the index had lost. */
  indexRestored: number;
  /** Sweep index entries removed that named no job, or not the job's present keys. */
  indexRemoved: number;
  errors: number;
  /** How long the table and index scans and the repair took. */
  scanMs: number;
}

/**
 * When a `QUEUED` job is due: its stored `dueAt`. A job stored before `dueAt` existed: its `sweepAt` is due + grace until the sweeper re-enqueues it; each
 * re-enqueue pushes `sweepAt` further (a backoff), so for a job never claimed (`attempts` 0) that
 * the sweeper has already re-enqueued, the due time is its creation plus its delay. A job waiting
 * out a retry backoff that the sweeper also re-enqueued is left to its `sweepAt` − grace: later
 * than due by at most that backoff (capped at the 900 s a message can wait), never early.
 */
function queuedDueAtMs(job: ScannedJob, graceMs: number, nowMs: number): number {
  if (job.dueAt !== undefined) return job.dueAt;
  if ((job.sweeps ?? 0) > 0 && (job.attempts ?? 0) === 0 && job.createdAt) return Date.parse(job.createdAt) + (job.delaySeconds ?? 0) * 1000;
  return (job.sweepAt ?? nowMs + graceMs) - graceMs;
}

/**
 * Resumes every active job after a restart, from the table itself. The local SQS keeps its
 * messages in memory only, so a restart loses the messages of jobs still `QUEUED` (submitted,
 * delayed, waiting out a retry backoff) or `IN_PROGRESS` (the process died mid-run); and a
 * process killed mid-write may leave dynalite's sweep index out of step with the table (see
 * {@link repairSweepIndex}). So this pass reads the whole table (local tables are small: see
 * the README for what it costs), makes the index match it, and enqueues every active job:
 *
 * - a `QUEUED` job to become visible when it is due (`dueAt`), so a delayed job or a retry
 *   backoff keeps its time; one due more than 900 s ahead gets no message (it never had one):
 *   it waits in the sweep index for the sweeper's hand-off, as it did before the restart;
 * - an `IN_PROGRESS` job to become visible one second after its lease ends, when the claim takes
 *   it over (or fails it `TIMED_OUT` with no attempts left), not after the sweeper's grace.
 *
 * A duplicate message is harmless: the claim is conditional, so a job runs once per attempt.
 */
export async function recoverActiveJobs(deps: RecoveryDeps): Promise<RecoveryReport> {
  const now = deps.now ?? Date.now;
  const graceMs = deps.sweepGraceSeconds * 1000;
  const documents = DynamoDBDocumentClient.from(deps.dynamo);
  const started = now();
  const report: RecoveryReport = { scanned: 0, active: 0, waiting: 0, enqueued: 0, indexRestored: 0, indexRemoved: 0, errors: 0, scanMs: 0 };
  const jobs = await scanJobs(documents, deps.tableName);
  report.scanned = jobs.length;
  const repaired = await repairSweepIndex(documents, deps.tableName, jobs, await scanSweepIndex(documents, deps.tableName));
  report.indexRestored = repaired.restored;
  report.indexRemoved = repaired.removed;
  report.errors += repaired.failedJobIds.length;
  for (const jobId of repaired.failedJobIds) deps.logger.error("local.index_repair_failed", { jobId });
  report.scanMs = now() - started;

  for (const job of jobs) {
    if (!isActive(job.status)) continue;
    report.active++;
    try {
      const visibleAtMs = job.status === JobStatus.QUEUED ? queuedDueAtMs(job, graceMs, now()) : (job.leaseExpiresAt ?? 0) + 1_000;
      if (job.status === JobStatus.QUEUED && waitsInSweepIndex(visibleAtMs, now())) {
        // Its sweep index entry (repaired above) brings it to the sweeper at its hand-off time.
        report.waiting++;
        continue;
      }
      await deps.queue.enqueue(job.jobId, messageDelaySeconds(visibleAtMs, now()), job.requestId);
      report.enqueued++;
    } catch (error) {
      // The sweeper still finds this job (its index entry is in place) once its sweepAt passes.
      report.errors++;
      deps.logger.error("local.recovery_failed", { jobId: job.jobId, ...describeError(error) });
    }
  }
  deps.logger.info("local.recovery", { ...report });
  return report;
}
