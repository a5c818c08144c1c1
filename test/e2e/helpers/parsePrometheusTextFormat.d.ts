/** The npm package's output, in the shape of prom2json's (it ships no types). */
declare module "parse-prometheus-text-format" {
  interface Sample {
    labels?: Record<string, string>;
    /** Counters, gauges, untyped: the value as written. */
    value?: string;
    /** Histograms: cumulative counts by upper bound (`"+Inf"` included). */
    buckets?: Record<string, string>;
    count?: string;
    sum?: string;
  }
  interface Family {
    name: string;
    help: string;
    type: "COUNTER" | "GAUGE" | "HISTOGRAM" | "SUMMARY" | "UNTYPED";
    metrics: Sample[];
  }
  function parsePrometheusTextFormat(text: string): Family[];
  export = parsePrometheusTextFormat;
}
