import { createHash } from "node:crypto";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { MetricUniverse } from "../handlers/metrics";
import { alarmSpecs, type AlarmThresholds } from "./alarms";
import { dashboardBody, type FunctionRole, type WatchedResources } from "./dashboard";

export interface ObservabilityArgs {
  /** The stack's name: the dashboard is named after it, so that two stacks in one account never share one. */
  stackName: string;
  /** The namespace the handlers emit in (`metricNamespace(stack)`). */
  metricsNamespace: string;
  /** The job types and operations the metrics' dimensions take (`builtInMetricUniverse()`, handlers/metricUniverse.ts). */
  universe: MetricUniverse;
  functions: Record<FunctionRole, aws.lambda.Function>;
  queue: aws.sqs.Queue;
  deadLetterQueue: aws.sqs.Queue;
  /** The schedules' dead-letter queue, on a stack with `schedules`: alarmed on like the job DLQ. */
  scheduleDeadLetterQueue?: aws.sqs.Queue;
  table: aws.dynamodb.Table;
  api: aws.apigatewayv2.Api;
  /** From the stack's config (`alarm*` keys). */
  thresholds: AlarmThresholds;
  /**
   * The topic the alarms notify on ALARM and on OK. Without one (no `alertEmail`) no alarm is
   * declared: an alarm that tells nobody only costs.
   */
  alertTopic?: aws.sns.Topic;
  /** The component the DLQ alarm belonged to before (Operations), for its alias. */
  formerAlarmParent?: pulumi.Resource;
}

/**
 * What an operator watches (issue 11): one CloudWatch dashboard of the stack's own metrics and the
 * services' (`infra/dashboard.ts`), always; and, with an alert topic, the alarms of
 * `infra/alarms.ts`, each mailing through it. Both are built from `handlers/metrics.ts` `METRICS`,
 * the definition the handlers emit from.
 */
export class Observability extends pulumi.ComponentResource {
  public readonly dashboard: aws.cloudwatch.Dashboard;
  /** The dashboard in the CloudWatch console. */
  public readonly dashboardUrl: pulumi.Output<string>;
  /** Every alarm, by its name suffix (`dlq-not-empty`, `worker-errors`, …); empty without an alert topic. */
  public readonly alarms: Record<string, aws.cloudwatch.MetricAlarm>;

  constructor(name: string, args: ObservabilityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cloudqueue:infra:Observability", name, {}, opts);
    // The stack's provider region (the parent's provider answers the invoke).
    const region = aws.getRegionOutput({}, { parent: this }).region;
    const resources: WatchedResources<pulumi.Output<string>> = {
      functions: { api: args.functions.api.name, worker: args.functions.worker.name, sweeper: args.functions.sweeper.name },
      queue: args.queue.name,
      deadLetterQueue: args.deadLetterQueue.name,
      ...(args.scheduleDeadLetterQueue && { scheduleDeadLetterQueue: args.scheduleDeadLetterQueue.name }),
      table: args.table.name,
      apiId: args.api.id,
    };
    const { thresholds } = args;
    const body = pulumi.all([region, pulumi.output(resources)]).apply(([resolvedRegion, resolved]) =>
      JSON.stringify(
        dashboardBody({
          region: resolvedRegion,
          namespace: args.metricsNamespace,
          universe: args.universe,
          resources: resolved,
          failureShare: { windowMinutes: thresholds.alarmFailureWindowMinutes, minJobs: thresholds.alarmFailureMinJobs },
          alarmLines: args.alertTopic && { oldestMessageAgeSeconds: thresholds.alarmOldestMessageAgeSeconds, failurePercent: thresholds.alarmFailurePercent },
        }),
      ),
    );
    this.dashboard = new aws.cloudwatch.Dashboard(
      `${name}-dashboard`,
      { dashboardName: region.apply((resolvedRegion) => dashboardName(pulumi.getProject(), args.stackName, resolvedRegion)), dashboardBody: body },
      { parent: this },
    );
    this.dashboardUrl = pulumi.interpolate`https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#dashboards/dashboard/${this.dashboard.dashboardName}`;

    this.alarms = {};
    const topic = args.alertTopic;
    if (topic) {
      for (const spec of alarmSpecs(args.metricsNamespace, resources, thresholds)) {
        // The DLQ alarm was the Operations component's child before the other alarms came: the
        // alias lets `pulumi up` on an existing stack move it instead of replacing it.
        const aliases = spec.id === "dlq-not-empty" && args.formerAlarmParent ? [{ parent: args.formerAlarmParent }] : [];
        this.alarms[spec.id] = new aws.cloudwatch.MetricAlarm(`${name}-${spec.id}`, { ...spec.args, alarmActions: [topic.arn], okActions: [topic.arn] }, { parent: this, aliases });
      }
    }
    this.registerOutputs({ dashboardUrl: this.dashboardUrl });
  }
}

/**
 * `cloudqueue-<stack>-<region>-<hash>`, in the characters a dashboard name may hold (letters,
 * digits, `-`, `_`). Dashboards are global to the account and PutDashboard replaces one of the
 * same name, so the name holds the region and a hash of the project and the raw stack name: two
 * stacks (`dev.eu` and `dev-eu`, or one name in two regions or projects) never share one.
 */
export function dashboardName(project: string, stackName: string, region: string): string {
  const hash = createHash("sha256").update(`${project}/${stackName}/${region}`).digest("hex").slice(0, 8);
  return `cloudqueue-${stackName}-${region}`.replace(/[^A-Za-z0-9_-]/g, "-").slice(0, 240) + `-${hash}`;
}
