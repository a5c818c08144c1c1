import { Cron } from "croner";
import * as v from "valibot";
import type { JobTypeRegistry } from "./jobTypes";
import { SCHEDULE_NAME } from "./schedule";
import { toFieldErrors, validateSubmission } from "./submission";

/**
 * One entry of the stack's `schedules` config: a job of `type` with `payload`, made at every fire
 * of `expression` in `timezone`. The Pulumi program declares each as an EventBridge Scheduler
 * schedule (`infra/schedules.ts`); `npm start` fires the same ones (`local/schedules.ts`).
 */
export interface ScheduleConfig {
  name: string;
  /** An EventBridge Scheduler expression: `cron(minutes hours day-of-month month day-of-week year)` or `rate(value unit)`. */
  expression: string;
  /** The IANA time zone a cron expression is read in. @default "UTC" */
  timezone: string;
  type: string;
  payload: unknown;
  /** A disabled schedule is declared (state `DISABLED`) but never fires. @default true */
  enabled: boolean;
}

const ScheduleEntrySchema = v.strictObject({
  name: v.pipe(v.string("must be a string"), v.regex(SCHEDULE_NAME, "must be 1 to 64 letters, digits, '-', '_' or '.' (an EventBridge Scheduler schedule name)")),
  expression: v.string("must be a string: cron(...) or rate(...)"),
  timezone: v.optional(v.string("must be a string: an IANA time zone such as Europe/Paris"), "UTC"),
  type: v.string("must be a string: a job type"),
  payload: v.optional(v.unknown(), () => ({})),
  enabled: v.optional(v.boolean("must be true or false"), true),
});

