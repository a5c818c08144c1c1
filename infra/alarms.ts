import type * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import { ALARM_PERIOD_SECONDS, type CloudQueueConfig } from "./config";
import { DYNAMODB_OPERATIONS, failureShareExpressions, FUNCTION_ROLES, type WatchedResources } from "./dashboard";

/**
 * The alarms of a stack with `alertEmail` (`infra/observability.ts` declares them, each notifying
 * the stack's own topic on ALARM and on OK): pure descriptions, so that the tests read what is
 * declared and the cost model counts the metrics each alarm is billed for.
 *
 * Every alarm compares with `GreaterThanThreshold` over one period, and its threshold is a config
 * key (named in its description). Missing data is chosen per alarm, deliberately: the services
 * publish nothing for an idle resource (SQS stops after six hours of inactivity, Lambda and API
 * Gateway publish only for invocations, DynamoDB's ThrottledRequests has no data without a
 * throttle), and CloudQueue's own metrics
 * exist only for jobs that happen. So for every alarm here no data means nothing happened, which
 * is not a failure: `notBreaching`. The one signal that no data could hide — the workers stopped
 * while jobs arrive — still has data: the queue keeps receiving, so its depth and age are
 * published and the age alarm fires.
 */

/** The thresholds, as the stack's config holds them. */
export type AlarmThresholds = Pick<
  CloudQueueConfig,
  | "alarmOldestMessageAgeSeconds"
  | "alarmFailurePercent"
  | "alarmFailureWindowMinutes"
  | "alarmFailureMinJobs"
  | "alarmFunctionErrors"
  | "alarmFunctionThrottles"
  | "alarmDynamoDbThrottles"
  | "alarmApi5xx"
>;

/**
 * One alarm: its name suffix, and its arguments without the actions (the topic is added where it
 * is declared). In a metric math alarm exactly one query returns data, the value compared with the
 * threshold; every other says `returnData: false`, since PutMetricAlarm takes an absent one as true.
 */
export interface AlarmSpec {
  id: string;
  args: Omit<aws.cloudwatch.MetricAlarmArgs, "alarmActions" | "okActions">;
}

/** Why no data is not breaching (the reasoning is the module's comment above). */
const NO_DATA_IS_NOTHING_HAPPENED = "notBreaching";

