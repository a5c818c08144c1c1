import type { IncomingHttpHeaders } from "node:http";
import { CORS_RULES } from "../handlers/cors";

/**
 * API Gateway's CORS behaviour with {@link CORS_RULES}: it answers preflights itself, adds the
 * CORS headers to responses for allowed origins, and drops any the function set.
 */
export class CorsPolicy {
  constructor(private readonly isAllowedOrigin: (origin: string) => boolean) {}

  /** Whether a request is a CORS preflight (answered here, never passed to the function). */
  isPreflight(method: string, headers: IncomingHttpHeaders): boolean {
    return method === "OPTIONS" && typeof headers.origin === "string" && typeof headers["access-control-request-method"] === "string";
  }

  /** The preflight answer: 204, with the allow headers when the origin is allowed. */
  preflightHeaders(headers: IncomingHttpHeaders): Record<string, string> {
    const origin = headers.origin;
    if (typeof origin !== "string" || !this.isAllowedOrigin(origin)) return { vary: "Origin" };
    return {
      "access-control-allow-origin": origin,
      "access-control-allow-methods": CORS_RULES.allowMethods.join(","),
      "access-control-allow-headers": CORS_RULES.allowHeaders.join(","),
      "access-control-max-age": String(CORS_RULES.maxAgeSeconds),
      vary: "Origin",
    };
  }

  /** Headers of an API response with the function's CORS headers replaced by the gateway's. */
  apply(responseHeaders: Record<string, string>, requestOrigin: string | undefined): Record<string, string> {
    const headers = Object.fromEntries(Object.entries(responseHeaders).filter(([name]) => !name.toLowerCase().startsWith("access-control-")));
    headers.vary = "Origin";
    if (requestOrigin !== undefined && this.isAllowedOrigin(requestOrigin)) {
      headers["access-control-allow-origin"] = requestOrigin;
      headers["access-control-expose-headers"] = CORS_RULES.exposeHeaders.join(",");
    }
    return headers;
  }
}
