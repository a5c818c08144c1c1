import type { AuthMode } from "../auth/authMode";
import { parseScheduleFire, scheduleFireKey, scheduleOwner } from "../domain/schedule";
import { validateSubmission } from "../domain/submission";
import { IdempotencyKeyConflictError } from "../errors";
import type { Logger } from "../log";
import { JobService, type JobServiceDeps } from "./jobService";

export interface ScheduleFireDeps extends Omit<JobServiceDeps, "caller" | "requestId"> {
  authMode: AuthMode;
}

/** What a fire did: made its job, found the job an earlier delivery of the same fire made, or found another job under its key. */
export interface ScheduleFireResult {
  schedule: string;
  scheduledTime: string;
  jobId: string;
  outcome: "created" | "replayed" | "conflict";
}

/** A fire that is not one, or whose job the job type refuses: the invocation fails, and Lambda retries it, then dead-letters it. */
export class ScheduleFireError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ScheduleFireError";
  }
}

/**
 * A schedule's fire (EventBridge Scheduler's invocation of the api function, or the local
 * stack's timer): the job of the fire, submitted through {@link JobService.submit} as any job,
 * under the idempotency key of the schedule and the scheduled time. Scheduler delivers at least
 * once; a second delivery of the same fire finds the first one's job (`replayed`) and makes none.
 *
 * A fire that does not parse, or whose payload the job type refuses (the type changed since the
 * schedule was deployed), throws: the failure is explicit (the function's error metric, Lambda's
 * retries, then the schedules' dead-letter queue), never a silently missing job.
 */
export function createScheduleFireHandler(deps: ScheduleFireDeps): (event: unknown, logger?: Logger) => Promise<ScheduleFireResult> {
  const now = deps.now ?? Date.now;
  return async (event, logger = deps.logger) => {
    const parsed = parseScheduleFire(event);
    if (!parsed.ok) {
      logger.error("schedule.fire_invalid", { problem: parsed.problem });
      throw new ScheduleFireError(`not a schedule fire: ${parsed.problem}`);
    }
    const { schedule, scheduledTime, type, payload } = parsed.fire;
    const fireLogger = logger.child({ schedule, scheduledTime });
    const validation = validateSubmission({ type, payload }, deps.jobTypes, now());
    if (!validation.ok) {
      fireLogger.error("schedule.fire_refused", { errors: validation.errors });
      throw new ScheduleFireError(`schedule ${schedule}: its job is invalid: ${validation.errors.map((error) => `${error.path}: ${error.message}`).join("; ")}`);
    }
    const service = new JobService({ ...deps, logger: fireLogger, caller: { owner: scheduleOwner(schedule, deps.authMode), admin: false, scopes: [] } });
    const result = { schedule, scheduledTime };
    try {
      const { job, replayed } = await service.submit(validation.submission, scheduleFireKey(schedule, scheduledTime), schedule);
      fireLogger.info("schedule.fired", { jobId: job.jobId, replayed });
      return { ...result, jobId: job.jobId, outcome: replayed ? "replayed" : "created" };
    } catch (error) {
      if (!(error instanceof IdempotencyKeyConflictError)) throw error;
      // The fire's key already made a job of another payload: the schedule's payload changed
      // between two deliveries of one fire. That job is the fire's; no second one is made.
      fireLogger.warn("schedule.fire_conflict", { jobId: error.jobId });
      return { ...result, jobId: error.jobId, outcome: "conflict" };
    }
  };
}
