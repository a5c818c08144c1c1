import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ScheduleFireResult } from "../handlers/api/scheduleFire";
import { describeError, type Logger } from "../handlers/log";
import { SCHEDULE_FIRE, scheduledTimeText, type ScheduleFire } from "../handlers/domain/schedule";
import { fireTimes, type FireTimes, type ScheduleConfig } from "../handlers/domain/scheduleConfig";

/** The file in the data folder that remembers each schedule's last fire, for the catch-up after a restart. */
export const SCHEDULES_STATE_FILE = "schedules.json";

/** Tries of one fire (the first and its retries), and the wait before the first retry (doubling): Scheduler's retry policy, locally. */
const FIRE_TRIES = 4;
const FIRE_RETRY_MS = 1_000;
/** setTimeout takes at most 2^31 - 1 ms; a fire further off re-arms on the way. */
const MAX_TIMER_MS = 2_147_483_647;
/** Missed fires counted at most, for the report (a rate(1 minute) stopped for a year stops counting here). */
const MAX_MISSED_COUNTED = 10_000;

export interface LocalSchedulesDeps {
  schedules: readonly ScheduleConfig[];
  /** The api function's entry for a fire (what Scheduler invokes on AWS). */
  fire: (event: ScheduleFire) => Promise<ScheduleFireResult>;
  logger: Logger;
  /** The data folder, where the last fires are kept; none in memory (no catch-up). */
  dataDir?: string;
  now?: () => number;
}

/** One schedule as `npm start` shows it. */
export interface ScheduleStatus {
  name: string;
  expression: string;
  timezone: string;
  enabled: boolean;
  /** The next fires (epoch ms), at most three; none for a disabled schedule or one with no fire left. */
  next: number[];
  /** Fires missed while the stack was stopped (since its last fire); the latest of them is fired once at start. */
  missed: number;
  /** The missed fire caught up at start, its scheduled time. */
  caughtUp?: string;
}

/**
 * The stack's schedules, fired locally as EventBridge Scheduler fires them on AWS: each fire is
 * the api function's {@link ScheduleFire}, so it makes its job through the same submit path, under
 * the same key (`schedule:<name>#<scheduled time>`).
 *
 * After a restart each schedule catches up **at most one** missed fire: the latest one due while
 * the stack was stopped, with its own scheduled time (so it makes the job that fire would have
 * made, and never a second one); the earlier missed fires are counted and reported, not made.
 * The data folder keeps each schedule's last fire for this; an in-memory stack catches up nothing.
 * A fire that fails (the store unavailable) is tried again, {@link FIRE_TRIES} times in all, then
 * logged as `schedule.fire_failed`.
 */
export class LocalSchedules {
  private readonly now: () => number;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly running = new Set<Promise<void>>();
  private readonly times = new Map<string, FireTimes>();
  private last: Record<string, number> = {};
  /** Each schedule's expression and zone at its last start, or `disabled`: a change starts its fires afresh. */
  private definitions: Record<string, string> = {};
  private stopped = false;

  constructor(private readonly deps: LocalSchedulesDeps) {
    this.now = deps.now ?? Date.now;
    for (const schedule of deps.schedules) {
      const times = fireTimes(schedule.expression, schedule.timezone);
      if (!times.ok) throw new Error(`schedule ${schedule.name}: ${times.problem}`);
      this.times.set(schedule.name, times.times);
    }
  }

  /** Starts every enabled schedule's timer, after firing each one's latest missed fire (at most one); returns what it did and the next fires. */
  async start(): Promise<ScheduleStatus[]> {
    ({ lastFires: this.last, definitions: this.definitions } = this.readState());
    const nowMs = this.now();
    const statuses: ScheduleStatus[] = [];
    for (const schedule of this.deps.schedules) {
      const times = this.times.get(schedule.name)!;
      const status: ScheduleStatus = { name: schedule.name, expression: schedule.expression, timezone: schedule.timezone, enabled: schedule.enabled, next: [], missed: 0 };
      statuses.push(status);
      const definition = schedule.enabled ? `${schedule.expression} ${schedule.timezone}` : "disabled";
      if (this.definitions[schedule.name] !== undefined && this.definitions[schedule.name] !== definition) {
        // Disabled, or another expression or zone, since the last start: the fires of the old one
        // are no missed fires of this one (a DISABLED schedule on Scheduler backfills nothing).
        delete this.last[schedule.name];
      }
      this.definitions[schedule.name] = definition;
      if (!schedule.enabled) continue;
      const last = this.last[schedule.name];
      const latest = times.latestAtOrBefore(nowMs);
      if (last !== undefined && latest !== undefined && latest > last) {
        status.missed = countFires(times, last, latest);
        status.caughtUp = scheduledTimeText(latest);
        this.deps.logger.info("schedule.catch_up", { schedule: schedule.name, missed: status.missed, scheduledTime: status.caughtUp });
        await this.fire(schedule, latest);
      } else if (last === undefined) {
        // First start with this schedule: nothing was missed; later restarts count from now.
        this.remember(schedule.name, latest ?? nowMs);
      }
      status.next = this.nextFires(times, nowMs, 3);
      this.arm(schedule);
    }
    // Once for every schedule's definition (the fires above wrote their own last fires as they went).
    this.writeState();
    return statuses;
  }

