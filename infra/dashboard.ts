import { dimensionValues, METRICS, type Dimension, type MetricName, type MetricUniverse } from "../handlers/metrics";

/**
 * The stack's CloudWatch dashboard, as the JSON body `PutDashboard` takes (Dashboard body structure
 * and syntax, CloudWatch User Guide): pure, so that the tests read exactly what is deployed and the
 * cost model counts its metrics. Every metric is named explicitly — no `SEARCH` — with the
 * dimension sets `handlers/metrics.ts` defines, so a test can check each against `METRICS`.
 */

/** The three functions, by their part in the system. */
export const FUNCTION_ROLES = ["api", "worker", "sweeper"] as const;
export type FunctionRole = (typeof FUNCTION_ROLES)[number];

/**
 * The DynamoDB operations the handlers call on the jobs table (their grants in `infra/functions.ts`;
 * a test holds the two in step). `ThrottledRequests` is published per table and operation.
 */
export const DYNAMODB_OPERATIONS = ["PutItem", "GetItem", "UpdateItem", "BatchGetItem", "Query"] as const;

/** The resources the dashboard and the alarms watch, by the names CloudWatch knows them by. */
export interface WatchedResources<T = string> {
  /** Function names (`FunctionName`). */
  functions: Record<FunctionRole, T>;
  /** Queue names (`QueueName`). */
  queue: T;
  deadLetterQueue: T;
  /** The schedules' dead-letter queue (`QueueName`): only on a stack with `schedules`. */
  scheduleDeadLetterQueue?: T;
  /** Table name (`TableName`). */
  table: T;
  /** The HTTP API's id (`ApiId`). */
  apiId: T;
}

/** What the body is built from. */
export interface DashboardTargets {
  region: string;
  /** The stack's custom metric namespace (`metricNamespace(stack)`). */
  namespace: string;
  universe: MetricUniverse;
  resources: WatchedResources;
  /** The failure share the dashboard draws is the alarm's: the same window, the same floor of jobs. */
  failureShare: FailureShare;
  /** Alarm thresholds drawn as lines on their widgets; absent when the stack declares no alarms. */
  alarmLines?: { oldestMessageAgeSeconds: number; failurePercent: number };
}

/** The failure share's window and the jobs a window needs before it counts. */
export interface FailureShare {
  windowMinutes: number;
  minJobs: number;
}

/**
 * The failure share in percent, as metric math over the stack-wide `JobsFailed` and
 * `JobsSucceeded` (ids `failed`, `succeeded`). Missing points count as no jobs (FILL); a window in
 * which fewer than `minJobs` jobs finished is 0, so one failure among three jobs never alarms.
 * `minJobs` is at least 1, so the division never meets a zero.
 */
export function failureShareExpressions(minJobs: number): { finished: string; share: string } {
  return {
    finished: "FILL(succeeded, 0) + FILL(failed, 0)",
    share: `IF(finished >= ${minJobs}, 100 * FILL(failed, 0) / finished, 0)`,
  };
}

type Stat = "Sum" | "Maximum" | "p50" | "p99";
/** The options entry that ends a metric line: how it is drawn and aggregated. */
interface LineOptions {
  stat: Stat;
  label: string;
  id?: string;
  visible?: boolean;
}
/** `[namespace, metric, dimension, value, ..., options]`, or one metric math expression. */
export type MetricLine = (string | LineOptions)[] | [{ expression: string; label: string; id: string; visible?: boolean }];

interface MetricWidget {
  type: "metric";
  x: number;
  y: number;
  width: number;
  height: number;
  properties: {
    title: string;
    region: string;
    view: "timeSeries";
    stacked: false;
    period: number;
    metrics: MetricLine[];
    yAxis: { left: { min: 0; label?: string } };
    annotations?: { horizontal: { label: string; value: number }[] };
  };
}
interface TextWidget {
  type: "text";
  x: number;
  y: number;
  width: number;
  height: number;
  properties: { markdown: string };
}
export interface DashboardBody {
  start: string;
  widgets: (MetricWidget | TextWidget)[];
}

const PERIOD_SECONDS = 60;
const COLUMNS = 3;
const WIDGET_WIDTH = 8;
const WIDGET_HEIGHT = 6;
const HEADER_HEIGHT = 2;

