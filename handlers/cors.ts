/**
 * The HTTP API's CORS rules (SPEC §3), one source for the Pulumi program's `corsConfiguration`
 * and the local stack's front. The allowed origins are the site's origin plus configured ones;
 * they differ per deployment, so they are not here.
 */
export const CORS_RULES = {
  /** Every method the route table uses, plus the preflight's own. */
  allowMethods: ["GET", "POST", "DELETE", "OPTIONS"],
  /** `Idempotency-Key` is the one non-simple request header clients send besides `Content-Type`. */
  allowHeaders: ["content-type", "idempotency-key"],
  /** A `POST /jobs` answer names the new job in `Location`; a replay says so in `Idempotent-Replayed`. */
  exposeHeaders: ["location", "idempotent-replayed"],
  /** How long a browser may cache a preflight answer. @default 600 */
  maxAgeSeconds: 600,
} as const;
