// @ts-check
import { STATUS_TEXT } from "./api.js";
/**
 * The numbers of the metrics panel, read from the local stack's registry in prom-client's JSON
 * form (`GET /metrics` with `Accept: application/json`; local/metricsEndpoint.ts): the same
 * registry Prometheus scrapes as text, so the panel and a Prometheus query agree. Pure: no DOM,
 * no fetch.
 *
 * @typedef {{ value: number, labels: Record<string, string | number>, metricName?: string }} Sample
 * @typedef {{ name: string, type: string, values: Sample[] }} Family
 * @typedef {{ le: number, count: number }} Bucket cumulative count of observations at most `le`
 * @typedef {{ p50: number | undefined, p99: number | undefined, count: number }} Durations seconds
 * @typedef {{ visible: number, inFlight: number, delayed: number, total: number }} QueueDepth
 * @typedef {{
 *   statuses: Record<string, number> | undefined,
 *   wait: Durations | undefined, run: Durations | undefined,
 *   queue: QueueDepth | undefined, dlq: QueueDepth | undefined,
 *   inFlight: number | undefined, maxConcurrency: number | undefined
 * }} Snapshot `undefined` where the registry had no such series
 */

/** The families the panel reads (README "Local metrics" names them all). */
export const METRIC = /** @type {const} */ ({
  jobs: "cloudqueue_jobs",
  wait: "cloudqueue_wait_seconds",
  run: "cloudqueue_run_seconds",
  queueMessages: "cloudqueue_queue_messages",
  inFlight: "cloudqueue_worker_invocations_in_flight",
  maxConcurrency: "cloudqueue_worker_max_concurrency",
});

/** The job statuses, in the order of a job's life. */
export const STATUSES = /** @type {(keyof typeof STATUS_TEXT)[]} */ (Object.keys(STATUS_TEXT));

/**
 * The registry's families, or `undefined` when `json` is not prom-client's JSON form (a page
 * served by something else at `/metrics`).
 * @param {unknown} json
 * @returns {Family[] | undefined}
 */
export function parseFamilies(json) {
  if (!Array.isArray(json)) return undefined;
  /** @type {Family[]} */
  const families = [];
  for (const family of json) {
    if (!family || typeof family !== "object" || typeof family.name !== "string" || typeof family.type !== "string" || !Array.isArray(family.values)) return undefined;
    /** @type {Sample[]} */
    const values = [];
    for (const sample of family.values) {
      if (!sample || typeof sample !== "object" || typeof sample.value !== "number" || !sample.labels || typeof sample.labels !== "object") return undefined;
      values.push({ value: sample.value, labels: sample.labels, metricName: typeof sample.metricName === "string" ? sample.metricName : undefined });
    }
    families.push({ name: family.name, type: family.type, values });
  }
  return families;
}

/**
 * What the panel shows, from the registry's families.
 * @param {Family[]} families
 * @returns {Snapshot}
 */
export function snapshot(families) {
  /** @param {string} name */
  const family = (name) => families.find((candidate) => candidate.name === name);
  const jobs = family(METRIC.jobs);
  const queueMessages = family(METRIC.queueMessages);
  return {
    statuses: jobs && jobs.values.length > 0 ? Object.fromEntries(STATUSES.map((status) => [status, sum(jobs.values.filter((sample) => sample.labels.status === status))])) : undefined,
    wait: durations(family(METRIC.wait)),
    run: durations(family(METRIC.run)),
    queue: queueDepth(queueMessages, "jobs"),
    dlq: queueDepth(queueMessages, "dlq"),
    inFlight: single(family(METRIC.inFlight)),
    maxConcurrency: single(family(METRIC.maxConcurrency)),
  };
}

/** @param {Sample[]} samples */
function sum(samples) {
  return samples.reduce((total, sample) => total + sample.value, 0);
}

/** @param {Family | undefined} family */
function single(family) {
  return family && family.values.length > 0 ? sum(family.values) : undefined;
}

