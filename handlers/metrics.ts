/**
 * The one definition of CloudQueue's custom metrics. The handlers emit them in the Embedded Metric
 * Format (EMF): the metric values ride on the log record of the event they count, and CloudWatch
 * Logs extracts them, so a metric costs no API call. The dashboard, the alarms
 * (`infra/observability.ts`), the local Prometheus exposition and the cost model are all built
 * from {@link METRICS}.
 *
 * Dimensions are few and bounded: every combination of dimension values is a metric billed
 * monthly (`customMetricCount`). `ErrorCode` takes the system's own codes and the codes a job type
 * declares (`JobType.errorCodes`); any other code counts as `OTHER`.
 */

/** The dimensions a CloudQueue metric may carry, as they are named in CloudWatch. */
export const Dimension = {
  JobType: "JobType",
  ErrorCode: "ErrorCode",
  Route: "Route",
  StatusClass: "StatusClass",
} as const;
export type Dimension = (typeof Dimension)[keyof typeof Dimension];

/** CloudWatch units used by {@link METRICS}. */
export type MetricUnit = "Count" | "Milliseconds";

/** Which handler emits a metric (the function whose log group carries its records). */
export type Emitter = "api" | "worker" | "sweeper";

export interface MetricDefinition {
  unit: MetricUnit;
  /** Each set is its own metric per combination of values; `[]` is the stack-wide total. */
  dimensionSets: readonly (readonly Dimension[])[];
  emittedBy: readonly Emitter[];
  description: string;
}

/** Every custom metric, by name. */
export const METRICS = {
  JobsSubmitted: {
    unit: "Count",
    dimensionSets: [[], [Dimension.JobType]],
    emittedBy: ["api"],
    description: "jobs accepted by POST /jobs (a replay of an Idempotency-Key is not counted)",
  },
  JobsSucceeded: {
    unit: "Count",
    dimensionSets: [[], [Dimension.JobType]],
    emittedBy: ["worker"],
    description: "jobs committed SUCCEEDED",
  },
  JobsFailed: {
    unit: "Count",
    dimensionSets: [[], [Dimension.JobType], [Dimension.ErrorCode]],
    emittedBy: ["worker", "sweeper"],
    description: "jobs committed FAILED (their attempts used up, or a non-retryable error), by error code",
  },
  JobsRetried: {
    unit: "Count",
    dimensionSets: [[Dimension.JobType]],
    emittedBy: ["api", "worker"],
    description: "jobs put back to QUEUED for another attempt: after a retryable failure, after an expired lease (taken over), or by POST /jobs/{jobId}/retry",
  },
  JobsTimedOut: {
    unit: "Count",
    dimensionSets: [[Dimension.JobType]],
    emittedBy: ["worker", "sweeper"],
    description: "attempts cut off at the job type's timeout or whose lease expired (a crashed or hung worker), retried or not",
  },
  JobsCanceled: {
    unit: "Count",
    dimensionSets: [[Dimension.JobType]],
    emittedBy: ["api"],
    description: "jobs canceled by DELETE /jobs/{jobId}",
  },
  WaitMs: {
    unit: "Milliseconds",
    dimensionSets: [[Dimension.JobType]],
    emittedBy: ["worker"],
    description: "from the time a job became due (created plus its delay, or its retry time) to its claim by a worker",
  },
  RunMs: {
    unit: "Milliseconds",
    dimensionSets: [[Dimension.JobType]],
    emittedBy: ["worker"],
    description: "from the claim to the commit of the attempt's outcome",
  },
  TotalMs: {
    unit: "Milliseconds",
    dimensionSets: [[Dimension.JobType]],
    emittedBy: ["api", "worker", "sweeper"],
    description: "from the job's creation to its terminal state (SUCCEEDED, FAILED or CANCELED)",
  },
  ApiRequests: {
    unit: "Count",
    dimensionSets: [[Dimension.Route, Dimension.StatusClass]],
    emittedBy: ["api"],
    description: "API requests answered by the api function, by route (operation, or `unmatched`) and status class (2xx, 4xx, 5xx)",
  },
} as const satisfies Record<string, MetricDefinition>;

export type MetricName = keyof typeof METRICS;

/** The values one record carries: a metric's value, and the dimension values its sets name. */
export interface MetricRecord {
  metrics: Partial<Record<MetricName, number>>;
  dimensions: Partial<Record<Dimension, string>>;
}

