import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { SCHEDULE_FIRE, type ScheduleFire } from "../handlers/domain/schedule";
import type { ScheduleConfig } from "../handlers/domain/scheduleConfig";
import { DEFAULTS } from "../handlers/settings";
import { policyDocument } from "./iam";

/** Scheduler's placeholder for the time a fire was due: the same on every delivery of one fire. */
export const SCHEDULED_TIME_PLACEHOLDER = "<aws.scheduler.scheduled-time>";

/**
 * How long Scheduler keeps trying to deliver one fire, and how often: an hour, up to 20 retries
 * (its own backoff). A fire delivered late still makes its one job (its key is the scheduled time).
 */
export const SCHEDULE_RETRY_POLICY = { maximumEventAgeInSeconds: 3_600, maximumRetryAttempts: 20 } as const;

/**
 * Scheduler invokes the api function asynchronously: a fire that reached the function but failed
 * there (the store unavailable, a payload the job type now refuses) is Lambda's to retry: twice,
 * within an hour, then it goes to the same dead-letter queue.
 */
export const SCHEDULE_FIRE_ASYNC = { maximumRetryAttempts: 2, maximumEventAgeInSeconds: 3_600 } as const;

export interface JobSchedulesArgs {
  schedules: ScheduleConfig[];
  /** The api function: every fire submits its job through it. */
  api: aws.lambda.Function;
  /** The api function's role: Lambda sends a fire that failed in the function to the dead-letter queue with it. */
  apiRole: aws.iam.Role;
}

/**
 * The stack's schedules (`schedules` config): one EventBridge Scheduler schedule each, in the
 * stack's own group, flexible window off, invoking the api function with the fire
 * ({@link ScheduleFire}, the scheduled time filled in by Scheduler); the api submits its job under
 * the key `schedule:<name>#<scheduled time>`, so Scheduler's at-least-once delivery never makes two
 * jobs of one fire. A fire Scheduler could not deliver, and one that failed in the function, both
 * end in the schedules' dead-letter queue: no fire is lost silently.
 *
 * Declared only when the stack has schedules.
 */
export class JobSchedules extends pulumi.ComponentResource {
  public readonly group: aws.scheduler.ScheduleGroup;
  public readonly deadLetterQueue: aws.sqs.Queue;
  /** The role Scheduler invokes the api with: that one function, and sending to the dead-letter queue. */
  public readonly role: aws.iam.Role;
  public readonly rolePolicy: aws.iam.RolePolicy;
  /** The api role's one extra grant: sending a failed fire to the dead-letter queue (Lambda's on-failure destination). */
  public readonly apiDeadLetterPolicy: aws.iam.RolePolicy;
  public readonly apiInvokeConfig: aws.lambda.FunctionEventInvokeConfig;
  public readonly schedules: aws.scheduler.Schedule[];

  constructor(name: string, args: JobSchedulesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cloudqueue:infra:JobSchedules", name, {}, opts);
    this.deadLetterQueue = new aws.sqs.Queue(
      `${name}-schedule-dlq`,
      { messageRetentionSeconds: DEFAULTS.dlqRetentionSeconds, sqsManagedSseEnabled: true },
      { parent: this },
    );
    this.group = new aws.scheduler.ScheduleGroup(`${name}-schedules`, {}, { parent: this });
    // Only this group's schedules may use the role: Scheduler names the schedule's group as
    // aws:SourceArn when it assumes the role (the confused-deputy guard it documents).
    const account = this.group.arn.apply((arn) => arn.split(":")[4]!);
    this.role = new aws.iam.Role(
      `${name}-scheduler-role`,
      {
        assumeRolePolicy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { Service: "scheduler.amazonaws.com" }, Action: "sts:AssumeRole", Condition: { StringEquals: { "aws:SourceAccount": account, "aws:SourceArn": this.group.arn } } }],
        }),
      },
      { parent: this },
    );
    this.rolePolicy = new aws.iam.RolePolicy(
      `${name}-scheduler-policy`,
      {
        role: this.role.id,
        policy: policyDocument([
          { actions: ["lambda:InvokeFunction"], resources: [args.api.arn] },
          { actions: ["sqs:SendMessage"], resources: [this.deadLetterQueue.arn] },
        ]),
      },
      { parent: this },
    );
    this.apiDeadLetterPolicy = new aws.iam.RolePolicy(
      `${name}-api-schedule-dlq-policy`,
      { role: args.apiRole.id, policy: policyDocument([{ actions: ["sqs:SendMessage"], resources: [this.deadLetterQueue.arn] }]) },
      { parent: this },
    );
    this.apiInvokeConfig = new aws.lambda.FunctionEventInvokeConfig(
      `${name}-api-async`,
      {
        functionName: args.api.name,
        ...SCHEDULE_FIRE_ASYNC,
        destinationConfig: { onFailure: { destination: this.deadLetterQueue.arn } },
      },
      { parent: this, dependsOn: [this.apiDeadLetterPolicy] },
    );
    this.schedules = args.schedules.map(
      (schedule) =>
        new aws.scheduler.Schedule(
          `${name}-schedule-${schedule.name}`,
          {
            name: schedule.name,
            groupName: this.group.name,
            description: `CloudQueue: a ${schedule.type} job at every fire of ${schedule.expression}`,
            scheduleExpression: schedule.expression,
            scheduleExpressionTimezone: schedule.timezone,
            flexibleTimeWindow: { mode: "OFF" },
            state: schedule.enabled ? "ENABLED" : "DISABLED",
            target: {
              arn: args.api.arn,
              roleArn: this.role.arn,
              input: fireInput(schedule),
              retryPolicy: { ...SCHEDULE_RETRY_POLICY },
              deadLetterConfig: { arn: this.deadLetterQueue.arn },
            },
          },
          { parent: this, dependsOn: [this.rolePolicy] },
        ),
    );
    this.registerOutputs({ groupName: this.group.name, deadLetterQueueUrl: this.deadLetterQueue.url });
  }
}

/** The target's input: the fire, with Scheduler's placeholder for the scheduled time. */
export function fireInput(schedule: ScheduleConfig): string {
  const fire: ScheduleFire = { cloudqueue: SCHEDULE_FIRE, schedule: schedule.name, scheduledTime: SCHEDULED_TIME_PLACEHOLDER, type: schedule.type, payload: schedule.payload };
  return JSON.stringify(fire);
}
