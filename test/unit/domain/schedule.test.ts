import { expect } from "chai";
import { PUBLIC_OWNER } from "../../../handlers/auth/authMode";
import { isScheduleFireEvent, parseScheduleFire, SCHEDULE_FIRE, scheduledTimeText, scheduleFireKey, scheduleOwner } from "../../../handlers/domain/schedule";

const fire = (overrides: Record<string, unknown> = {}) => ({
  cloudqueue: "schedule-fire",
  schedule: "nightly-report",
  scheduledTime: "2026-12-03T07:00:00Z",
  type: "text.transform",
  payload: { text: "report" },
  ...overrides,
});

describe("domain/schedule: a schedule's fire event", () => {
  it("tells a fire from an API Gateway event by its cloudqueue marker only", () => {
    expect(SCHEDULE_FIRE).to.equal("schedule-fire");
    expect(isScheduleFireEvent(fire())).to.equal(true);
    // Marked but otherwise broken: still a fire (so it fails as a fire, never as an HTTP request).
    expect(isScheduleFireEvent({ cloudqueue: "schedule-fire" })).to.equal(true);
    expect(isScheduleFireEvent({ version: "2.0", routeKey: "POST /jobs", rawPath: "/jobs" })).to.equal(false);
    expect(isScheduleFireEvent({ ...fire(), cloudqueue: "other" })).to.equal(false);
    expect(isScheduleFireEvent(null)).to.equal(false);
    expect(isScheduleFireEvent(undefined)).to.equal(false);
    expect(isScheduleFireEvent("schedule-fire")).to.equal(false);
  });

  it("parses a well-formed fire, keeping its payload as given", () => {
    const parsed = parseScheduleFire(fire({ payload: { text: "x", extra: [1, 2] } }));
    expect(parsed).to.deep.equal({ ok: true, fire: fire({ payload: { text: "x", extra: [1, 2] } }) });
    // Scheduler may write milliseconds; they are accepted.
    expect(parseScheduleFire(fire({ scheduledTime: "2026-12-03T07:00:00.123Z" })).ok).to.equal(true);
  });

  it("refuses a fire with a bad schedule name, a non-UTC or malformed time, or a missing field, naming the field", () => {
    const problemOf = (event: unknown) => {
      const parsed = parseScheduleFire(event);
      expect(parsed.ok, JSON.stringify(event)).to.equal(false);
      return (parsed as { problem: string }).problem;
    };
    expect(problemOf(fire({ schedule: "bad name" }))).to.match(/^schedule: /);
    expect(problemOf(fire({ schedule: "" }))).to.match(/^schedule: /);
    expect(problemOf(fire({ schedule: "x".repeat(65) }))).to.match(/^schedule: /);
    expect(parseScheduleFire(fire({ schedule: "x".repeat(64) })).ok).to.equal(true);
    expect(problemOf(fire({ scheduledTime: "2026-12-03T08:00:00+01:00" }))).to.match(/^scheduledTime: /);
    expect(problemOf(fire({ scheduledTime: "2026-12-03 07:00:00Z" }))).to.match(/^scheduledTime: /);
    expect(problemOf(fire({ scheduledTime: 1_800_000_000_000 }))).to.match(/^scheduledTime: /);
    expect(problemOf(fire({ type: 7 }))).to.match(/^type: /);
    const { type: _type, ...noType } = fire();
    expect(problemOf(noType)).to.match(/^type: /);
    expect(problemOf({ cloudqueue: "schedule-fire" })).to.include("schedule: ").and.include("scheduledTime: ").and.include("type: ");
    expect(problemOf(fire({ cloudqueue: "nope" }))).to.match(/^cloudqueue: /);
  });

  it("writes a scheduled time as Scheduler does: UTC, whole seconds, no milliseconds", () => {
    expect(scheduledTimeText(Date.parse("2026-12-03T07:00:00Z"))).to.equal("2026-12-03T07:00:00Z");
    expect(scheduledTimeText(Date.parse("2026-12-03T07:00:00.999Z"))).to.equal("2026-12-03T07:00:00Z");
    expect(scheduledTimeText(Date.parse("2026-12-03T07:00:59.001Z"))).to.equal("2026-12-03T07:00:59Z");
    // What it writes, the fire parser takes.
    expect(parseScheduleFire(fire({ scheduledTime: scheduledTimeText(Date.parse("2026-03-29T01:00:00.5Z")) })).ok).to.equal(true);
  });

  it("keys a fire by schedule and scheduled time: equal for two deliveries, different for two fires or two schedules", () => {
    expect(scheduleFireKey("nightly", "2026-12-03T07:00:00Z")).to.equal("schedule:nightly#2026-12-03T07:00:00Z");
    expect(scheduleFireKey("nightly", "2026-12-03T07:00:00Z")).to.equal(scheduleFireKey("nightly", scheduledTimeText(Date.parse("2026-12-03T07:00:00.400Z"))));
    expect(scheduleFireKey("nightly", "2026-12-03T07:00:00Z")).to.not.equal(scheduleFireKey("nightly", "2026-12-04T07:00:00Z"));
    expect(scheduleFireKey("nightly", "2026-12-03T07:00:00Z")).to.not.equal(scheduleFireKey("hourly", "2026-12-03T07:00:00Z"));
  });

  it("gives a schedule's jobs to the public owner on the open demo, to the schedule itself on a closed stack", () => {
    expect(scheduleOwner("nightly", "none")).to.equal(PUBLIC_OWNER);
    expect(scheduleOwner("nightly", "jwt")).to.equal("schedule:nightly");
    expect(scheduleOwner("nightly", "iam")).to.equal("schedule:nightly");
    expect(scheduleOwner("hourly", "jwt")).to.not.equal(scheduleOwner("nightly", "jwt"));
  });
});
