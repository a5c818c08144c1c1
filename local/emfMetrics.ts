import { Counter, Histogram, type Registry } from "prom-client";
import * as v from "valibot";
import { Dimension, dimensionValues, METRICS, type MetricDefinition, type MetricName, type MetricUniverse, type MetricUnit } from "../handlers/metrics";

/**
 * The Prometheus view of CloudQueue's EMF metrics, fed by the very log lines the handlers write.
 *
 * Names and labels come from {@link METRICS} by one rule, so the catalog stays the only list:
 * - `Count` metric `JobsSucceeded` → counter `cloudqueue_jobs_succeeded_total`;
 * - `Milliseconds` metric `WaitMs` → histogram `cloudqueue_wait_seconds` (the `Ms` dropped, values
 *   divided by 1000: Prometheus's base unit of time is the second);
 * - dimension `JobType` → label `job_type`.
 *
 * One family per catalog metric, labelled with every dimension its dimension sets name: a record
 * is counted once, with the values of the dimensions its directive names. CloudWatch keeps one
 * metric per dimension set; here each of those is a PromQL aggregation of the family, e.g.
 * `JobsFailed` by `[ErrorCode]` is `sum by (error_code) (cloudqueue_jobs_failed_total)` and the
 * stack-wide `[]` is `sum(cloudqueue_jobs_failed_total)`. Exporting each set as its own series
 * in one family instead would make every `sum()` count a record once per set.
 *
 * Durations are histograms, not summaries: bucket counts add up across job types and across
 * instances and Prometheus computes any quantile over any window from them
 * (`histogram_quantile`), while a summary's quantiles are fixed, per series, over a sliding window
 * it keeps samples for. A histogram's memory is fixed by its buckets, however many records arrive.
 */

/** Every family's name starts with this (the catalog's namespace, `CloudQueue`, in snake case). */
export const PROMETHEUS_PREFIX = "cloudqueue_";

/**
 * Bucket bounds of the duration histograms, in seconds: fine around a job's run (milliseconds to
 * the 30 s job timeout) and wide enough for a wait (delays up to 900 s, backoffs up to 300 s) and
 * a total time across retries. Quantiles are interpolated inside a bucket, so the page's p50 and
 * p99 are estimates, as `histogram_quantile` gives them.
 */
export const DURATION_BUCKETS_SECONDS: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 3600];

/**
 * Label combinations one family keeps at most. The handlers' dimensions are bounded by
 * construction (job types, declared error codes, routes); this only stops a runaway emitter from
 * growing the registry without end: past it, a record's value is rejected, and counted as such.
 */
export const MAX_SERIES_PER_METRIC = 1_000;

/** Why a metric value of a record was not counted (the `reason` of the rejected counter). */
export const RejectReason = {
  /** The `_aws` member is not an EMF metadata object. */
  malformed: "malformed",
  /** The directive is another namespace's (another stack's, or not CloudQueue's). */
  otherNamespace: "other_namespace",
  /** The metric is not in the catalog. */
  unknownMetric: "unknown_metric",
  /** The directive gives the metric another unit than the catalog. */
  unitMismatch: "unit_mismatch",
  /** The directive names a dimension the catalog does not give this metric. */
  unknownDimension: "unknown_dimension",
  /** A dimension the directive names has no string value in the record. */
  missingDimension: "missing_dimension",
  /** The record has no value for the metric, or one that is not a finite number (or array of them). */
  badValue: "bad_value",
  /** The value would start a series past {@link MAX_SERIES_PER_METRIC}. */
  tooManySeries: "too_many_series",
} as const;
export type RejectReason = (typeof RejectReason)[keyof typeof RejectReason];

/** `JobsSucceeded` → `jobs_succeeded`, `ErrorCode` → `error_code`. */
export function snakeCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1_$2")
    .toLowerCase();
}

/** The Prometheus family of a catalog metric: `cloudqueue_<name>_total` or `cloudqueue_<name without Ms>_seconds`. */
export function prometheusName(name: MetricName): string {
  const unit: MetricUnit = METRICS[name].unit;
  if (unit === "Count") return `${PROMETHEUS_PREFIX}${snakeCase(name)}_total`;
  return `${PROMETHEUS_PREFIX}${snakeCase(name.replace(/Ms$/, ""))}_seconds`;
}