/** A cron expression's fields as EventBridge Scheduler takes them, each with its range and the characters it allows. */
const CRON_FIELDS = [
  { name: "minutes", min: 0, max: 59, chars: /^[\d,\-*/]+$/ },
  { name: "hours", min: 0, max: 23, chars: /^[\d,\-*/]+$/ },
  { name: "day-of-month", min: 1, max: 31, chars: /^([\d,\-*/LW]+|\?)$/ },
  { name: "month", min: 1, max: 12, chars: /^([\d,\-*/]|JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)+$/i },
  { name: "day-of-week", min: 1, max: 7, chars: /^([\d,\-*L#]|SUN|MON|TUE|WED|THU|FRI|SAT)+$|^\?$/i },
  { name: "year", min: 1970, max: 2199, chars: /^[\d,\-*/]+$/ },
] as const;

const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
const UNIT_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;

/** When a schedule fires: the next fire after a time, and the latest at or before one. */
export interface FireTimes {
  /** The first fire strictly after `afterMs`; undefined when none is left (a cron whose years have passed). */
  next(afterMs: number): number | undefined;
  /** The latest fire at or before `atMs`; undefined when there was none. */
  latestAtOrBefore(atMs: number): number | undefined;
}

/**
 * The fire times of an expression, or the reason it is not one EventBridge Scheduler takes.
 *
 * - `cron(...)`: EventBridge's six fields, one of day-of-month and day-of-week `?`, read in the
 *   zone by croner (Quartz weekday numbers, 1 = Sunday; both day fields must match).
 * - `rate(N unit)`: every N minutes, hours or days (singular unit for 1). Scheduler counts a
 *   rate from the schedule's creation; the local stack counts it from the Unix epoch (a
 *   `rate(5 minutes)` fires at :00, :05, ...), so a restart keeps its phase.
 */
export function fireTimes(expression: string, timezone: string): { ok: true; times: FireTimes } | { ok: false; problem: string } {
  if (!isTimeZone(timezone)) return { ok: false, problem: `timezone ${JSON.stringify(timezone)} is not an IANA time zone (such as UTC or Europe/Paris)` };
  const rate = RATE.exec(expression);
  if (rate) {
    const value = Number(rate[1]);
    const unit = rate[2]!.replace(/s$/, "") as keyof typeof UNIT_MS;
    if (value < 1) return { ok: false, problem: `${expression}: the rate must be at least 1` };
    const plural = rate[2]!.endsWith("s");
    if (value === 1 && plural) return { ok: false, problem: `${expression}: write rate(1 ${unit}), in the singular` };
    if (value > 1 && !plural) return { ok: false, problem: `${expression}: write rate(${value} ${unit}s), in the plural` };
    const periodMs = value * UNIT_MS[unit];
    return {
      ok: true,
      times: {
        next: (afterMs) => (Math.floor(afterMs / periodMs) + 1) * periodMs,
        latestAtOrBefore: (atMs) => Math.floor(atMs / periodMs) * periodMs,
      },
    };
  }
  const cron = /^cron\((.*)\)$/.exec(expression);
  if (!cron) return { ok: false, problem: `${JSON.stringify(expression)} is neither cron(minutes hours day-of-month month day-of-week year) nor rate(value unit)` };
  const fields = cron[1]!.trim().split(/\s+/);
  if (fields.length !== 6) return { ok: false, problem: `${expression}: a cron expression has 6 fields (minutes hours day-of-month month day-of-week year), not ${fields.length}` };
  for (const [index, field] of CRON_FIELDS.entries()) {
    if (!field.chars.test(fields[index]!)) return { ok: false, problem: `${expression}: ${field.name} ${JSON.stringify(fields[index])} is not allowed there` };
  }
  const [, , dayOfMonth, , dayOfWeek] = fields;
  if ((dayOfMonth === "?") === (dayOfWeek === "?")) return { ok: false, problem: `${expression}: exactly one of day-of-month and day-of-week must be ?` };
  for (const [index, field] of CRON_FIELDS.entries()) {
    const problem = rangeProblem(fields[index]!, field);
    if (problem) return { ok: false, problem: `${expression}: ${field.name} ${JSON.stringify(fields[index])}: ${problem}` };
  }
  if (dayOfWeek!.includes("#") && dayOfWeek!.includes(",")) return { ok: false, problem: `${expression}: day-of-week ${JSON.stringify(dayOfWeek)}: with # it takes one value only (3#1, not 3#1,6#3)` };
  let job: Cron;
  try {
    job = new Cron(cronerPattern(fields), { timezone, paused: true, alternativeWeekdays: true, domAndDow: true });
  } catch (error) {
    return { ok: false, problem: `${expression}: ${(error as Error).message.replace(/^CronPattern: /, "")}` };
  }
  // A fire croner moved out of a wall-clock time the zone skipped (02:30 on a spring-forward
  // night): Scheduler skips that invocation, and so does the local stack.
  const minutes = valuesOf(fields[0]!, CRON_FIELDS[0]);
  const hours = valuesOf(fields[1]!, CRON_FIELDS[1]);
  const wallClock = new Intl.DateTimeFormat("en-GB", { timeZone: timezone, hour: "numeric", minute: "numeric", hourCycle: "h23" });
  const onItsWallClock = (date: Date) => {
    const parts = Object.fromEntries(wallClock.formatToParts(date).map((part) => [part.type, part.value]));
    return hours.has(Number(parts.hour)) && minutes.has(Number(parts.minute));
  };
  const safely = (find: () => Date | null | undefined): Date | undefined => {
    try {
      return find() ?? undefined;
    } catch {
      // croner fails (rather than answering none) on some days that never come (31 April).
      return undefined;
    }
  };
  const next = (afterMs: number): number | undefined => {
    let after = afterMs;
    // In an autumn hour that happens twice croner may answer a fire before its reference (the
    // hour's first pass): step the reference on a minute at a time until its answer is after it.
    for (let tries = 0; tries < 300; tries++) {
      const fire = safely(() => job.nextRun(new Date(after)));
      if (!fire) return undefined;
      if (fire.getTime() > afterMs && onItsWallClock(fire)) return fire.getTime();
      after = fire.getTime() > after ? fire.getTime() : Math.floor(after / 60_000) * 60_000 + 60_000;
    }
    return undefined;
  };
  // A day that exists in no year (30 February): refused, as a schedule that can never fire.
  if (next(Date.UTC(1970, 0, 1)) === undefined) return { ok: false, problem: `${expression}: never fires (no date matches its day and month)` };
  return {
    ok: true,
    times: {
      next,
      latestAtOrBefore: (atMs) => {
        // previousRuns is strictly before its reference: one second past `atMs` includes a fire at it.
        let before = atMs + 1000;
        // Past a skipped wall-clock time croner answers the moved fire, even from references in
        // or before it: step back a minute at a time (fires are whole minutes) until its answer
        // is a real one (a gap is at most a few hours).
        for (let tries = 0; tries < 300; tries++) {
          const fire = safely(() => job.previousRuns(1, new Date(before))[0]);
          if (!fire) return undefined;
          if (fire.getTime() <= atMs && onItsWallClock(fire)) {
            // croner may answer an earlier fire than the latest (again in a repeated autumn hour).
            let latest = fire.getTime();
            for (let later = next(latest); later !== undefined && later <= atMs; later = next(later)) latest = later;
            return latest;
          }
          before = Math.floor((Math.min(fire.getTime(), before) - 1) / 60_000) * 60_000;
        }
        return undefined;
      },
    },
  };
}

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const WEEKDAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/** A field's number or name (months and weekdays by their three letters, 1-based). */
function numberOf(token: string): number {
  const upper = token.toUpperCase();
  if (MONTHS.includes(upper)) return MONTHS.indexOf(upper) + 1;
  if (WEEKDAYS.includes(upper)) return WEEKDAYS.indexOf(upper) + 1;
  return /^\d+$/.test(token) ? Number(token) : Number.NaN;
}

/** Why a field's values fall outside its range (EventBridge's: day-of-week 1-7, year 1970-2199, ...), or undefined. */
function rangeProblem(value: string, field: (typeof CRON_FIELDS)[number]): string | undefined {
  if (value === "*" || value === "?") return undefined;
  for (const part of value.split(",")) {
    const [span = "", step] = part.split("/");
    if (step !== undefined && !(Number(step) >= 1 && /^\d+$/.test(step))) return `step ${JSON.stringify(step)} must be a whole number from 1`;
    if (span === "*" || span === "L" || span === "LW") continue;
    const [base = "", nth] = span.split("#");
    if (nth !== undefined && !/^[1-5]$/.test(nth)) return `#${nth}: the nth weekday of a month is 1 to 5`;
    for (const bound of base.replace(/[LW]$/i, "").split("-")) {
      const number = numberOf(bound);
      if (!(number >= field.min && number <= field.max)) return `${JSON.stringify(bound)} is outside ${field.min}-${field.max}`;
    }
  }
  return undefined;
}

/** The values a minutes or hours field takes (numbers, ranges, steps, `*`). */
function valuesOf(value: string, field: (typeof CRON_FIELDS)[number]): Set<number> {
  const values = new Set<number>();
  for (const part of value.split(",")) {
    const [span = "", step = "1"] = part.split("/");
    const [from, to] = span === "*" ? [field.min, field.max] : span.includes("-") ? span.split("-").map(Number) : [Number(span), part.includes("/") ? field.max : Number(span)];
    for (let n = from!; n <= to!; n += Number(step)) values.add(n);
  }
  return values;
}

/**
 * EventBridge's fields as croner reads them: a seconds field of 0 in front; `N/S` (Quartz: from N
 * every S) as `N-max/S`; a last weekday `5L` as `5#L`.
 */
function cronerPattern(fields: string[]): string {
  const translated = fields.map((field, index) =>
    field
      .split(",")
      // A month or weekday named before a step (JAN/2) by its number, which croner steps from.
      .map((part) => part.replace(/^([A-Z]{3})\//i, (_, name: string) => `${numberOf(name)}/`))
      .map((part) => part.replace(/^(\d+)\/(\d+)$/, `$1-${CRON_FIELDS[index]!.max}/$2`))
      // `L` alone in day-of-week: the week's last day, Saturday (7); `5L`: the month's last Thursday.
      .map((part) => (index === 4 ? (part.toUpperCase() === "L" ? "7" : part.replace(/^(\w+)L$/i, "$1#L")) : part))
      .join(","),
  );
  return ["0", ...translated].join(" ");
}

/**
 * A zone of the tz database as Scheduler takes it: `Europe/Paris`, an alias such as `US/Eastern`,
 * `UTC`. Intl also takes offsets (`+02:00`) and any letter case (`europe/paris`), which are no
 * tz database names.
 */
function isTimeZone(zone: string): boolean {
  // Every tz database name's parts start with a capital (America/Argentina/Buenos_Aires, Etc/GMT+2, UTC).
  if (!zone.split("/").every((part) => /^[A-Z]/.test(part))) return false;
  try {
    const resolved = new Intl.DateTimeFormat("en-US", { timeZone: zone }).resolvedOptions().timeZone;
    return resolved === zone || resolved.toLowerCase() !== zone.toLowerCase();
  } catch {
    return false;
  }
}

/**
 * The `schedules` config, validated: every entry's shape, a unique name, an expression and zone
 * Scheduler takes, a known job type and a payload its schema accepts, the fires' jobs being
 * ordinary submissions. Every problem names its schedule (`schedules[i] (name)`), so
 * `pulumi preview` and `npm start` refuse bad config saying which entry is wrong.
 */
export function parseSchedules(raw: unknown, jobTypes: JobTypeRegistry): { ok: true; schedules: ScheduleConfig[] } | { ok: false; problems: string[] } {
  if (raw === undefined) return { ok: true, schedules: [] };
  if (!Array.isArray(raw)) return { ok: false, problems: ["schedules must be a list of {name, expression, timezone, type, payload, enabled}"] };
  const problems: string[] = [];
  const schedules: ScheduleConfig[] = [];
  const seen = new Set<string>();
  raw.forEach((entry, index) => {
    const name = typeof entry === "object" && entry !== null && typeof (entry as { name?: unknown }).name === "string" ? (entry as { name: string }).name : undefined;
    const where = `schedules[${index}]${name === undefined ? "" : ` (${name})`}`;
    const parsed = v.safeParse(ScheduleEntrySchema, entry);
    if (!parsed.success) {
      problems.push(...toFieldErrors(parsed.issues).map((error) => `${where}: ${error.path || "entry"}: ${error.message}`));
      return;
    }
    const schedule = parsed.output as ScheduleConfig;
    if (seen.has(schedule.name)) problems.push(`${where}: another schedule has the name ${schedule.name}`);
    seen.add(schedule.name);
    const times = fireTimes(schedule.expression, schedule.timezone);
    if (!times.ok) problems.push(`${where}: ${times.problem}`);
    const submission = validateSubmission({ type: schedule.type, payload: schedule.payload }, jobTypes);
    if (!submission.ok) problems.push(...submission.errors.map((error) => `${where}: ${error.path}: ${error.message}`));
    schedules.push(schedule);
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, schedules };
}