/**
 * @param {Family | undefined} family
 * @param {string} queue
 * @returns {QueueDepth | undefined}
 */
function queueDepth(family, queue) {
  const samples = family?.values.filter((sample) => sample.labels.queue === queue) ?? [];
  if (samples.length === 0) return undefined;
  /** @param {string} state */
  const of = (state) => sum(samples.filter((sample) => sample.labels.state === state));
  const depth = { visible: of("visible"), inFlight: of("in_flight"), delayed: of("delayed") };
  return { ...depth, total: depth.visible + depth.inFlight + depth.delayed };
}

/**
 * p50 and p99 of a histogram family over all its series (every job type), as
 * `histogram_quantile(q, sum by (le) (family_bucket))` computes them.
 * @param {Family | undefined} family
 * @returns {Durations | undefined}
 */
function durations(family) {
  if (!family || family.type !== "histogram") return undefined;
  /** @type {Map<number, number>} */
  const byBound = new Map();
  for (const sample of family.values) {
    if (sample.metricName !== `${family.name}_bucket`) continue;
    const le = sample.labels.le === "+Inf" ? Infinity : Number(sample.labels.le);
    if (Number.isNaN(le)) continue;
    byBound.set(le, (byBound.get(le) ?? 0) + sample.value);
  }
  const buckets = [...byBound].map(([le, count]) => ({ le, count })).sort((a, b) => a.le - b.le);
  const count = buckets.at(-1)?.count ?? 0;
  return { p50: histogramQuantile(0.5, buckets), p99: histogramQuantile(0.99, buckets), count };
}

/**
 * Prometheus's `histogram_quantile`: the bucket holding the q-th observation, and a linear
 * interpolation inside it (from 0 for the first bucket); the highest finite bound when it falls
 * in the `+Inf` bucket. `undefined` without observations or without a `+Inf` bucket.
 * @param {number} q between 0 and 1
 * @param {Bucket[]} buckets sorted by `le`, cumulative
 * @returns {number | undefined}
 */
export function histogramQuantile(q, buckets) {
  const last = buckets.at(-1);
  if (buckets.length < 2 || !last || last.le !== Infinity || last.count === 0) return undefined;
  // Counts scraped at once are cumulative; keep them so should a float sum ever dip.
  const counts = buckets.map((bucket) => bucket.count);
  for (let index = 1; index < counts.length; index++) counts[index] = Math.max(counts[index] ?? 0, counts[index - 1] ?? 0);
  let rank = q * last.count;
  const index = counts.findIndex((count) => count >= rank);
  if (index === buckets.length - 1) return buckets[buckets.length - 2]?.le;
  const bucket = buckets[index];
  if (!bucket) return undefined;
  if (index === 0 && bucket.le <= 0) return bucket.le;
  let start = 0;
  let inBucket = counts[index] ?? 0;
  if (index > 0) {
    start = buckets[index - 1]?.le ?? 0;
    inBucket -= counts[index - 1] ?? 0;
    rank -= counts[index - 1] ?? 0;
  }
  return start + (bucket.le - start) * (rank / inBucket);
}

/**
 * A duration for people: milliseconds under a second, seconds above.
 * @param {number | undefined} seconds
 */
export function formatSeconds(seconds) {
  if (seconds === undefined || !Number.isFinite(seconds)) return "—";
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  return `${seconds.toFixed(seconds < 10 ? 2 : 1)} s`;
}

/**
 * One sentence of the counts a screen reader is told when they change.
 * @param {Snapshot} snap
 */
export function summarySentence(snap) {
  const statuses = snap.statuses ? STATUSES.map((status) => `${snap.statuses?.[status] ?? 0} ${STATUS_TEXT[status].toLowerCase()}`).join(", ") : "unknown";
  return `Jobs: ${statuses}. Queue depth ${snap.queue?.total ?? "unknown"}, dead-letter queue ${snap.dlq?.total ?? "unknown"}.`;
}