/** The Prometheus label of every dimension (its snake case), once: a record's labels are looked up, not re-derived. */
const LABEL_OF = Object.fromEntries(Object.values(Dimension).map((dimension) => [dimension, snakeCase(dimension)])) as Record<Dimension, string>;

/** The dimensions any of a metric's dimension sets names, in catalog order. */
export function dimensionsOf(definition: MetricDefinition): Dimension[] {
  return [...new Set(definition.dimensionSets.flat())];
}

const DirectiveSchema = v.object({
  Namespace: v.string(),
  Dimensions: v.array(v.array(v.string())),
  Metrics: v.array(v.object({ Name: v.string(), Unit: v.optional(v.string()) })),
});
const EmfMetadataSchema = v.object({ Timestamp: v.number(), CloudWatchMetrics: v.array(DirectiveSchema) });

type Family =
  | { kind: "counter"; definition: MetricDefinition; dimensions: Dimension[]; metric: Counter<string>; series: Set<string> }
  | { kind: "histogram"; definition: MetricDefinition; dimensions: Dimension[]; metric: Histogram<string>; series: Set<string> };

/** What an {@link EmfMetrics} registers on, and which records it counts. */
export interface EmfMetricsOptions {
  /** Where the families are registered: the stack's own registry, never prom-client's global one. */
  registry: Registry;
  /** Only directives of this namespace count: the stack's own (`settings.metricsNamespace`). */
  namespace: string;
  /**
   * The job types and operations of the stack: each family starts with a zero series for every
   * combination of their dimension values, so that `rate()` and `increase()` see a first
   * increment too (a series born at 1 has no earlier sample to differ from).
   */
  universe: MetricUniverse;
  /** Told the first time each reason rejects a value (the emitter and the catalog disagree). */
  onFirstReject?: (reason: RejectReason, detail: Record<string, unknown>) => void;
}

/** The families of {@link METRICS} on a registry, and the reader of EMF records that feeds them. */
export class EmfMetrics {
  private readonly families = new Map<string, Family>();
  private readonly rejected: Counter<"reason">;
  private readonly reported = new Set<RejectReason>();

  constructor(private readonly options: EmfMetricsOptions) {
    for (const [name, definition] of Object.entries(METRICS) as [MetricName, MetricDefinition][]) {
      const dimensions = dimensionsOf(definition);
      const config = {
        name: prometheusName(name),
        help: `${definition.description}; EMF metric ${name}, CloudWatch dimension sets ${definition.dimensionSets.map((set) => `[${set.join(", ")}]`).join(" ")}`,
        labelNames: dimensions.map((dimension) => LABEL_OF[dimension]),
        registers: [options.registry],
      };
      const family: Family =
        definition.unit === "Count"
          ? { kind: "counter", definition, dimensions, metric: new Counter(config), series: new Set() }
          : { kind: "histogram", definition, dimensions, metric: new Histogram({ ...config, buckets: [...DURATION_BUCKETS_SECONDS] }), series: new Set() };
      this.families.set(name, family);
      for (const labels of combinations(dimensions, options.universe)) this.start(family, labels);
    }
    this.rejected = new Counter({
      name: `${PROMETHEUS_PREFIX}local_emf_metrics_rejected_total`,
      help: "metric values of EMF records the local registry did not count, by reason (a disagreement between an emitter and handlers/metrics.ts)",
      labelNames: ["reason"],
      registers: [options.registry],
    });
    for (const reason of Object.values(RejectReason)) this.rejected.inc({ reason }, 0);
  }

