import { expect } from "chai";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mock } from "node:test";
import type { ScheduleFireResult } from "../../../handlers/api/scheduleFire";
import type { ScheduleFire } from "../../../handlers/domain/schedule";
import type { ScheduleConfig } from "../../../handlers/domain/scheduleConfig";
import { jsonLogger } from "../../../handlers/log";
import { LocalSchedules, SCHEDULES_STATE_FILE } from "../../../local/schedules";

const at = (iso: string) => Date.parse(iso);
const MAX_TIMER_MS = 2_147_483_647;

const schedule = (overrides: Partial<ScheduleConfig> = {}): ScheduleConfig => ({
  name: "every-5",
  expression: "rate(5 minutes)",
  timezone: "UTC",
  type: "text.transform",
  payload: { text: "tick" },
  enabled: true,
  ...overrides,
});

/** Lets the promises a timer started settle (setImmediate is not mocked). */
async function settle(rounds = 5): Promise<void> {
  for (let n = 0; n < rounds; n++) await new Promise((resolve) => setImmediate(resolve));
}

/**
 * The local stack's schedules (`local/schedules.ts`): the catch-up of at most one missed fire
 * from the data folder's state, the timers, the retries. The clock is Node's mocked timers
 * (setTimeout and Date), injected as `now`: no test waits for real minutes.
 */
