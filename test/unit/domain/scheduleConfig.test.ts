import { expect } from "chai";
import { builtInJobTypes } from "../../../handlers/domain/jobTypes";
import { fireTimes, parseSchedules, type FireTimes } from "../../../handlers/domain/scheduleConfig";

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString().replace(/\.000Z$/, "Z"));

function timesOf(expression: string, zone = "UTC"): FireTimes {
  const parsed = fireTimes(expression, zone);
  if (!parsed.ok) throw new Error(`${expression} in ${zone} refused: ${parsed.problem}`);
  return parsed.times;
}

/** The first `count` fires strictly after `from`. */
function firesAfter(expression: string, from: string, count: number, zone = "UTC"): (string | undefined)[] {
  const times = timesOf(expression, zone);
  const fires: (string | undefined)[] = [];
  let ms: number | undefined = at(from);
  for (let n = 0; n < count && ms !== undefined; n++) {
    ms = times.next(ms);
    fires.push(iso(ms));
  }
  return fires;
}

function problemOf(expression: string, zone = "UTC"): string {
  const parsed = fireTimes(expression, zone);
  expect(parsed.ok, `${expression} in ${zone} was accepted`).to.equal(false);
  return (parsed as { problem: string }).problem;
}

describe("domain/scheduleConfig: fireTimes", () => {
  describe("cron in a time zone", () => {
    it("fires a Paris cron(0 3 * * ? *) at 02:00Z in winter and 01:00Z in summer, across the March change", () => {
      // Europe/Paris leaves CET (UTC+1) for CEST (UTC+2) on Sunday 2026-03-29.
      expect(firesAfter("cron(0 3 * * ? *)", "2026-03-27T00:00:00Z", 4, "Europe/Paris")).to.deep.equal([
        "2026-03-27T02:00:00Z",
        "2026-03-28T02:00:00Z",
        "2026-03-29T01:00:00Z",
        "2026-03-30T01:00:00Z",
      ]);
    });

    it("fires it at 01:00Z in summer and 02:00Z in winter again across the October change, once a day", () => {
      // CEST back to CET on Sunday 2026-10-25.
      expect(firesAfter("cron(0 3 * * ? *)", "2026-10-23T00:00:00Z", 4, "Europe/Paris")).to.deep.equal([
        "2026-10-23T01:00:00Z",
        "2026-10-24T01:00:00Z",
        "2026-10-25T02:00:00Z",
        "2026-10-26T02:00:00Z",
      ]);
    });

    it("fires a local time that occurs twice in the October change once only (Scheduler: runs only once)", () => {
      // 02:30 Paris happens at 00:30Z (CEST) and again at 01:30Z (CET) on 2026-10-25.
      expect(firesAfter("cron(30 2 * * ? *)", "2026-10-24T12:00:00Z", 2, "Europe/Paris")).to.deep.equal(["2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"]);
    });

    // BUG (divergence from EventBridge Scheduler): AWS documents that "when the time shifts forward in
    // Spring, your schedule invocation gets skipped if the cron expression falls on a non-existent
    // date and time" (repost.aws knowledge-center/eventbridge-scheduler-adjust-dst). 02:00 does not
    // exist in Paris on 2026-03-29, but croner (handlers/domain/scheduleConfig.ts fireTimes) moves
    // the fire to 03:00 CEST (01:00Z), so the local stack makes a job Scheduler never makes.
    it("skips a Paris cron(0 2 * * ? *) on the day 02:00 does not exist, as Scheduler does", () => {
      expect(firesAfter("cron(0 2 * * ? *)", "2026-03-28T12:00:00Z", 2, "Europe/Paris")).to.deep.equal(["2026-03-30T00:00:00Z", "2026-03-31T00:00:00Z"]);
    });

    it("never answers a next fire at or before its reference, nor an earlier latest, inside a repeated autumn hour", () => {
      // New York, 2026-11-01: 01:00-01:59 happens at 05:xxZ (EDT) and again at 06:xxZ (EST).
      const parsed = fireTimes("cron(30 1 * * ? *)", "America/New_York");
      if (!parsed.ok) throw new Error(parsed.problem);
      for (const reference of ["2026-11-01T06:00:00Z", "2026-11-01T06:10:00Z", "2026-11-01T06:29:00Z"]) {
        expect(new Date(parsed.times.next(at(reference))!).toISOString(), reference).to.equal("2026-11-02T06:30:00.000Z");
        expect(new Date(parsed.times.latestAtOrBefore(at(reference))!).toISOString(), reference).to.equal("2026-11-01T05:30:00.000Z");
      }
    });

    it("reads the same cron in UTC by default zone and in another zone at different instants", () => {
      expect(firesAfter("cron(0 12 * * ? *)", "2026-01-01T00:00:00Z", 1)).to.deep.equal(["2026-01-01T12:00:00Z"]);
      expect(firesAfter("cron(0 12 * * ? *)", "2026-01-01T00:00:00Z", 1, "America/New_York")).to.deep.equal(["2026-01-01T17:00:00Z"]);
      expect(firesAfter("cron(0 12 * * ? *)", "2026-01-01T00:00:00Z", 1, "Asia/Tokyo")).to.deep.equal(["2026-01-01T03:00:00Z"]);
    });
  });

  describe("cron day fields", () => {
    it("fires cron(0 12 ? * 2#1 *) on the first Monday of each month (Quartz: 2 = Monday)", () => {
      // 2026: Jan 5, Feb 2, Mar 2, Apr 6 are the first Mondays.
      expect(firesAfter("cron(0 12 ? * 2#1 *)", "2026-01-01T00:00:00Z", 4)).to.deep.equal(["2026-01-05T12:00:00Z", "2026-02-02T12:00:00Z", "2026-03-02T12:00:00Z", "2026-04-06T12:00:00Z"]);
      expect(firesAfter("cron(0 12 ? * MON#1 *)", "2026-01-01T00:00:00Z", 2)).to.deep.equal(["2026-01-05T12:00:00Z", "2026-02-02T12:00:00Z"]);
    });

    it("numbers weekdays as Quartz does: 1 is Sunday, 7 is Saturday, MON-FRI is 2-6", () => {
      // 2026-01-01 is a Thursday.
      expect(firesAfter("cron(0 10 ? * 1 *)", "2026-01-01T00:00:00Z", 1)).to.deep.equal(["2026-01-04T10:00:00Z"]);
      expect(firesAfter("cron(0 10 ? * 7 *)", "2026-01-01T00:00:00Z", 1)).to.deep.equal(["2026-01-03T10:00:00Z"]);
      expect(firesAfter("cron(0 18 ? * MON-FRI *)", "2026-01-01T00:00:00Z", 3)).to.deep.equal(firesAfter("cron(0 18 ? * 2-6 *)", "2026-01-01T00:00:00Z", 3));
      expect(firesAfter("cron(0 18 ? * MON-FRI *)", "2026-01-01T00:00:00Z", 3)).to.deep.equal(["2026-01-01T18:00:00Z", "2026-01-02T18:00:00Z", "2026-01-05T18:00:00Z"]);
    });

    it("fires L in day-of-month on each month's last day, February of a leap year included", () => {
      expect(firesAfter("cron(0 0 L * ? *)", "2026-01-15T00:00:00Z", 4)).to.deep.equal(["2026-01-31T00:00:00Z", "2026-02-28T00:00:00Z", "2026-03-31T00:00:00Z", "2026-04-30T00:00:00Z"]);
      expect(firesAfter("cron(0 0 L 2 ? 2028)", "2028-01-01T00:00:00Z", 1)).to.deep.equal(["2028-02-29T00:00:00Z"]);
    });

    it("fires W on the weekday nearest the day, never leaving the month, and LW on the last weekday", () => {
      // 2026-02-15 and 2026-03-15 are Sundays: Monday the 16th; 2026-02-01 is a Sunday: Monday the 2nd.
      expect(firesAfter("cron(0 0 15W * ? *)", "2026-01-01T00:00:00Z", 3)).to.deep.equal(["2026-01-15T00:00:00Z", "2026-02-16T00:00:00Z", "2026-03-16T00:00:00Z"]);
      expect(firesAfter("cron(0 12 1W * ? *)", "2026-01-15T00:00:00Z", 2)).to.deep.equal(["2026-02-02T12:00:00Z", "2026-03-02T12:00:00Z"]);
      // 2026-01-31 and 2026-02-28 are Saturdays.
      expect(firesAfter("cron(0 0 LW * ? *)", "2026-01-01T00:00:00Z", 3)).to.deep.equal(["2026-01-30T00:00:00Z", "2026-02-27T00:00:00Z", "2026-03-31T00:00:00Z"]);
    });

    it("fires 6L in day-of-week on the month's last Friday", () => {
      expect(firesAfter("cron(0 0 ? * 6L *)", "2026-01-01T00:00:00Z", 3)).to.deep.equal(["2026-01-30T00:00:00Z", "2026-02-27T00:00:00Z", "2026-03-27T00:00:00Z"]);
    });

    it("reads N/S as Quartz does (from N every S), and month names", () => {
      expect(firesAfter("cron(5/20 * * * ? *)", "2026-01-01T00:00:00Z", 4)).to.deep.equal(["2026-01-01T00:05:00Z", "2026-01-01T00:25:00Z", "2026-01-01T00:45:00Z", "2026-01-01T01:05:00Z"]);
      expect(firesAfter("cron(0/15 * * * ? *)", "2026-01-01T00:00:00Z", 2)).to.deep.equal(["2026-01-01T00:15:00Z", "2026-01-01T00:30:00Z"]);
      expect(firesAfter("cron(0 9 * JAN-MAR ? *)", "2026-03-30T12:00:00Z", 2)).to.deep.equal(["2026-03-31T09:00:00Z", "2027-01-01T09:00:00Z"]);
    });

    it("has no fire left after its years, and none before them", () => {
      const past = timesOf("cron(0 0 1 1 ? 2025)");
      expect(past.next(at("2026-01-01T00:00:00Z"))).to.equal(undefined);
      expect(iso(past.latestAtOrBefore(at("2026-01-01T00:00:00Z")))).to.equal("2025-01-01T00:00:00Z");
      const future = timesOf("cron(0 0 1 1 ? 2027)");
      expect(future.latestAtOrBefore(at("2026-06-01T00:00:00Z"))).to.equal(undefined);
      expect(iso(future.next(at("2026-06-01T00:00:00Z")))).to.equal("2027-01-01T00:00:00Z");
    });

    it("counts a fire exactly at the time as the latest at or before it, and never as the next after it", () => {
      const times = timesOf("cron(0 3 * * ? *)", "Europe/Paris");
      expect(iso(times.latestAtOrBefore(at("2026-01-10T02:00:00Z")))).to.equal("2026-01-10T02:00:00Z");
      expect(iso(times.latestAtOrBefore(at("2026-01-10T01:59:59Z")))).to.equal("2026-01-09T02:00:00Z");
      expect(iso(times.next(at("2026-01-10T02:00:00Z")))).to.equal("2026-01-11T02:00:00Z");
    });

    // BUG: handlers/domain/scheduleConfig.ts fireTimes, latestAtOrBefore (job.previousRuns). A cron
    // whose day never exists (cron(0 0 30 2 ? *): Feb 30; cron(0 0 31 4 ? *): Apr 31) is accepted
    // (fireTimes ok, parseSchedules ok), next() answers undefined, but latestAtOrBefore throws inside
    // croner ("TypeError: Cannot read properties of undefined (reading '0')" for Feb 30, "RangeError:
    // Maximum call stack size exceeded" for Apr 31) instead of answering undefined as FireTimes
    // documents. LocalSchedules.start calls latestAtOrBefore, so `npm start` with such a schedule
    // crashes with that TypeError instead of refusing the config. Expected: either refused
    // (`never fires`) or next/latest both undefined.
    it("answers undefined (or refuses the expression) for a cron whose day never exists", () => {
      for (const expression of ["cron(0 0 30 2 ? *)", "cron(0 0 31 4 ? *)"]) {
        const parsed = fireTimes(expression, "UTC");
        if (!parsed.ok) continue;
        expect(parsed.times.next(at("2026-01-01T00:00:00Z"))).to.equal(undefined);
        expect(parsed.times.latestAtOrBefore(at("2026-01-01T00:00:00Z"))).to.equal(undefined);
      }
    });
  });

  describe("rate", () => {
    it("fires rate(1 minute) on every minute and rate(5 minutes) on :00, :05, ... (counted from the epoch)", () => {
      expect(firesAfter("rate(1 minute)", "2026-01-01T00:00:30Z", 3)).to.deep.equal(["2026-01-01T00:01:00Z", "2026-01-01T00:02:00Z", "2026-01-01T00:03:00Z"]);
      expect(firesAfter("rate(5 minutes)", "2026-01-01T00:03:00Z", 3)).to.deep.equal(["2026-01-01T00:05:00Z", "2026-01-01T00:10:00Z", "2026-01-01T00:15:00Z"]);
      // A fire exactly at the time is the latest at or before it, and the next is one period on.
      const five = timesOf("rate(5 minutes)");
      expect(iso(five.latestAtOrBefore(at("2026-01-01T00:10:00Z")))).to.equal("2026-01-01T00:10:00Z");
      expect(iso(five.latestAtOrBefore(at("2026-01-01T00:14:59Z")))).to.equal("2026-01-01T00:10:00Z");
      expect(iso(five.next(at("2026-01-01T00:10:00Z")))).to.equal("2026-01-01T00:15:00Z");
    });

    it("fires hours and days rates on their period, whatever the zone", () => {
      expect(firesAfter("rate(2 hours)", "2026-01-01T01:00:00Z", 2)).to.deep.equal(["2026-01-01T02:00:00Z", "2026-01-01T04:00:00Z"]);
      expect(firesAfter("rate(1 day)", "2026-01-01T01:00:00Z", 2)).to.deep.equal(["2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z"]);
      expect(firesAfter("rate(1 hour)", "2026-01-01T00:30:00Z", 1, "Europe/Paris")).to.deep.equal(["2026-01-01T01:00:00Z"]);
    });

    it("refuses rate(0 minutes), a plural for 1 and a singular for more, as Scheduler's grammar (rate(1 minute), rate(5 minutes))", () => {
      expect(problemOf("rate(0 minutes)")).to.include("at least 1");
      expect(problemOf("rate(0 minute)")).to.include("at least 1");
      expect(problemOf("rate(1 minutes)")).to.include("rate(1 minute)");
      expect(problemOf("rate(1 hours)")).to.include("rate(1 hour)");
      expect(problemOf("rate(5 minute)")).to.include("rate(5 minutes)");
      expect(problemOf("rate(2 day)")).to.include("rate(2 days)");
    });

    it("refuses units Scheduler has not (seconds, weeks) and malformed rates", () => {
      for (const expression of ["rate(30 seconds)", "rate(1 week)", "rate( 5 minutes)", "rate(5minutes)", "rate(-5 minutes)", "rate(1.5 hours)", "rate(5 MINUTES)"]) {
        expect(problemOf(expression), expression).to.include("neither cron(");
      }
    });
  });

  describe("refused expressions", () => {
    it("refuses cron(* * * * * *): day-of-month and day-of-week both set (EventBridge: one must be ?)", () => {
      expect(problemOf("cron(* * * * * *)")).to.include("exactly one of day-of-month and day-of-week must be ?");
      expect(problemOf("cron(0 0 1 * MON *)")).to.include("exactly one of day-of-month and day-of-week must be ?");
      expect(problemOf("cron(0 0 ? * ? *)")).to.include("exactly one of day-of-month and day-of-week must be ?");
      // ? in one and * in the other is what EventBridge documents.
      expect(fireTimes("cron(0 0 ? * * *)", "UTC").ok).to.equal(true);
    });

    it("refuses a cron of 5 or 7 fields, saying how many it has", () => {
      expect(problemOf("cron(0 12 * * ?)")).to.include("has 6 fields").and.include("not 5");
      expect(problemOf("cron(0 0 12 * * ? *)")).to.include("not 7");
    });

    it("refuses values out of a field's range and characters a field does not allow, naming the field", () => {
      expect(problemOf("cron(60 12 * * ? *)")).to.include("minute");
      expect(problemOf("cron(0 24 * * ? *)")).to.include("hour");
      expect(problemOf("cron(0 0 32 * ? *)")).to.include("day");
      expect(problemOf("cron(0 0 ? 13 * *)")).to.include("month");
      expect(problemOf("cron(0 0 ? * 0 *)")).to.include("day-of-week").and.include("outside 1-7");
      expect(problemOf("cron(0 0 ? * 2#6 *)")).to.include("nth weekday");
      expect(problemOf("cron(0 0 ? * 1/2 *)")).to.include("day-of-week");
      expect(problemOf("cron(0 0 W * ? *)")).to.satisfy((problem: string) => problem.length > 0);
      expect(problemOf("cron(0 L * * ? *)")).to.include("hours");
      expect(problemOf("cron(0 0 1 * # *)")).to.include("day-of-week");
    });

    // BUG: handlers/domain/scheduleConfig.ts CRON_FIELDS declares each field's min/max (day-of-week
    // 1-7, year 1970-2199, as EventBridge documents) but fireTimes never checks them: only the
    // characters are checked, and croner's own ranges apply. So cron(0 0 ? * 8 *) is accepted and
    // fires on Sundays (croner reads 8 - 1 = 7 as Sunday), cron(0 0 1 * ? 1969) and
    // cron(0 0 1 * ? 2200) are accepted; `npm start` runs them, while Scheduler refuses them at
    // `pulumi up`. Expected: refused at parse (pulumi preview / npm start), as every other bad field.
    it("refuses day-of-week 8 and years outside 1970-2199, as EventBridge does", () => {
      expect(problemOf("cron(0 0 ? * 8 *)")).to.include("day-of-week");
      expect(problemOf("cron(0 0 1 * ? 1969)")).to.include("year");
      expect(problemOf("cron(0 0 1 * ? 2200)")).to.include("year");
    });

    // BUG: EventBridge documents "If you use the '#' character, you can define only one expression
    // in the day-of-week field. For example, "3#1,6#3" is not valid". fireTimes accepts it (and
    // fires both), so the local stack runs a schedule `pulumi up` would fail to create.
    it("refuses two # expressions in day-of-week (3#1,6#3), as EventBridge does", () => {
      expect(problemOf("cron(0 12 ? * 3#1,6#3 *)")).to.include("day-of-week");
    });

    // BUG: EventBridge documents "The L wildcard in the Day-of-month or Day-of-week fields specifies
    // the last day of the month or week": `L` alone in day-of-week is the last day of the week
    // (Saturday, 7). fireTimes passes it to croner, which refuses it ("dayOfWeek is not a number: 'L'").
    it("takes L alone in day-of-week as the week's last day (Saturday)", () => {
      expect(firesAfter("cron(0 0 ? * L *)", "2026-01-01T00:00:00Z", 2)).to.deep.equal(["2026-01-03T00:00:00Z", "2026-01-10T00:00:00Z"]);
    });

    it("steps from a month named before its step (JAN/2: January, March, ...)", () => {
      expect(firesAfter("cron(0 12 1 JAN/2 ? *)", "2026-02-01T00:00:00Z", 2)).to.deep.equal(["2026-03-01T12:00:00Z", "2026-05-01T12:00:00Z"]);
    });

    it("refuses what is neither cron(...) nor rate(...), an at(...) one-time schedule included", () => {
      expect(problemOf("0 12 * * ? *")).to.include("neither cron(");
      expect(problemOf("at(2026-01-01T00:00:00)")).to.include("neither cron(");
      expect(problemOf("")).to.include("neither cron(");
    });

    it("refuses a zone that is not an IANA zone, whatever the expression", () => {
      expect(problemOf("rate(5 minutes)", "Mars/Olympus")).to.include("not an IANA time zone");
      expect(problemOf("cron(0 3 * * ? *)", "Paris")).to.include("not an IANA time zone");
      expect(problemOf("rate(5 minutes)", "")).to.include("not an IANA time zone");
      // Intl takes these; the tz database (and Scheduler) has no such names.
      for (const zone of ["+02:00", "-05:00", "europe/paris", "utc", "us/eastern", "gmt"]) expect(problemOf("rate(5 minutes)", zone), zone).to.include("not an IANA time zone");
      // A tz database alias is one.
      for (const zone of ["US/Eastern", "Asia/Calcutta", "Etc/GMT+2"]) expect(fireTimes("rate(5 minutes)", zone).ok, zone).to.equal(true);
    });
  });
});

