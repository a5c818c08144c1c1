import type { JobStore } from "../handlers/adapters/jobStore";
import type { JobQueue } from "../handlers/adapters/sqsJobQueue";
import { JobStatus } from "../handlers/domain/job";
import { MAX_DELAY_SECONDS } from "../handlers/domain/submission";
import { describeError, type Logger } from "../handlers/log";

export interface RecoveryDeps {
  store: JobStore;
  queue: JobQueue;
  logger: Logger;
  /** The grace the store adds to `sweepAt` (`sweepAt = visibleAt + grace`). */
  sweepGraceSeconds: number;
  /** Active jobs re-enqueued at most. @default 100000 */
  limit?: number;
  now?: () => number;
}

/** What the startup recovery did. */
export interface RecoveryReport {
  active: number;
  enqueued: number;
  errors: number;
}

/**
 * Re-enqueues every active job after a restart. The local SQS keeps its messages in memory only,
 * so a restart loses the messages of jobs that are still `QUEUED` (submitted, delayed, waiting
 * for a retry backoff) or `IN_PROGRESS` (a crash mid-run); the table on disk still has them.
 * The sweeper alone would find them only once their `sweepAt` passed (up to the grace period,
 * or a whole delay, later), so this pass reads the whole sweep index, ignoring `sweepAt`:
 *
 * - a `QUEUED` job is enqueued to become visible when it was due (`sweepAt` − grace), so a
 *   delayed job or a retry backoff keeps its time;
 * - an `IN_PROGRESS` job is enqueued to become visible just after its lease ends: the claim
 *   takes over an expired lease (or fails it `TIMED_OUT` with no attempts left).
 *
 * A duplicate message is harmless: the claim is conditional, so a job runs once per attempt.
 */
export async function recoverActiveJobs(deps: RecoveryDeps): Promise<RecoveryReport> {
  const now = deps.now ?? Date.now;
  const graceMs = deps.sweepGraceSeconds * 1000;
  // Every entry of the index: no sweepAt is later than the end of time.
  const active = await deps.store.findDue(Number.MAX_SAFE_INTEGER, deps.limit ?? 100_000);
  const report: RecoveryReport = { active: active.length, enqueued: 0, errors: 0 };
  for (const { jobId, sweepAt } of active) {
    try {
      const job = await deps.store.get(jobId);
      if (!job) continue;
      let visibleAtMs: number;
      if (job.status === JobStatus.QUEUED) visibleAtMs = sweepAt - graceMs;
      else if (job.status === JobStatus.IN_PROGRESS) visibleAtMs = (job.leaseExpiresAt ?? 0) + 1;
      else continue;
      const delaySeconds = Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.ceil((visibleAtMs - now()) / 1000)));
      await deps.queue.enqueue(jobId, delaySeconds);
      report.enqueued++;
    } catch (error) {
      // The sweeper still finds this job once its sweepAt passes.
      report.errors++;
      deps.logger.error("local.recovery_failed", { jobId, ...describeError(error) });
    }
  }
  deps.logger.info("local.recovery", { ...report });
  return report;
}