/** Error codes the system writes itself (`ErrorCode` in domain/job.ts), plus the catch-all. */
export const SYSTEM_ERROR_CODES = ["TIMED_OUT", "JOB_ERROR", "UNKNOWN_TYPE", "RESULT_NOT_STORABLE"] as const;
/** The `ErrorCode` dimension of a code neither the system nor its job type declares. */
export const OTHER_ERROR_CODE = "OTHER";
/** The `Route` dimension of a request no route matched (404, 405). */
export const UNMATCHED_ROUTE = "unmatched";
/** The `StatusClass` values. */
export const STATUS_CLASSES = ["2xx", "4xx", "5xx"] as const;

/** The `ErrorCode` dimension value of `code`, given the codes the job's type declares. */
export function errorCodeDimension(code: string, declared: readonly string[] = []): string {
  return (SYSTEM_ERROR_CODES as readonly string[]).includes(code) || declared.includes(code) ? code : OTHER_ERROR_CODE;
}

/** The `StatusClass` dimension of an HTTP status. */
export function statusClass(status: number): string {
  return status >= 500 ? "5xx" : status >= 400 ? "4xx" : "2xx";
}

/** The CloudWatch namespace of a stack's metrics: its own, so two stacks in an account never mix. */
export function metricNamespace(stackName: string): string {
  return `CloudQueue/${stackName}`;
}

/**
 * The `_aws` member of an EMF record for `record` (Specification: Embedded metric format): one
 * directive per distinct list of dimension sets, each naming its metrics and units. The metric
 * values and dimension values themselves are the record's own top-level members.
 */
export function emfMetadata(namespace: string, timestampMs: number, record: MetricRecord) {
  const directives: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: MetricUnit }[] }[] = [];
  for (const name of Object.keys(record.metrics) as MetricName[]) {
    const definition: MetricDefinition = METRICS[name];
    const dimensions = definition.dimensionSets.map((set) => [...set]);
    for (const set of dimensions) {
      for (const dimension of set) {
        if (record.dimensions[dimension] === undefined) throw new Error(`metric ${name} needs the ${dimension} dimension`);
      }
    }
    const key = JSON.stringify(dimensions);
    const directive = directives.find((candidate) => JSON.stringify(candidate.Dimensions) === key);
    if (directive) directive.Metrics.push({ Name: name, Unit: definition.unit });
    else directives.push({ Namespace: namespace, Dimensions: dimensions, Metrics: [{ Name: name, Unit: definition.unit }] });
  }
  return { Timestamp: timestampMs, CloudWatchMetrics: directives };
}

/** The job types and error codes a count of custom metrics depends on. */
export interface MetricUniverse {
  /** Each job type with the error codes it declares. */
  jobTypes: readonly { type: string; errorCodes?: readonly string[] }[];
  /** The API's operations. */
  operations: readonly string[];
}

/** Distinct values a dimension can take in a deployment. */
export function dimensionValues(dimension: Dimension, universe: MetricUniverse): string[] {
  switch (dimension) {
    case Dimension.JobType:
      return universe.jobTypes.map((jobType) => jobType.type);
    case Dimension.ErrorCode:
      return [...new Set([...SYSTEM_ERROR_CODES, ...universe.jobTypes.flatMap((jobType) => jobType.errorCodes ?? []), OTHER_ERROR_CODE])];
    case Dimension.Route:
      return [...universe.operations, UNMATCHED_ROUTE];
    case Dimension.StatusClass:
      return [...STATUS_CLASSES];
  }
}

/**
 * How many custom metrics a deployment can publish at most (each one billed monthly while it
 * receives data): per metric, per dimension set, the product of its dimensions' value counts.
 */
export function customMetricCount(universe: MetricUniverse): { total: number; byMetric: Record<MetricName, number> } {
  const byMetric = {} as Record<MetricName, number>;
  for (const [name, definition] of Object.entries(METRICS) as [MetricName, MetricDefinition][]) {
    byMetric[name] = definition.dimensionSets.reduce((sum, set) => sum + set.reduce((product, dimension) => product * dimensionValues(dimension, universe).length, 1), 0);
  }
  return { total: Object.values(byMetric).reduce((sum, count) => sum + count, 0), byMetric };
}