describe("domain/scheduleConfig: parseSchedules", () => {
  const entry = (overrides: Record<string, unknown> = {}) => ({ name: "nightly", expression: "cron(0 3 * * ? *)", timezone: "Europe/Paris", type: "text.transform", payload: { text: "report" }, ...overrides });

  it("takes no schedules key as none, and fills timezone, payload and enabled defaults", () => {
    expect(parseSchedules(undefined, builtInJobTypes)).to.deep.equal({ ok: true, schedules: [] });
    expect(parseSchedules([], builtInJobTypes)).to.deep.equal({ ok: true, schedules: [] });
    const parsed = parseSchedules([{ name: "every-5", expression: "rate(5 minutes)", type: "text.transform", payload: { text: "x" } }, { name: "digest", expression: "rate(1 hour)", type: "hash.digest", payload: { text: "x", algorithm: "sha256" }, enabled: false }], builtInJobTypes);
    expect(parsed.ok, JSON.stringify(parsed)).to.equal(true);
    const [first, second] = (parsed as { schedules: unknown[] }).schedules;
    expect(first).to.deep.equal({ name: "every-5", expression: "rate(5 minutes)", timezone: "UTC", type: "text.transform", payload: { text: "x" }, enabled: true });
    expect(second).to.include({ name: "digest", enabled: false });
  });

  it("refuses a list that is not one", () => {
    for (const raw of [{}, null, "nightly", 3]) {
      const parsed = parseSchedules(raw, builtInJobTypes);
      expect(parsed.ok, JSON.stringify(raw)).to.equal(false);
      expect((parsed as { problems: string[] }).problems).to.deep.equal(["schedules must be a list of {name, expression, timezone, type, payload, enabled}"]);
    }
  });

  it("names each bad entry as schedules[i] (name): bad expression, unknown zone, unknown type, bad payload, duplicate name, unknown key", () => {
    const parsed = parseSchedules(
      [
        entry(),
        entry({ name: "both-days", expression: "cron(* * * * * *)" }),
        entry({ name: "mars", timezone: "Mars/Olympus" }),
        entry({ name: "no-type", type: "no.such.type", payload: {} }),
        entry({ name: "bad-payload", payload: { text: 5 } }),
        entry(),
        entry({ name: "extra", colour: "red" }),
        entry({ name: "plural", expression: "rate(1 minutes)" }),
      ],
      builtInJobTypes,
    );
    expect(parsed.ok).to.equal(false);
    const problems = (parsed as { problems: string[] }).problems;
    const of = (where: string) => problems.filter((problem) => problem.startsWith(`${where}: `));
    expect(of("schedules[0] (nightly)"), "the first nightly is valid").to.deep.equal([]);
    expect(of("schedules[1] (both-days)")).to.have.length(1);
    expect(of("schedules[1] (both-days)")[0]).to.include("exactly one of day-of-month and day-of-week must be ?");
    expect(of("schedules[2] (mars)")[0]).to.include("Mars/Olympus").and.include("not an IANA time zone");
    expect(of("schedules[3] (no-type)")[0]).to.match(/type: unknown job type/);
    expect(of("schedules[4] (bad-payload)")[0]).to.match(/payload\.text: text must be a string/);
    expect(of("schedules[5] (nightly)")).to.deep.equal(["schedules[5] (nightly): another schedule has the name nightly"]);
    expect(of("schedules[6] (extra)")[0]).to.match(/colour/);
    expect(of("schedules[7] (plural)")[0]).to.include("rate(1 minute)");
    expect(problems).to.have.length(7);
  });

  it("names an entry with no usable name by its index alone, and refuses a name Scheduler would refuse", () => {
    const parsed = parseSchedules([{ expression: "rate(5 minutes)", type: "text.transform", payload: { text: "x" } }, "nightly", entry({ name: "has space" }), entry({ name: "x".repeat(65) }), entry({ name: 7 })], builtInJobTypes);
    const problems = (parsed as { problems: string[] }).problems;
    expect(problems.some((problem) => problem.startsWith("schedules[0]: name: "))).to.equal(true);
    expect(problems.some((problem) => problem.startsWith("schedules[1]: "))).to.equal(true);
    expect(problems.some((problem) => problem.startsWith("schedules[2] (has space): name: "))).to.equal(true);
    expect(problems.some((problem) => problem.startsWith(`schedules[3] (${"x".repeat(65)}): name: `))).to.equal(true);
    expect(problems.some((problem) => problem.startsWith("schedules[4]: name: "))).to.equal(true);
  });

  it("refuses submission options (delaySeconds, runAt) and a non-boolean enabled on an entry", () => {
    const parsed = parseSchedules([entry({ name: "delayed", delaySeconds: 60 }), entry({ name: "later", runAt: "2030-01-01T00:00:00Z" }), entry({ name: "maybe", enabled: "yes" })], builtInJobTypes);
    const problems = (parsed as { problems: string[] }).problems;
    expect(problems.find((problem) => problem.startsWith("schedules[0] (delayed): "))).to.include("delaySeconds");
    expect(problems.find((problem) => problem.startsWith("schedules[1] (later): "))).to.include("runAt");
    expect(problems.find((problem) => problem.startsWith("schedules[2] (maybe): "))).to.include("enabled: must be true or false");
  });

  it("checks a payload against the job type's schema, with the type's defaults absent from the schedule", () => {
    expect(parseSchedules([entry({ payload: { text: "" } })], builtInJobTypes)).to.deep.include({ ok: false });
    // No payload at all: {} is checked, and text.transform needs text.
    const none = parseSchedules([{ name: "empty", expression: "rate(1 day)", type: "text.transform" }], builtInJobTypes);
    expect((none as { problems: string[] }).problems[0]).to.match(/^schedules\[0\] \(empty\): payload\.text: /);
  });
});