/** The dashboard body: a header, then the widgets three to a row. */
export function dashboardBody(targets: DashboardTargets): DashboardBody {
  const widgets = metricWidgets(targets).map((widget, index): MetricWidget => ({
    type: "metric",
    x: (index % COLUMNS) * WIDGET_WIDTH,
    y: HEADER_HEIGHT + Math.floor(index / COLUMNS) * WIDGET_HEIGHT,
    width: WIDGET_WIDTH,
    height: WIDGET_HEIGHT,
    properties: {
      title: widget.title,
      region: targets.region,
      view: "timeSeries",
      stacked: false,
      period: widget.period ?? PERIOD_SECONDS,
      metrics: widget.metrics,
      yAxis: { left: widget.unit ? { min: 0, label: widget.unit } : { min: 0 } },
      ...(widget.annotations?.length ? { annotations: { horizontal: widget.annotations } } : {}),
    },
  }));
  const header: TextWidget = {
    type: "text",
    x: 0,
    y: 0,
    width: COLUMNS * WIDGET_WIDTH,
    height: HEADER_HEIGHT,
    properties: {
      markdown: [
        `## CloudQueue — custom metrics in \`${targets.namespace}\``,
        "Jobs and their timings come from the functions' own log records (Embedded Metric Format); the rest are the services' metrics. Counts are per minute; the failure share is per alarm window.",
      ].join("\n"),
    },
  };
  return { start: "-PT6H", widgets: [header, ...widgets] };
}

/** The distinct metrics a body references (`namespace metric dimension=value …`): what a dashboard's free tier counts. */
export function referencedMetrics(body: DashboardBody): string[] {
  const metrics = new Set<string>();
  for (const widget of body.widgets) {
    if (widget.type !== "metric") continue;
    for (const metricLine of widget.properties.metrics) {
      const parts = metricLine.filter((part): part is string => typeof part === "string");
      if (parts.length < 2) continue;
      const [namespace, name, ...pairs] = parts;
      const dimensions = [];
      for (let i = 0; i < pairs.length; i += 2) dimensions.push(`${pairs[i]}=${pairs[i + 1]}`);
      metrics.add([namespace, name, ...dimensions.sort()].join(" "));
    }
  }
  return [...metrics].sort();
}

interface WidgetSpec {
  title: string;
  metrics: MetricLine[];
  unit?: string;
  period?: number;
  annotations?: { label: string; value: number }[];
}