  /** Stops every timer and waits for the fires in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    await Promise.all(this.running);
  }

  /** The next `count` fires of an enabled schedule after `afterMs`. */
  private nextFires(times: FireTimes, afterMs: number, count: number): number[] {
    const fires: number[] = [];
    for (let at = times.next(afterMs); at !== undefined && fires.length < count; at = times.next(at)) fires.push(at);
    return fires;
  }

  private arm(schedule: ScheduleConfig): void {
    if (this.stopped) return;
    const times = this.times.get(schedule.name)!;
    const due = times.next(Math.max(this.now(), this.last[schedule.name] ?? -Infinity));
    if (due === undefined) return;
    const wait = due - this.now();
    const timer = setTimeout(() => {
      if (wait > MAX_TIMER_MS) return this.arm(schedule);
      const run = this.fire(schedule, due).finally(() => {
        this.running.delete(run);
        this.arm(schedule);
      });
      this.running.add(run);
    }, Math.max(0, Math.min(wait, MAX_TIMER_MS)));
    timer.unref?.();
    this.timers.set(schedule.name, timer);
  }

  /** One fire, tried again after a failure; remembered once its job is made (or found). */
  private async fire(schedule: ScheduleConfig, scheduledMs: number): Promise<void> {
    const event: ScheduleFire = { cloudqueue: SCHEDULE_FIRE, schedule: schedule.name, scheduledTime: scheduledTimeText(scheduledMs), type: schedule.type, payload: schedule.payload };
    for (let attempt = 1; ; attempt++) {
      try {
        await this.deps.fire(event);
        this.remember(schedule.name, scheduledMs);
        return;
      } catch (error) {
        if (attempt >= FIRE_TRIES || this.stopped) {
          this.deps.logger.error("schedule.fire_failed", { schedule: schedule.name, scheduledTime: event.scheduledTime, attempts: attempt, ...describeError(error) });
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, FIRE_RETRY_MS * 2 ** (attempt - 1)));
      }
    }
  }

  private remember(name: string, scheduledMs: number): void {
    this.last[name] = Math.max(scheduledMs, this.last[name] ?? -Infinity);
    this.writeState();
  }

  private writeState(): void {
    if (this.deps.dataDir === undefined) return;
    const file = join(this.deps.dataDir, SCHEDULES_STATE_FILE);
    // Written whole then renamed: a crash mid-write leaves the previous state, never half of one.
    writeFileSync(`${file}.tmp`, `${JSON.stringify({ lastFires: this.last, definitions: this.definitions }, null, 2)}\n`);
    renameSync(`${file}.tmp`, file);
  }

  private readState(): { lastFires: Record<string, number>; definitions: Record<string, string> } {
    const none = { lastFires: {}, definitions: {} };
    if (this.deps.dataDir === undefined) return none;
    const file = join(this.deps.dataDir, SCHEDULES_STATE_FILE);
    if (!existsSync(file)) return none;
    try {
      const state = JSON.parse(readFileSync(file, "utf8")) as { lastFires?: Record<string, unknown>; definitions?: Record<string, unknown> };
      return {
        lastFires: Object.fromEntries(Object.entries(state.lastFires ?? {}).filter((entry): entry is [string, number] => typeof entry[1] === "number")),
        definitions: Object.fromEntries(Object.entries(state.definitions ?? {}).filter((entry): entry is [string, string] => typeof entry[1] === "string")),
      };
    } catch (error) {
      // An unreadable state only loses the catch-up, never a job: say so and start afresh.
      this.deps.logger.warn("schedule.state_unreadable", { file, ...describeError(error) });
      return none;
    }
  }
}

/** Fires in (`afterMs`, `untilMs`], counted up to {@link MAX_MISSED_COUNTED}. */
function countFires(times: FireTimes, afterMs: number, untilMs: number): number {
  let count = 0;
  for (let at = times.next(afterMs); at !== undefined && at <= untilMs && count < MAX_MISSED_COUNTED; at = times.next(at)) count++;
  return count;
}
