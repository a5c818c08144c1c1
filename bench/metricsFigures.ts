import { customMetricCount, METRICS, type MetricDefinition, type MetricName } from "../handlers/metrics";
import { builtInMetricUniverse } from "../handlers/metricUniverse";
import { num } from "./format";

/** The README's table of custom metrics, written from the one catalog (handlers/metrics.ts). */
export function metricsFigures(): Record<string, string> {
  const count = customMetricCount(builtInMetricUniverse());
  const sets = (definition: MetricDefinition) => definition.dimensionSets.map((set) => (set.length === 0 ? "(none: stack total)" : set.join(" + "))).join("; ");
  const rows = (Object.entries(METRICS) as [MetricName, MetricDefinition][]).map(
    ([name, definition]) => `| \`${name}\` | ${definition.unit} | ${sets(definition)} | ${definition.emittedBy.join(", ")} | ${num(count.byMetric[name])} | ${definition.description} |`,
  );
  return {
    metrics: [
      "| Metric | Unit | Dimension sets | Emitted by | Metrics (built-in types) | Counts or measures |",
      "|---|---|---|---|---|---|",
      ...rows,
      "",
      `With the built-in job types and routes that is at most ${num(count.total)} custom metrics in the stack's namespace.`,
    ].join("\n"),
  };
}