describe("local/schedules: LocalSchedules", () => {
  let dir: string;
  let fired: ScheduleFire[];
  /** How many of the next calls of the fire function fail. */
  let failures: number;
  let records: Record<string, unknown>[];
  const logger = jsonLogger({ level: "DEBUG", write: (line) => void records.push(JSON.parse(line)) });
  const fire = async (event: ScheduleFire): Promise<ScheduleFireResult> => {
    fired.push(event);
    if (failures > 0) {
      failures -= 1;
      throw Object.assign(new Error("store unavailable"), { name: "StoreUnavailableError" });
    }
    return { schedule: event.schedule, scheduledTime: event.scheduledTime, jobId: `job-${fired.length}`, outcome: "created" };
  };
  const open: LocalSchedules[] = [];
  let clockOn = false;
  /** Node's mocked setTimeout and Date, at `nowIso` (any earlier mocked clock reset first). */
  const clockAt = (nowIso: string) => {
    mock.timers.reset();
    mock.timers.enable({ apis: ["setTimeout", "Date"], now: at(nowIso) });
    clockOn = true;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "cloudqueue-schedules-"));
    fired = [];
    failures = 0;
    records = [];
  });
  afterEach(async () => {
    // Stopping may wait on a retry's timer: run the mocked clock until every stop settles.
    try {
      const stopping = Promise.all(open.splice(0).map((schedules) => schedules.stop()));
      for (let n = 0; n < 20 && clockOn; n++) {
        mock.timers.tick(10_000);
        await settle();
      }
      await stopping;
    } finally {
      // Always the real timers again: the other test files share this process.
      mock.timers.reset();
      clockOn = false;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  /** Schedules on the mocked clock, starting at `nowIso`. */
  function schedulesAt(nowIso: string, configs: ScheduleConfig[], options: { dataDir?: string | null } = {}): LocalSchedules {
    clockAt(nowIso);
    return schedulesNow(configs, options);
  }

  /** Schedules on the mocked clock as it is now (a restart, after {@link schedulesAt}). */
  function schedulesNow(configs: ScheduleConfig[], options: { dataDir?: string | null } = {}): LocalSchedules {
    const schedules = new LocalSchedules({ schedules: configs, fire, logger, ...(options.dataDir !== null && { dataDir: options.dataDir ?? dir }), now: () => Date.now() });
    open.push(schedules);
    return schedules;
  }

  /** Moves the mocked clock `ms` ahead in steps, letting each fire's promises settle. */
  async function advance(ms: number, step = 1_000): Promise<void> {
    for (let moved = 0; moved < ms; moved += step) {
      mock.timers.tick(Math.min(step, ms - moved));
      await settle();
    }
  }

  const state = () => JSON.parse(readFileSync(join(dir, SCHEDULES_STATE_FILE), "utf8")) as { lastFires: Record<string, number>; definitions: Record<string, string> };
  const writeState = (lastFires: Record<string, unknown>) => writeFileSync(join(dir, SCHEDULES_STATE_FILE), JSON.stringify({ lastFires }));

  describe("start and catch-up", () => {
    it("fires nothing on the first start, remembers the latest fire due, and reports the next three", async () => {
      const schedules = schedulesAt("2026-12-03T07:02:30Z", [schedule()]);
      const [status] = await schedules.start();
      expect(fired).to.deep.equal([]);
      expect(status).to.deep.equal({ name: "every-5", expression: "rate(5 minutes)", timezone: "UTC", enabled: true, next: [at("2026-12-03T07:05:00Z"), at("2026-12-03T07:10:00Z"), at("2026-12-03T07:15:00Z")], missed: 0 });
      expect(state()).to.deep.equal({ lastFires: { "every-5": at("2026-12-03T07:00:00Z") }, definitions: { "every-5": "rate(5 minutes) UTC" } });
    });

    it("catches up only the latest missed fire, with its own scheduled time, and counts them all", async () => {
      writeState({ "every-5": at("2026-12-03T06:40:00Z") });
      const schedules = schedulesAt("2026-12-03T07:02:30Z", [schedule()]);
      const [status] = await schedules.start();
      // Missed: 06:45, 06:50, 06:55, 07:00; only 07:00 is made.
      expect(fired).to.deep.equal([{ cloudqueue: "schedule-fire", schedule: "every-5", scheduledTime: "2026-12-03T07:00:00Z", type: "text.transform", payload: { text: "tick" } }]);
      expect(status).to.include({ missed: 4, caughtUp: "2026-12-03T07:00:00Z" });
      expect(status!.next[0]).to.equal(at("2026-12-03T07:05:00Z"));
      expect(state().lastFires["every-5"]).to.equal(at("2026-12-03T07:00:00Z"));
      expect(records.find((record) => record.event === "schedule.catch_up")).to.include({ schedule: "every-5", missed: 4, scheduledTime: "2026-12-03T07:00:00Z" });
    });

    it("catches a missed fire up once: a second restart before the next fire makes nothing", async () => {
      writeState({ "every-5": at("2026-12-03T06:40:00Z") });
      const first = schedulesAt("2026-12-03T07:02:30Z", [schedule()]);
      await first.start();
      await first.stop();
      await advance(30_000);
      const second = schedulesNow([schedule()]);
      const [status] = await second.start();
      expect(fired.map((event) => event.scheduledTime)).to.deep.equal(["2026-12-03T07:00:00Z"]);
      expect(status).to.include({ missed: 0 }).and.not.have.property("caughtUp");
    });

    it("catches up nothing when the last fire remembered is the latest due", async () => {
      writeState({ "every-5": at("2026-12-03T07:00:00Z") });
      const [status] = await schedulesAt("2026-12-03T07:04:59Z", [schedule()]).start();
      expect(fired).to.deep.equal([]);
      expect(status).to.include({ missed: 0 });
    });

    it("catches up a Paris cron's missed day at its own UTC instant, counting each day missed", async () => {
      const paris = schedule({ name: "paris-3am", expression: "cron(0 3 * * ? *)", timezone: "Europe/Paris" });
      // Last fire 2026-03-26 03:00 CET; restarted 2026-03-30 12:00Z: missed 27, 28 (CET, 02:00Z), 29, 30 (CEST, 01:00Z).
      writeState({ "paris-3am": at("2026-03-26T02:00:00Z") });
      const [status] = await schedulesAt("2026-03-30T12:00:00Z", [paris]).start();
      expect(status).to.include({ missed: 4, caughtUp: "2026-03-30T01:00:00Z" });
      expect(fired.map((event) => event.scheduledTime)).to.deep.equal(["2026-03-30T01:00:00Z"]);
      expect(status!.next).to.deep.equal([at("2026-03-31T01:00:00Z"), at("2026-04-01T01:00:00Z"), at("2026-04-02T01:00:00Z")]);
    });

    it("keeps each schedule's state apart, and leaves a disabled schedule unfired and unarmed", async () => {
      writeState({ "every-5": at("2026-12-03T06:50:00Z"), hourly: at("2026-12-03T07:00:00Z"), off: at("2026-12-01T00:00:00Z") });
      const hourly = schedule({ name: "hourly", expression: "rate(1 hour)" });
      const off = schedule({ name: "off", expression: "rate(1 minute)", enabled: false });
      const schedules = schedulesAt("2026-12-03T07:02:30Z", [schedule(), hourly, off]);
      const statuses = await schedules.start();
      expect(fired.map((event) => `${event.schedule}@${event.scheduledTime}`)).to.deep.equal(["every-5@2026-12-03T07:00:00Z"]);
      expect(statuses.map((status) => [status.name, status.missed])).to.deep.equal([["every-5", 2], ["hourly", 0], ["off", 0]]);
      expect(statuses[2]).to.include({ enabled: false }).and.deep.include({ next: [] });
      // An hour on: every-5 fires 12 times, hourly once, off never.
      await advance(3_600_000, 10_000);
      expect(fired.filter((event) => event.schedule === "off")).to.deep.equal([]);
      expect(fired.filter((event) => event.schedule === "hourly").map((event) => event.scheduledTime)).to.deep.equal(["2026-12-03T08:00:00Z"]);
      expect(fired.filter((event) => event.schedule === "every-5")).to.have.length(1 + 12);
      expect(state().lastFires.off).to.equal(at("2026-12-01T00:00:00Z"));
    });

    it("catches up nothing for a schedule disabled since, or given another expression: the old one's fires were never this one's", async () => {
      const daily = schedule({ name: "daily", expression: "cron(0 3 * * ? *)" });
      // Each start a restart: the one before it stopped.
      const startAt = async (nowIso: string, config: ScheduleConfig) => {
        const schedules = schedulesAt(nowIso, [config]);
        const statuses = await schedules.start();
        await schedules.stop();
        return statuses;
      };
      await startAt("2026-11-01T12:00:00Z", daily);
      await startAt("2026-11-02T12:00:00Z", { ...daily, enabled: false });
      expect(state().definitions.daily).to.equal("disabled");
      // Enabled again 18 days on: Scheduler backfills nothing for a DISABLED schedule, nor does npm start.
      const [reenabled] = await startAt("2026-11-20T12:00:00Z", daily);
      expect(fired).to.deep.equal([]);
      expect(reenabled).to.include({ missed: 0 }).and.not.have.property("caughtUp");
      expect(state().lastFires.daily).to.equal(at("2026-11-20T03:00:00Z"));
      // Another expression: a fresh start too; the same one again: its missed fire is caught up.
      const [changed] = await startAt("2026-11-25T12:00:00Z", { ...daily, expression: "cron(0 4 * * ? *)" });
      expect(changed).to.include({ missed: 0 });
      const [same] = await startAt("2026-11-27T12:00:00Z", { ...daily, expression: "cron(0 4 * * ? *)" });
      expect(same).to.include({ missed: 2, caughtUp: "2026-11-27T04:00:00Z" });
      expect(fired.map((event) => event.scheduledTime)).to.deep.equal(["2026-11-27T04:00:00Z"]);
    });

    it("catches up nothing in memory (no data folder), and writes no state", async () => {
      const schedules = schedulesAt("2026-12-03T07:02:30Z", [schedule()], { dataDir: null });
      const [status] = await schedules.start();
      expect(fired).to.deep.equal([]);
      expect(status!.missed).to.equal(0);
      expect(existsSync(join(dir, SCHEDULES_STATE_FILE))).to.equal(false);
      await advance(300_000, 10_000);
      expect(fired.map((event) => event.scheduledTime)).to.deep.equal(["2026-12-03T07:05:00Z"]);
      expect(existsSync(join(dir, SCHEDULES_STATE_FILE))).to.equal(false);
    });

    it("starts afresh from an unreadable state file, saying so, and ignores non-number entries", async () => {
      writeFileSync(join(dir, SCHEDULES_STATE_FILE), "{ not json");
      const [status] = await schedulesAt("2026-12-03T07:02:30Z", [schedule()]).start();
      expect(fired).to.deep.equal([]);
      expect(status!.missed).to.equal(0);
      expect(records.find((record) => record.event === "schedule.state_unreadable")).to.have.property("file", join(dir, SCHEDULES_STATE_FILE));
      expect(state().lastFires["every-5"]).to.equal(at("2026-12-03T07:00:00Z"));

      writeState({ "every-5": "2026-12-03T06:00:00Z" });
      const [again] = await schedulesNow([schedule()]).start();
      expect(fired).to.deep.equal([]);
      expect(again!.missed).to.equal(0);
    });

    it("refuses, when built, a schedule whose expression fireTimes refuses", () => {
      expect(() => new LocalSchedules({ schedules: [schedule({ name: "bad", expression: "rate(1 minutes)" })], fire, logger })).to.throw(/schedule bad: rate\(1 minutes\)/);
    });
  });

  describe("timers", () => {
    it("fires rate(1 minute) at each minute with that minute as the scheduled time, and remembers each", async () => {
      const schedules = schedulesAt("2026-12-03T07:00:30Z", [schedule({ name: "minutely", expression: "rate(1 minute)" })]);
      await schedules.start();
      await advance(29_000);
      expect(fired).to.deep.equal([]);
      await advance(1_000);
      expect(fired.map((event) => event.scheduledTime)).to.deep.equal(["2026-12-03T07:01:00Z"]);
      await advance(120_000);
      expect(fired.map((event) => event.scheduledTime)).to.deep.equal(["2026-12-03T07:01:00Z", "2026-12-03T07:02:00Z", "2026-12-03T07:03:00Z"]);
      expect(state().lastFires.minutely).to.equal(at("2026-12-03T07:03:00Z"));
    });

    it("fires no more once stopped", async () => {
      const schedules = schedulesAt("2026-12-03T07:00:30Z", [schedule({ name: "minutely", expression: "rate(1 minute)" })]);
      await schedules.start();
      await advance(60_000);
      expect(fired).to.have.length(1);
      await schedules.stop();
      await advance(300_000, 10_000);
      expect(fired).to.have.length(1);
    });

    it("waits, when stopped, for a fire in progress, and arms nothing after it", async () => {
      let release!: () => void;
      const slow = new LocalSchedules({
        schedules: [schedule({ name: "minutely", expression: "rate(1 minute)" })],
        fire: async (event) => {
          fired.push(event);
          await new Promise<void>((resolve) => (release = resolve));
          return { schedule: event.schedule, scheduledTime: event.scheduledTime, jobId: "job", outcome: "created" };
        },
        logger,
        dataDir: dir,
        now: () => Date.now(),
      });
      clockAt("2026-12-03T07:00:30Z");
      open.push(slow);
      await slow.start();
      await advance(30_000);
      expect(fired).to.have.length(1);
      let stopped = false;
      const stopping = slow.stop().then(() => (stopped = true));
      await settle();
      expect(stopped, "stop() did not wait for the fire in progress").to.equal(false);
      release();
      await stopping;
      expect(state().lastFires.minutely).to.equal(at("2026-12-03T07:01:00Z"));
      await advance(300_000, 10_000);
      expect(fired).to.have.length(1);
    });

    it("re-arms a fire further off than setTimeout's longest wait, and fires it once, on time", async () => {
      const yearly = schedule({ name: "new-year", expression: "cron(0 0 1 1 ? *)" });
      const schedules = schedulesAt("2026-01-01T00:00:30Z", [yearly]);
      const [status] = await schedules.start();
      expect(status!.next[0]).to.equal(at("2027-01-01T00:00:00Z"));
      const untilDue = at("2027-01-01T00:00:00Z") - Date.now();
      expect(untilDue).to.be.greaterThan(MAX_TIMER_MS);
      await advance(untilDue - 1_000, MAX_TIMER_MS);
      expect(fired).to.deep.equal([]);
      await advance(1_000);
      expect(fired.map((event) => event.scheduledTime)).to.deep.equal(["2027-01-01T00:00:00Z"]);
    });
  });

  describe("retries", () => {
    it("tries a failing fire again after 1 s then 2 s, and remembers it once it succeeds", async () => {
      const schedules = schedulesAt("2026-12-03T07:00:30Z", [schedule({ name: "minutely", expression: "rate(1 minute)" })]);
      await schedules.start();
      failures = 2;
      await advance(30_000);
      expect(fired).to.have.length(1);
      await advance(1_000);
      expect(fired).to.have.length(2);
      await advance(1_000);
      expect(fired).to.have.length(2);
      await advance(1_000);
      expect(fired.map((event) => event.scheduledTime)).to.deep.equal(["2026-12-03T07:01:00Z", "2026-12-03T07:01:00Z", "2026-12-03T07:01:00Z"]);
      expect(state().lastFires.minutely).to.equal(at("2026-12-03T07:01:00Z"));
      expect(records.filter((record) => record.event === "schedule.fire_failed")).to.deep.equal([]);
    });

    it("gives a fire up after 4 tries, logging schedule.fire_failed, remembering nothing, and fires the next one", async () => {
      const schedules = schedulesAt("2026-12-03T07:00:30Z", [schedule({ name: "minutely", expression: "rate(1 minute)" })]);
      await schedules.start();
      const remembered = state().lastFires.minutely;
      failures = 4;
      await advance(30_000 + 1_000 + 2_000 + 4_000);
      expect(fired.map((event) => event.scheduledTime)).to.deep.equal(Array(4).fill("2026-12-03T07:01:00Z"));
      const failed = records.filter((record) => record.event === "schedule.fire_failed");
      expect(failed).to.have.length(1);
      expect(failed[0]).to.include({ schedule: "minutely", scheduledTime: "2026-12-03T07:01:00Z", attempts: 4 });
      expect(state().lastFires.minutely).to.equal(remembered);
      await advance(60_000);
      expect(fired.map((event) => event.scheduledTime).slice(4)).to.deep.equal(["2026-12-03T07:02:00Z"]);
      expect(state().lastFires.minutely).to.equal(at("2026-12-03T07:02:00Z"));
    });

    it("gives a retrying fire up when stopped: stop() waits for the retry in progress, which logs schedule.fire_failed instead of trying on", async () => {
      const schedules = schedulesAt("2026-12-03T07:00:30Z", [schedule({ name: "minutely", expression: "rate(1 minute)" })]);
      await schedules.start();
      failures = 4;
      await advance(30_000);
      expect(fired).to.have.length(1);
      let stopped = false;
      const stopping = schedules.stop().then(() => (stopped = true));
      await settle();
      expect(stopped, "stop() did not wait for the retrying fire").to.equal(false);
      // The retry waiting when stop() came is its last try: it fails, and the fire is given up.
      await advance(1_000);
      await stopping;
      expect(fired).to.have.length(2);
      const failed = records.filter((record) => record.event === "schedule.fire_failed");
      expect(failed).to.have.length(1);
      expect(failed[0]).to.include({ schedule: "minutely", attempts: 2 });
      await advance(60_000, 10_000);
      expect(fired).to.have.length(2);
    });

    it("retries a failing catch-up fire before start() returns", async () => {
      writeState({ "every-5": at("2026-12-03T06:50:00Z") });
      failures = 1;
      const schedules = schedulesAt("2026-12-03T07:02:30Z", [schedule()]);
      let started = false;
      const starting = schedules.start().then((statuses) => ((started = true), statuses));
      await settle();
      expect(fired).to.have.length(1);
      expect(started).to.equal(false);
      await advance(1_000);
      const [status] = await starting;
      expect(fired.map((event) => event.scheduledTime)).to.deep.equal(["2026-12-03T07:00:00Z", "2026-12-03T07:00:00Z"]);
      expect(status).to.include({ caughtUp: "2026-12-03T07:00:00Z", missed: 2 });
      expect(state().lastFires["every-5"]).to.equal(at("2026-12-03T07:00:00Z"));
    });
  });
});
