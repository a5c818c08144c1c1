import { routes } from "./routes";

/**
 * The HTTP API's CORS rules (SPEC §3), for the Pulumi program's `corsConfiguration` and the
 * local stack's front alike. The allowed origins are the site's origin plus configured ones;
 * they differ per deployment, so they are not here.
 */
export const CORS_RULES = {
  /** The methods of the route table (API Gateway answers the preflight `OPTIONS` itself). */
  allowMethods: [...new Set(routes.map((route) => route.method))],
  /**
   * The non-simple request headers clients send besides `Content-Type`: `Idempotency-Key`, and
   * `Authorization` (a bearer token on a `jwt` stack).
   */
  allowHeaders: ["content-type", "idempotency-key", "authorization"],
  /**
   * Response headers a browser script may read besides the CORS-safelisted ones: a `POST /jobs`
   * answer names the new job in `Location`, a replay says so in `Idempotent-Replayed`, a 503
   * says when to try again in `Retry-After`, and a 405 lists the methods in `Allow`.
   */
  exposeHeaders: ["location", "retry-after", "idempotent-replayed", "allow"],
  /** How long a browser may cache a preflight answer. @default 3600 */
  maxAgeSeconds: 3600,
} as const;
