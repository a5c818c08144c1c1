import { expect } from "chai";
import { parseScheduleFire, scheduleFireKey } from "../../handlers/domain/schedule";
import { DEFAULTS } from "../../handlers/settings";
import { parseConfig } from "../../infra/config";
import { SCHEDULE_FIRE_ASYNC, SCHEDULE_RETRY_POLICY, SCHEDULED_TIME_PLACEHOLDER } from "../../infra/schedules";
import { named, ofType, promiseOf, sharedRun, siteFixture, type ProgramRun } from "./program";

const SCHEDULES = [
  { name: "nightly-digest", expression: "cron(0 3 * * ? *)", timezone: "Europe/Paris", type: "hash.digest", payload: { text: "nightly", algorithm: "sha256" } },
  { name: "tick", expression: "rate(5 minutes)", type: "text.transform", payload: { text: "tick" }, enabled: false },
];
const SCHEDULE = "aws:scheduler/schedule:Schedule";

describe("infra/schedules: the stack's schedules as EventBridge Scheduler schedules", function () {
  this.timeout(90_000);
  let run: ProgramRun;
  let plain: ProgramRun;
  before(async () => {
    run = await sharedRun({ schedules: SCHEDULES, alertEmail: "ops@example.com" }, siteFixture());
    plain = await sharedRun({}, siteFixture());
  });

  it("declares one schedule per entry, in the stack's group, flexible window off, enabled or disabled as configured", async () => {
    const group = named(run, "cloudqueue-schedules", "aws:scheduler/scheduleGroup:ScheduleGroup");
    const declared = ofType(run, SCHEDULE);
    expect(declared.map((schedule) => schedule.name)).to.deep.equal(["cloudqueue-schedule-nightly-digest", "cloudqueue-schedule-tick"]);
    expect(declared.map((schedule) => schedule.inputs)).to.deep.equal(
      declared.map((schedule) => ({ ...schedule.inputs, groupName: group.state.name, flexibleTimeWindow: { mode: "OFF" } })),
    );
    const [nightly, tick] = declared.map((schedule) => schedule.inputs);
    expect(nightly).to.include({ name: "nightly-digest", scheduleExpression: "cron(0 3 * * ? *)", scheduleExpressionTimezone: "Europe/Paris", state: "ENABLED" });
    // A timezone left out is UTC, said explicitly; `enabled: false` keeps the schedule, DISABLED.
    expect(tick).to.include({ name: "tick", scheduleExpression: "rate(5 minutes)", scheduleExpressionTimezone: "UTC", state: "DISABLED" });
  });

  it("targets the api function with the fire, the scheduled time left to Scheduler, retried for an hour and dead-lettered", async () => {
    const apiArn = await promiseOf(run.stack.functions.api.function.arn);
    const dlqArn = await promiseOf(run.stack.schedules!.deadLetterQueue.arn);
    for (const [index, schedule] of ofType(run, SCHEDULE).entries()) {
      const { target } = schedule.inputs;
      expect(target.arn).to.equal(apiArn);
      expect(target.retryPolicy).to.deep.equal({ maximumEventAgeInSeconds: 3_600, maximumRetryAttempts: 20 });
      expect(target.retryPolicy).to.deep.equal({ ...SCHEDULE_RETRY_POLICY });
      expect(target.deadLetterConfig).to.deep.equal({ arn: dlqArn });
      // What the api function receives once Scheduler fills in the time: a fire the api parses,
      // and whose key is the same at every delivery of that fire.
      expect(target.input).to.include(SCHEDULED_TIME_PLACEHOLDER);
      const delivered = JSON.parse(target.input.replace(SCHEDULED_TIME_PLACEHOLDER, "2026-12-03T02:00:00Z"));
      const parsed = parseScheduleFire(delivered);
      expect(parsed.ok, JSON.stringify(parsed)).to.equal(true);
      const entry = SCHEDULES[index]!;
      expect(parsed.ok && parsed.fire).to.deep.equal({ cloudqueue: "schedule-fire", schedule: entry.name, scheduledTime: "2026-12-03T02:00:00Z", type: entry.type, payload: entry.payload });
      expect(scheduleFireKey(entry.name, "2026-12-03T02:00:00Z")).to.equal(`schedule:${entry.name}#2026-12-03T02:00:00Z`);
    }
  });

  it("gives fires failed in the function two retries within an hour, then the same dead-letter queue, encrypted and kept 14 days", async () => {
    const dlq = named(run, "cloudqueue-schedule-dlq", "aws:sqs/queue:Queue");
    expect(dlq.inputs).to.include({ sqsManagedSseEnabled: true, messageRetentionSeconds: DEFAULTS.dlqRetentionSeconds });
    const invokeConfig = named(run, "cloudqueue-api-async", "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig");
    expect(invokeConfig.inputs).to.deep.equal({
      functionName: await promiseOf(run.stack.functions.api.function.name),
      ...SCHEDULE_FIRE_ASYNC,
      destinationConfig: { onFailure: { destination: dlq.state.arn } },
    });
    expect(SCHEDULE_FIRE_ASYNC).to.deep.equal({ maximumRetryAttempts: 2, maximumEventAgeInSeconds: 3_600 });
    // The destination is sent to with the api's role: its grant exists before the config.
    expect(invokeConfig.dependsOn).to.include("cloudqueue-api-schedule-dlq-policy");
    for (const schedule of ofType(run, SCHEDULE)) expect(schedule.dependsOn, schedule.name).to.include("cloudqueue-scheduler-policy");
  });

  it("alarms on the schedules' dead-letter queue and draws it on the dashboard", async () => {
    const dlqName = await promiseOf(run.stack.schedules!.deadLetterQueue.name);
    const alarm = named(run, "cloudqueue-schedule-dlq-not-empty", "aws:cloudwatch/metricAlarm:MetricAlarm");
    expect(alarm.inputs).to.include({ namespace: "AWS/SQS", metricName: "ApproximateNumberOfMessagesVisible", threshold: 0, comparisonOperator: "GreaterThanThreshold" });
    expect(alarm.inputs.dimensions).to.deep.equal({ QueueName: dlqName });
    expect(alarm.inputs.alarmActions).to.have.length(1);
    const body = ofType(run, "aws:cloudwatch/dashboard:Dashboard")[0]!.inputs.dashboardBody as string;
    expect(body).to.include(`"QueueName","${dlqName}"`);
  });

  it("declares none of it on a stack without schedules", () => {
    expect(plain.stack.schedules).to.equal(undefined);
    for (const type of [SCHEDULE, "aws:scheduler/scheduleGroup:ScheduleGroup", "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig"]) {
      const declared = ofType(plain, type).map((resource) => resource.name);
      expect(declared, type).to.deep.equal(type.includes("functionEventInvokeConfig") ? ["cloudqueue-sweeper-async"] : []);
    }
    expect(ofType(plain, "aws:sqs/queue:Queue").map((queue) => queue.name).sort()).to.deep.equal(["cloudqueue-dlq", "cloudqueue-queue"]);
  });

  it("fails the program's config (pulumi preview) on a bad entry, naming the schedule and what is wrong", () => {
    const bad = (entry: Record<string, unknown>) => () => parseConfig({ schedules: [SCHEDULES[0], { ...SCHEDULES[0], name: "broken", ...entry }] });
    expect(bad({ expression: "cron(0 3 * * * *)" })).to.throw(/schedules\[1\] \(broken\)/);
    expect(bad({ timezone: "Mars/Olympus" })).to.throw(/schedules\[1\] \(broken\).*Mars\/Olympus/s);
    expect(bad({ type: "no.such.type" })).to.throw(/schedules\[1\] \(broken\): type: unknown job type/);
    expect(bad({ payload: { text: "x", algorithm: "md4" } })).to.throw(/schedules\[1\] \(broken\).*algorithm/s);
    expect(bad({ name: "nightly-digest" })).to.throw(/nightly-digest/);
    expect(() => parseConfig({ schedules: SCHEDULES })).to.not.throw();
  });
});
