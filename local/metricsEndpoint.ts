import { ProblemType } from "../handlers/api/http";
import { problemResponse, type FrontResponse } from "./apiGatewayEvent";
import type { LocalMetrics } from "./localMetrics";

/**
 * Where the local front serves the metrics registry. Not under the API's paths (`/jobs`,
 * `/job-types`): it is the local stack's, not the API's, and the deployed site has no such path
 * (CloudFront answers it 404), which is how the page knows to hide its panel there.
 */
export const METRICS_PATH = "/metrics";

/** Methods `/metrics` answers; HEAD is GET without the body (RFC 9110). */
export const METRICS_METHODS = ["GET", "HEAD"] as const;

/**
 * `/metrics`: the Prometheus text exposition, or the same registry as JSON (prom-client's
 * `getMetricsAsJSON` form) for a client whose `Accept` prefers `application/json` to the text
 * formats. A scraper never does (Prometheus asks for OpenMetrics, then `text/plain`, then for any
 * type at a low weight), so it always gets text; the page asks for JSON, so it needs no parser of the
 * text format. One path, so that one 404 on AWS says both are absent; `Vary: Accept` keeps a
 * cache from answering one with the other.
 */
export async function metricsResponse(method: string, accept: string | undefined, metrics: LocalMetrics): Promise<FrontResponse> {
  if (!(METRICS_METHODS as readonly string[]).includes(method)) {
    const refused = problemResponse(405, ProblemType.methodNotAllowed, "Method Not Allowed", `${METRICS_PATH} answers ${METRICS_METHODS.join(" and ")} only`);
    return { ...refused, headers: { ...refused.headers, allow: METRICS_METHODS.join(", ") } };
  }
  const headers = { "cache-control": "no-store", vary: "Accept" };
  if (prefersJson(accept)) {
    return { statusCode: 200, headers: { ...headers, "content-type": "application/json" }, body: Buffer.from(JSON.stringify(await metrics.json())) };
  }
  const { contentType, body } = await metrics.exposition();
  return { statusCode: 200, headers: { ...headers, "content-type": contentType }, body: Buffer.from(body) };
}

/**
 * Whether an `Accept` header (RFC 9110 §12.5.1) weighs `application/json` above both text
 * formats of the exposition. Each type's weight is the `q` of the most specific range matching
 * it (`type/subtype`, then `type/*`, then the range of any type); no header, or a tie, means
 * text.
 */
export function prefersJson(accept: string | undefined): boolean {
  if (!accept) return false;
  const ranges = accept.split(",").flatMap((part) => {
    const [media = "", ...parameters] = part.split(";").map((piece) => piece.trim().toLowerCase());
    const [type, subtype] = media.split("/");
    if (!type || !subtype) return [];
    const q = parameters.find((parameter) => parameter.startsWith("q="));
    const weight = q === undefined ? 1 : Number(q.slice(2));
    return [{ type, subtype, weight: Number.isFinite(weight) ? Math.min(1, Math.max(0, weight)) : 0 }];
  });
  const weightOf = (type: string, subtype: string): number => {
    const specificity = (range: { type: string; subtype: string }) =>
      range.type === type && range.subtype === subtype ? 2 : range.type === type && range.subtype === "*" ? 1 : range.type === "*" && range.subtype === "*" ? 0 : -1;
    let best: { specificity: number; weight: number } = { specificity: -1, weight: 0 };
    for (const range of ranges) {
      const rank = specificity(range);
      if (rank > best.specificity) best = { specificity: rank, weight: range.weight };
    }
    return best.weight;
  };
  const json = weightOf("application", "json");
  return json > 0 && json > Math.max(weightOf("text", "plain"), weightOf("application", "openmetrics-text"));
}
