import * as v from "valibot";
import { PUBLIC_OWNER, type AuthMode } from "../auth/authMode";
import { RESERVED_KEY_PREFIX } from "./submission";

/**
 * A schedule's fire as the api function receives it: what EventBridge Scheduler sends as the
 * target's input (`infra/schedules.ts`), and what the local stack's timer passes (`local/schedules.ts`).
 * `scheduledTime` is Scheduler's `<aws.scheduler.scheduled-time>`: the time the fire was due,
 * the same on every delivery of it, never the time it arrived.
 */
export interface ScheduleFire {
  /** Marks the event as a fire: an API Gateway event never has it. */
  cloudqueue: typeof SCHEDULE_FIRE;
  schedule: string;
  scheduledTime: string;
  type: string;
  payload: unknown;
}

/** The value of a fire's `cloudqueue` field. */
export const SCHEDULE_FIRE = "schedule-fire";

/** A schedule's name: what EventBridge Scheduler takes as a schedule name (1 to 64 of `0-9A-Za-z-_.`). */
export const SCHEDULE_NAME = /^[0-9A-Za-z_.-]{1,64}$/;

/** A scheduled time as Scheduler writes it: UTC, whole seconds (`2026-12-03T07:00:00Z`). */
const SCHEDULED_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;

const ScheduleFireSchema = v.object({
  cloudqueue: v.literal(SCHEDULE_FIRE),
  schedule: v.pipe(v.string(), v.regex(SCHEDULE_NAME)),
  scheduledTime: v.pipe(v.string(), v.regex(SCHEDULED_TIME)),
  type: v.string(),
  payload: v.unknown(),
});

/** Whether a Lambda event is a schedule's fire (any other event is an API Gateway request). */
export function isScheduleFireEvent(event: unknown): boolean {
  return typeof event === "object" && event !== null && (event as { cloudqueue?: unknown }).cloudqueue === SCHEDULE_FIRE;
}

/** The fire an event holds, or the reason it holds none. */
export function parseScheduleFire(event: unknown): { ok: true; fire: ScheduleFire } | { ok: false; problem: string } {
  const parsed = v.safeParse(ScheduleFireSchema, event);
  if (parsed.success) return { ok: true, fire: parsed.output as ScheduleFire };
  return { ok: false, problem: parsed.issues.map((issue) => `${v.getDotPath(issue) ?? "event"}: ${issue.message}`).join("; ") };
}

/** A time as Scheduler writes `<aws.scheduler.scheduled-time>`: UTC to the second. */
export function scheduledTimeText(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.000Z$/, "Z");
}

/**
 * The idempotency key of one fire: the schedule and the time it was due. Every delivery of one
 * fire (Scheduler delivers at least once; a restarted local stack catches a missed fire up) has
 * the same key, so they make one job; two fires never share one.
 */
export function scheduleFireKey(schedule: string, scheduledTime: string): string {
  return `${RESERVED_KEY_PREFIX}${schedule}#${scheduledTime}`;
}

/**
 * Who owns a schedule's jobs: on the public demo, the one public owner (everyone sees them); on a
 * closed stack, the schedule itself (`schedule:<name>`), whose jobs an admin sees and acts on.
 */
export function scheduleOwner(schedule: string, mode: AuthMode): string {
  return mode === "none" ? PUBLIC_OWNER : `schedule:${schedule}`;
}