/** The alarms watching `resources`, with the thresholds of `thresholds`. */
export function alarmSpecs(namespace: string, resources: WatchedResources<pulumi.Input<string>>, thresholds: AlarmThresholds): AlarmSpec[] {
  const common = { comparisonOperator: "GreaterThanThreshold", evaluationPeriods: 1, treatMissingData: NO_DATA_IS_NOTHING_HAPPENED } as const;
  const count = { ...common, statistic: "Sum", period: ALARM_PERIOD_SECONDS } as const;
  const minutes = ALARM_PERIOD_SECONDS / 60;
  const share = failureShareExpressions(thresholds.alarmFailureMinJobs);
  const windowSeconds = thresholds.alarmFailureWindowMinutes * 60;
  const perFunction = (metricName: "Errors" | "Throttles", key: "alarmFunctionErrors" | "alarmFunctionThrottles", what: string, action: string): AlarmSpec[] =>
    FUNCTION_ROLES.map((role) => ({
      id: `${role}-${metricName.toLowerCase()}`,
      args: {
        ...count,
        alarmDescription: `The CloudQueue ${role} function had more than ${thresholds[key]} ${what} in ${minutes} minutes (${key}). ${action}`,
        namespace: "AWS/Lambda",
        metricName,
        dimensions: { FunctionName: resources.functions[role] },
        threshold: thresholds[key],
      },
    }));

  return [
    {
      id: "dlq-not-empty",
      args: {
        ...common,
        alarmDescription: "Messages in the CloudQueue dead-letter queue: inspect them, then `npm run redrive`.",
        namespace: "AWS/SQS",
        metricName: "ApproximateNumberOfMessagesVisible",
        dimensions: { QueueName: resources.deadLetterQueue },
        statistic: "Maximum",
        period: 60,
        // Not a setting: one dead letter is one job the system gave up delivering.
        threshold: 0,
      },
    },
    ...(resources.scheduleDeadLetterQueue === undefined
      ? []
      : [
          {
            id: "schedule-dlq-not-empty",
            args: {
              ...common,
              alarmDescription:
                "A schedule's fire made no job: Scheduler could not invoke the api function for an hour, or the function refused or failed the fire. The message in the CloudQueue schedules' dead-letter queue names the schedule and the scheduled time.",
              namespace: "AWS/SQS",
              metricName: "ApproximateNumberOfMessagesVisible",
              dimensions: { QueueName: resources.scheduleDeadLetterQueue },
              statistic: "Maximum",
              period: 60,
              // Not a setting: one dead letter is one fire that made no job.
              threshold: 0,
            },
          } satisfies AlarmSpec,
        ]),
    {
      id: "queue-oldest-message",
      args: {
        ...common,
        alarmDescription: `A message has waited in the CloudQueue job queue longer than ${thresholds.alarmOldestMessageAgeSeconds} s (alarmOldestMessageAgeSeconds): the workers are not keeping up, or not running. Check the worker's errors, throttles and concurrency.`,
        namespace: "AWS/SQS",
        metricName: "ApproximateAgeOfOldestMessage",
        dimensions: { QueueName: resources.queue },
        statistic: "Maximum",
        period: 60,
        threshold: thresholds.alarmOldestMessageAgeSeconds,
      },
    },
    {
      id: "failure-share",
      args: {
        ...common,
        alarmDescription:
          `More than ${thresholds.alarmFailurePercent} percent of the jobs finished in ${thresholds.alarmFailureWindowMinutes} minutes failed (alarmFailurePercent, alarmFailureWindowMinutes; ` +
          `windows with fewer than ${thresholds.alarmFailureMinJobs} finished jobs count as 0, alarmFailureMinJobs). Look at the failed jobs' error codes.`,
        threshold: thresholds.alarmFailurePercent,
        metricQueries: [
          { id: "failed", metric: { namespace, metricName: "JobsFailed", stat: "Sum", period: windowSeconds }, returnData: false },
          { id: "succeeded", metric: { namespace, metricName: "JobsSucceeded", stat: "Sum", period: windowSeconds }, returnData: false },
          { id: "finished", expression: share.finished, label: "finished jobs", returnData: false },
          { id: "share", expression: share.share, label: "failed percent of finished jobs", returnData: true },
        ],
      },
    },
    ...perFunction("Errors", "alarmFunctionErrors", "errors", "Its log group has the errors' records."),
    ...perFunction("Throttles", "alarmFunctionThrottles", "throttled invocations", "The account's concurrency, or the function's reserved concurrency, is used up."),
    {
      id: "table-throttles",
      args: {
        ...common,
        alarmDescription: `More than ${thresholds.alarmDynamoDbThrottles} requests on the CloudQueue jobs table were throttled in ${minutes} minutes (alarmDynamoDbThrottles): a hot partition or the table's on-demand limits.`,
        threshold: thresholds.alarmDynamoDbThrottles,
        metricQueries: [
          ...DYNAMODB_OPERATIONS.map((operation) => ({
            id: operation.toLowerCase(),
            metric: { namespace: "AWS/DynamoDB", metricName: "ThrottledRequests", dimensions: { TableName: resources.table, Operation: operation }, stat: "Sum", period: ALARM_PERIOD_SECONDS },
            returnData: false,
          })),
          // FILL: an operation that was not throttled has no data, which must not blank the sum.
          { id: "throttled", expression: DYNAMODB_OPERATIONS.map((operation) => `FILL(${operation.toLowerCase()}, 0)`).join(" + "), label: "throttled requests", returnData: true },
        ],
      },
    },
    {
      id: "http-5xx",
      args: {
        ...count,
        alarmDescription: `The CloudQueue HTTP API answered more than ${thresholds.alarmApi5xx} 5xx in ${minutes} minutes (alarmApi5xx): the api function failed, timed out or was throttled.`,
        namespace: "AWS/ApiGateway",
        metricName: "5xx",
        dimensions: { ApiId: resources.apiId },
        threshold: thresholds.alarmApi5xx,
      },
    },
  ];
}

/**
 * The alarm metrics a set of alarms is billed for: one per alarm on a single metric, one per
 * metric in the expression of a metric math alarm (CloudWatch pricing).
 */
export function alarmMetricCount(specs: readonly AlarmSpec[]): number {
  return specs.reduce((sum, spec) => {
    const queries = spec.args.metricQueries as readonly { metric?: unknown }[] | undefined;
    return sum + (queries ? queries.filter((query) => query.metric !== undefined).length : 1);
  }, 0);
}
