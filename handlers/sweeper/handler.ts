import type { JobStore } from "../adapters/jobStore";
import type { JobQueue } from "../adapters/sqsJobQueue";
import { handOffAtMs, messageDelaySeconds, waitsInSweepIndex } from "../domain/delay";
import { dueAtMs as dueAtOfJob, ErrorCode, isLeaseExpired, JobStatus } from "../domain/job";
import { ConditionFailedError, StaleClaimError } from "../errors";
import { logTransition } from "../jobEvents";
import { describeError, type Logger } from "../log";

export interface SweeperHandlerDeps {
  store: JobStore;
  queue: JobQueue;
  logger: Logger;
  /** How long a re-enqueued job gets before the sweeper looks at it again. @default 120 */
  sweepGraceSeconds: number;
  /** Jobs examined at most per run. @default 500 */
  maxJobsPerRun: number;
  /** Jobs repaired in parallel. @default 16 */
  parallelism?: number;
  now?: () => number;
}

/** What one sweep did, also logged. */
export interface SweepReport {
  examined: number;
  /** `QUEUED` jobs never claimed in time, and expired leases with attempts left: enqueued again. */
  requeued: number;
  /** Expired leases with no attempts left: `FAILED` with `TIMED_OUT`. */
  timedOut: number;
  /** Jobs delayed past 900 s, now within 900 s of due: sent to SQS with the remaining delay. */
  handedOff: number;
  /** Jobs a live lease still holds, or not yet due for hand-off: looked at again when the lease ends or the hand-off is due. */
  deferred: number;
  /** Jobs another sweeper or a worker changed first. */
  skipped: number;
  errors: number;
}

export type SweeperHandler = (event?: unknown, context?: { awsRequestId?: string }) => Promise<SweepReport>;

/**
 * The repair pass of SPEC §5, on a schedule. It reads only the sparse sweep index (active jobs
 * whose `sweepAt` has passed), so its cost follows the jobs in trouble, not the table's size.
 */
export function createSweeperHandler(deps: SweeperHandlerDeps): SweeperHandler {
  const now = deps.now ?? Date.now;
  const { store, queue } = deps;
  const graceMs = deps.sweepGraceSeconds * 1000;

  async function repair(jobId: string, sweepAtMs: number, report: SweepReport, invocationLogger: Logger): Promise<void> {
    const job = await store.get(jobId);
    if (!job || (job.status !== JobStatus.QUEUED && job.status !== JobStatus.IN_PROGRESS)) {
      report.skipped++;
      return;
    }
    const logger = job.requestId ? invocationLogger.child({ apiRequestId: job.requestId }) : invocationLogger;
    const nowMs = now();
    const expected = { sweepAtMs, status: job.status };
    if (job.status === JobStatus.IN_PROGRESS && !isLeaseExpired(job, nowMs)) {
      await store.deferSweep(jobId, expected, (job.leaseExpiresAt ?? nowMs) + 1);
      report.deferred++;
      return;
    }
    if (job.status === JobStatus.IN_PROGRESS && job.attempts >= job.maxAttempts) {
      const failed = await store.failExpiredLease(jobId, job.claimToken ?? "", nowMs);
      logTransition(logger, { job: failed, from: JobStatus.IN_PROGRESS, to: JobStatus.FAILED, by: "sweeper", nowMs, error: ErrorCode.TIMED_OUT });
      report.timedOut++;
      return;
    }
    const dueAtMs = dueAtOfJob(job);
    if (job.status === JobStatus.QUEUED && waitsInSweepIndex(dueAtMs, nowMs)) {
      // Found before its hand-off time (a clock ahead of the one that stored it): not yet.
      await store.deferSweep(jobId, expected, handOffAtMs(dueAtMs));
      report.deferred++;
      return;
    }
    // A QUEUED job not yet due is a hand-off: a job delayed past 900 s gets its first message,
    // with the exact remaining delay, and is looked at again a grace period after it is due.
    // Any other is a repair. Move the entry first: of two sweepers only one enqueues, and a
    // crash before the send leaves the job due again after the grace period. Each message the
    // sweeper did send for the job doubles that period (up to 32×), so a backlogged queue is not
    // flooded with copies of messages it still holds.
    const handOff = job.status === JobStatus.QUEUED && dueAtMs > nowMs;
    const requeues = handOff ? 0 : 1;
    const nextSweepAtMs = Math.max(nowMs, dueAtMs) + graceMs * 2 ** Math.min(job.sweeps ?? 0, 5);
    await store.deferSweep(jobId, expected, nextSweepAtMs, requeues);
    try {
      await queue.enqueue(jobId, handOff ? messageDelaySeconds(dueAtMs, now()) : 0, job.requestId);
    } catch (error) {
      // The message never left: look again after the plain grace period, not the backed-off one.
      await store.deferSweep(jobId, { sweepAtMs: nextSweepAtMs, status: job.status }, nowMs + graceMs, handOff ? 0 : -1).catch(() => undefined);
      throw error;
    }
    if (handOff) {
      logger.info("sweeper.handed_off", { jobId, dueInMs: dueAtMs - nowMs });
      report.handedOff++;
      return;
    }
    logger.info("sweeper.requeued", { jobId, status: job.status, attempts: job.attempts });
    report.requeued++;
  }

  return async (_event, context) => {
    const logger = context?.awsRequestId ? deps.logger.child({ requestId: context.awsRequestId }) : deps.logger;
    const report: SweepReport = { examined: 0, handedOff: 0, requeued: 0, timedOut: 0, deferred: 0, skipped: 0, errors: 0 };
    const due = await store.findDue(now(), deps.maxJobsPerRun);
    report.examined = due.length;
    const parallelism = deps.parallelism ?? 16;
    for (let start = 0; start < due.length; start += parallelism) {
      await Promise.all(
        due.slice(start, start + parallelism).map(async ({ jobId, sweepAt }) => {
          try {
            await repair(jobId, sweepAt, report, logger);
          } catch (error) {
            if (error instanceof ConditionFailedError || error instanceof StaleClaimError) {
              report.skipped++;
            } else {
              report.errors++;
              logger.error("sweeper.repair_failed", { jobId, ...describeError(error) });
            }
          }
        }),
      );
    }
    logger.info("sweeper.run", { ...report });
    return report;
  };
}