function metricWidgets(targets: DashboardTargets): WidgetSpec[] {
  const { namespace, universe, resources, alarmLines } = targets;
  const jobTypes = dimensionValues("JobType", universe);
  const custom = (name: MetricName, dimensions: Partial<Record<Dimension, string>>, options: LineOptions) => customLine(namespace, name, dimensions, options);
  const aws = (service: string, name: string, dimensions: Record<string, string>, options: LineOptions): MetricLine => [service, name, ...Object.entries(dimensions).flat(), options];
  const fn = (role: FunctionRole) => ({ FunctionName: resources.functions[role] });
  const perFunction = (name: string, stat: Stat) => FUNCTION_ROLES.map((role) => aws("AWS/Lambda", name, fn(role), { stat, label: role }));
  const percentiles = (name: MetricName) => jobTypes.flatMap((type) => (["p50", "p99"] as const).map((stat) => custom(name, { JobType: type }, { stat, label: `${type} ${stat}` })));
  const share = failureShareExpressions(targets.failureShare.minJobs);

  return [
    {
      title: "Jobs by outcome",
      unit: "jobs",
      metrics: [
        custom("JobsSubmitted", {}, { stat: "Sum", label: "submitted" }),
        custom("JobsSucceeded", {}, { stat: "Sum", label: "succeeded" }),
        custom("JobsFailed", {}, { stat: "Sum", label: "failed" }),
        // These three are counted per job type only: summed across the types.
        ...sumOverTypes(namespace, "JobsRetried", "retried", jobTypes),
        ...sumOverTypes(namespace, "JobsTimedOut", "timed out", jobTypes),
        ...sumOverTypes(namespace, "JobsCanceled", "canceled", jobTypes),
      ],
    },
    {
      title: `Failure share of finished jobs (${targets.failureShare.windowMinutes}-minute windows)`,
      unit: "percent",
      period: targets.failureShare.windowMinutes * 60,
      metrics: [
        custom("JobsFailed", {}, { stat: "Sum", label: "failed", id: "failed", visible: false }),
        custom("JobsSucceeded", {}, { stat: "Sum", label: "succeeded", id: "succeeded", visible: false }),
        [{ expression: share.finished, label: "finished", id: "finished", visible: false }],
        [{ expression: share.share, label: `failed / finished (0 under ${targets.failureShare.minJobs} jobs)`, id: "share" }],
      ],
      annotations: alarmLines && [{ label: "alarm (alarmFailurePercent)", value: alarmLines.failurePercent }],
    },
    { title: "Wait: due to claimed, p50 / p99", unit: "ms", metrics: percentiles("WaitMs") },
    { title: "Run: claimed to committed, p50 / p99", unit: "ms", metrics: percentiles("RunMs") },
    { title: "Total: created to terminal, p50 / p99", unit: "ms", metrics: percentiles("TotalMs") },
    {
      title: "Job queue: messages visible",
      unit: "messages",
      metrics: [aws("AWS/SQS", "ApproximateNumberOfMessagesVisible", { QueueName: resources.queue }, { stat: "Maximum", label: "visible" })],
    },
    {
      title: "Job queue: age of the oldest message",
      unit: "seconds",
      metrics: [aws("AWS/SQS", "ApproximateAgeOfOldestMessage", { QueueName: resources.queue }, { stat: "Maximum", label: "oldest" })],
      annotations: alarmLines && [{ label: "alarm (alarmOldestMessageAgeSeconds)", value: alarmLines.oldestMessageAgeSeconds }],
    },
    {
      title: "Dead-letter queue: messages visible",
      unit: "messages",
      metrics: [
        aws("AWS/SQS", "ApproximateNumberOfMessagesVisible", { QueueName: resources.deadLetterQueue }, { stat: "Maximum", label: "dead letters" }),
        // A fire that made no job, on a stack with schedules.
        ...(resources.scheduleDeadLetterQueue === undefined
          ? []
          : [aws("AWS/SQS", "ApproximateNumberOfMessagesVisible", { QueueName: resources.scheduleDeadLetterQueue }, { stat: "Maximum", label: "schedule fires dead-lettered" })]),
      ],
    },
    { title: "Lambda errors", unit: "errors", metrics: perFunction("Errors", "Sum") },
    { title: "Lambda throttles", unit: "throttles", metrics: perFunction("Throttles", "Sum") },
    {
      title: "Lambda duration, p50 / p99",
      unit: "ms",
      metrics: FUNCTION_ROLES.flatMap((role) => (["p50", "p99"] as const).map((stat) => aws("AWS/Lambda", "Duration", fn(role), { stat, label: `${role} ${stat}` }))),
    },
    { title: "Lambda concurrent executions", unit: "executions", metrics: perFunction("ConcurrentExecutions", "Maximum") },
    {
      title: "DynamoDB throttled requests (jobs table)",
      unit: "requests",
      metrics: DYNAMODB_OPERATIONS.map((operation) => aws("AWS/DynamoDB", "ThrottledRequests", { TableName: resources.table, Operation: operation }, { stat: "Sum", label: operation })),
    },
    {
      title: "HTTP API: requests, 4xx, 5xx",
      unit: "requests",
      metrics: [
        aws("AWS/ApiGateway", "Count", { ApiId: resources.apiId }, { stat: "Sum", label: "requests" }),
        aws("AWS/ApiGateway", "4xx", { ApiId: resources.apiId }, { stat: "Sum", label: "4xx" }),
        aws("AWS/ApiGateway", "5xx", { ApiId: resources.apiId }, { stat: "Sum", label: "5xx" }),
      ],
    },
    {
      title: "HTTP API latency, p50 / p99",
      unit: "ms",
      metrics: (["p50", "p99"] as const).map((stat) => aws("AWS/ApiGateway", "Latency", { ApiId: resources.apiId }, { stat, label: stat })),
    },
  ];
}

/** One hidden line per job type and their sum, for a metric counted per job type only. */
function sumOverTypes(namespace: string, name: MetricName, label: string, jobTypes: string[]): MetricLine[] {
  // Metric math ids start with a lower-case letter and hold no dot: an index stands for the type.
  const prefix = name.charAt(0).toLowerCase() + name.slice(1);
  const ids = jobTypes.map((_, index) => `${prefix}${index}`);
  return [
    ...jobTypes.map((type, index) => customLine(namespace, name, { JobType: type }, { stat: "Sum", label: `${label} ${type}`, id: ids[index], visible: false })),
    [{ expression: `SUM([${ids.join(", ")}])`, label, id: prefix }],
  ];
}

/**
 * A line of one of CloudQueue's own metrics. Its dimensions must be exactly one of the metric's
 * `dimensionSets`: CloudWatch keeps each set as a separate metric, and any other combination
 * names a metric nothing emits (an empty graph, or an alarm that never fires).
 */
function customLine(namespace: string, name: MetricName, dimensions: Partial<Record<Dimension, string>>, options: LineOptions): MetricLine {
  const keys = Object.keys(dimensions).sort().join(",");
  const sets: readonly (readonly Dimension[])[] = METRICS[name].dimensionSets;
  if (!sets.some((set) => [...set].sort().join(",") === keys)) throw new Error(`dashboard: ${name} is not emitted with the dimensions [${keys}]`);
  return [namespace, name, ...Object.entries(dimensions).flatMap(([key, value]) => [key, value as string]), options];
}
