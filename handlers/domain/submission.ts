import { createHash } from "node:crypto";
import * as v from "valibot";
import type { JobTypeRegistry } from "./jobTypes";

/** A validated `POST /jobs` body. */
export interface Submission {
  type: string;
  payload: unknown;
  delaySeconds: number;
}

/** One reason a request is invalid; `path` is a dot path into the body (`payload.text`). */
export interface FieldError {
  path: string;
  message: string;
}

/** The longest delay a job may ask for: SQS's own maximum `DelaySeconds`. */
export const MAX_DELAY_SECONDS = 900;

/** The `POST /jobs` body's envelope (the payload is then checked against its type's own schema). */
export const SubmissionSchema = v.strictObject({
  type: v.pipe(v.string("type must be a string"), v.minLength(1, "type must not be empty"), v.maxLength(128, "type is too long")),
  payload: v.unknown(),
  delaySeconds: v.optional(
    v.pipe(
      v.number("delaySeconds must be a number"),
      v.integer("delaySeconds must be an integer"),
      v.minValue(0, "delaySeconds must be at least 0"),
      v.maxValue(MAX_DELAY_SECONDS, `delaySeconds must be at most ${MAX_DELAY_SECONDS}`),
    ),
    // A thunk, not 0: Pulumi's closure serializer throws on a schema with a primitive `default`.
    () => 0,
  ),
});

/**
 * Validates a parsed `POST /jobs` body: its envelope, then its type, then the payload against the
 * type's schema. Every problem found is returned, each with the path it concerns.
 */
export function validateSubmission(body: unknown, registry: JobTypeRegistry): { ok: true; submission: Submission } | { ok: false; errors: FieldError[] } {
  const envelope = v.safeParse(SubmissionSchema, body);
  if (!envelope.success) return { ok: false, errors: toFieldErrors(envelope.issues) };
  const { type, payload, delaySeconds } = envelope.output;
  const jobType = registry.get(type);
  if (!jobType) {
    return { ok: false, errors: [{ path: "type", message: `unknown job type; known types: ${[...registry.keys()].join(", ")}` }] };
  }
  const parsed = v.safeParse(jobType.schema, payload);
  if (!parsed.success) return { ok: false, errors: toFieldErrors(parsed.issues, "payload") };
  return { ok: true, submission: { type, payload, delaySeconds } };
}

/** Whether a header value is a usable `Idempotency-Key`: 1–255 printable ASCII characters. */
export function isIdempotencyKey(value: string): boolean {
  return /^[\x20-\x7e]{1,255}$/.test(value);
}

/**
 * A hash of what a submission asks for, independent of key order and white space: a replay of
 * the same request matches, a different request under the same `Idempotency-Key` does not.
 */
export function submissionHash(submission: Submission): string {
  return canonicalHash(submission);
}

/** SHA-256 of a JSON value in a canonical form (keys sorted, no white space): equal values, equal hashes. */
export function canonicalHash(value: unknown): string {
  return createHash("sha256").update(canonicalJson(value)).digest("hex");
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

export function toFieldErrors(issues: readonly v.BaseIssue<unknown>[], prefix?: string): FieldError[] {
  return issues.map((issue) => {
    const path = [prefix, v.getDotPath(issue)].filter((part) => part !== undefined && part !== null && part !== "").join(".");
    // valibot reports a missing key as an "Invalid key" issue on the object; say it plainly.
    const missing = issue.kind === "schema" && issue.type.endsWith("object") && issue.received === "undefined";
    return { path, message: missing ? `${path} is required` : issue.message };
  });
}