  /**
   * Reads one log line. Cheap for the lines that carry no metrics (they are not even parsed), and
   * never throws: a line the registry cannot read must not fail the handler that wrote it.
   */
  ingestLine(line: string): void {
    // `"_aws":` appears in a JSON line only as a member name: inside a string value its quotes
    // would be escaped. Lines without it skip JSON.parse.
    if (!line.includes('"_aws":')) return;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      return;
    }
    if (!record || typeof record !== "object" || Array.isArray(record)) return;
    try {
      this.ingestRecord(record as Record<string, unknown>);
    } catch {
      // prom-client refusing a value would be a bug here; the handler's invocation goes on.
      this.reject(RejectReason.malformed, {});
    }
  }

  /**
   * Counts the metrics of one EMF record, directive by directive, as CloudWatch extracts them:
   * each metric the directive lists, with the values of the dimensions its sets name, both read
   * from the record's top-level members. Values of a metric may be a number or an array of them.
   */
  ingestRecord(record: Record<string, unknown>): void {
    const parsed = v.safeParse(EmfMetadataSchema, record._aws);
    if (!parsed.success) return this.reject(RejectReason.malformed, {});
    for (const directive of parsed.output.CloudWatchMetrics) {
      const named = [...new Set(directive.Dimensions.flat())];
      for (const { Name, Unit } of directive.Metrics) {
        if (directive.Namespace !== this.options.namespace) {
          this.reject(RejectReason.otherNamespace, { namespace: directive.Namespace, metric: Name });
          continue;
        }
        const family = this.families.get(Name);
        if (!family) {
          this.reject(RejectReason.unknownMetric, { metric: Name });
          continue;
        }
        // EMF's Unit is optional ("None"); one that is given must be the catalog's.
        if (Unit !== undefined && Unit !== family.definition.unit) {
          this.reject(RejectReason.unitMismatch, { metric: Name, unit: Unit });
          continue;
        }
        const labels = this.labelsOf(family, named, record);
        if (typeof labels === "string") {
          this.reject(labels, { metric: Name, dimensions: named });
          continue;
        }
        const values = valuesOf(record[Name]);
        if (!values || (family.kind === "counter" && values.some((value) => value < 0))) {
          this.reject(RejectReason.badValue, { metric: Name });
          continue;
        }
        if (!this.start(family, labels)) {
          this.reject(RejectReason.tooManySeries, { metric: Name });
          continue;
        }
        if (family.kind === "counter") family.metric.inc(labels, values.reduce((sum, value) => sum + value, 0));
        else for (const value of values) family.metric.observe(labels, value / 1000);
      }
    }
  }

  /**
   * The labels of a directive's dimensions, or why they cannot be had. Built in the catalog's
   * order of the family's dimensions, as {@link combinations} builds them: the series key of the
   * same labels is then the same string.
   */
  private labelsOf(family: Family, named: readonly string[], record: Record<string, unknown>): Record<string, string> | RejectReason {
    for (const dimension of named) if (!(family.dimensions as readonly string[]).includes(dimension)) return RejectReason.unknownDimension;
    const labels: Record<string, string> = {};
    for (const dimension of family.dimensions) {
      if (!named.includes(dimension)) continue;
      const value = record[dimension];
      if (typeof value !== "string") return RejectReason.missingDimension;
      labels[LABEL_OF[dimension]] = value;
    }
    return labels;
  }

  /** Starts a series at zero (a no-op if it exists); `false` when the family is full. */
  private start(family: Family, labels: Record<string, string>): boolean {
    const key = JSON.stringify(labels);
    if (family.series.has(key)) return true;
    if (family.series.size >= MAX_SERIES_PER_METRIC) return false;
    family.series.add(key);
    if (family.kind === "counter") family.metric.inc(labels, 0);
    else family.metric.zero(labels);
    return true;
  }

  private reject(reason: RejectReason, detail: Record<string, unknown>): void {
    this.rejected.inc({ reason });
    if (this.reported.has(reason)) return;
    this.reported.add(reason);
    this.options.onFirstReject?.(reason, detail);
  }
}

/** A metric's value in an EMF record: a finite number or a non-empty array of them. */
function valuesOf(value: unknown): number[] | undefined {
  const values = Array.isArray(value) ? value : [value];
  if (values.length === 0 || !values.every((item): item is number => typeof item === "number" && Number.isFinite(item))) return undefined;
  return values;
}

/** Every combination of the dimensions' values in the universe, as labels. */
function combinations(dimensions: readonly Dimension[], universe: MetricUniverse): Record<string, string>[] {
  let result: Record<string, string>[] = [{}];
  for (const dimension of dimensions) {
    const values = dimensionValues(dimension, universe);
    result = result.flatMap((labels) => values.map((value) => ({ ...labels, [LABEL_OF[dimension]]: value })));
  }
  return result;
}
