import { createHash } from "node:crypto";
import * as v from "valibot";
import type { JobTypeRegistry } from "./jobTypes";
import { isRfc3339 } from "./time";

/**
 * A validated `POST /jobs` body. It asks for a delay or for a time, never both: `delaySeconds`
 * (0 when neither is given) or `runAt` (an RFC 3339 time).
 */
export interface Submission {
  type: string;
  payload: unknown;
  delaySeconds?: number;
  runAt?: string;
}

/** One reason a request is invalid; `path` is a dot path into the body (`payload.text`). */
export interface FieldError {
  path: string;
  message: string;
}

/** SQS's own maximum `DelaySeconds`: a job due later than this waits in the sweep index, with no message (SPEC §14). */
export const MAX_DELAY_SECONDS = 900;
/** The longest delay a job may ask for, and how far ahead its `runAt` may be: 365 days. */
export const MAX_JOB_DELAY_SECONDS = 31_536_000;

/** The `POST /jobs` body's envelope (the payload is then checked against its type's own schema). */
export const SubmissionSchema = v.strictObject({
  type: v.pipe(v.string("type must be a string"), v.minLength(1, "type must not be empty"), v.maxLength(128, "type is too long")),
  payload: v.unknown(),
  delaySeconds: v.optional(
    v.pipe(
      v.number("delaySeconds must be a number"),
      v.integer("delaySeconds must be an integer"),
      v.minValue(0, "delaySeconds must be at least 0"),
      v.maxValue(MAX_JOB_DELAY_SECONDS, `delaySeconds must be at most ${MAX_JOB_DELAY_SECONDS} (365 days)`),
      v.description("Seconds to wait before the job runs (default 0). Not with runAt."),
    ),
  ),
  runAt: v.optional(
    v.pipe(
      v.string("runAt must be a string"),
      v.check(isRfc3339, "runAt must be an RFC 3339 time, such as 2027-01-31T09:00:00Z"),
      v.description("When the job runs (RFC 3339), at most 365 days ahead; a time already past runs it now. Not with delaySeconds."),
    ),
  ),
});

/** When a submission is due, in epoch ms, if it is submitted at `nowMs`. */
export function dueAtOf(submission: Submission, nowMs: number): number {
  return submission.runAt !== undefined ? Date.parse(submission.runAt) : nowMs + (submission.delaySeconds ?? 0) * 1000;
}

/**
 * Validates a parsed `POST /jobs` body: its envelope, then its type, then the payload against the
 * type's schema. Every problem found is returned, each with the path it concerns. `nowMs` bounds
 * `runAt`: at most {@link MAX_JOB_DELAY_SECONDS} ahead.
 */
export function validateSubmission(body: unknown, registry: JobTypeRegistry, nowMs: number = Date.now()): { ok: true; submission: Submission } | { ok: false; errors: FieldError[] } {
  const envelope = v.safeParse(SubmissionSchema, body);
  if (!envelope.success) return { ok: false, errors: toFieldErrors(envelope.issues) };
  const { type, payload, delaySeconds, runAt } = envelope.output;
  if (delaySeconds !== undefined && runAt !== undefined) {
    return { ok: false, errors: [{ path: "runAt", message: "give delaySeconds or runAt, not both" }] };
  }
  if (runAt !== undefined && Date.parse(runAt) > nowMs + MAX_JOB_DELAY_SECONDS * 1000) {
    return { ok: false, errors: [{ path: "runAt", message: `runAt must be at most ${MAX_JOB_DELAY_SECONDS} seconds (365 days) ahead` }] };
  }
  const jobType = registry.get(type);
  if (!jobType) {
    return { ok: false, errors: [{ path: "type", message: `unknown job type; known types: ${[...registry.keys()].join(", ")}` }] };
  }
  const parsed = v.safeParse(jobType.schema, payload);
  if (!parsed.success) return { ok: false, errors: toFieldErrors(parsed.issues, "payload") };
  // A submission without runAt keeps `delaySeconds: 0`, so its replay hash is the one it had before runAt existed.
  return { ok: true, submission: runAt !== undefined ? { type, payload, runAt } : { type, payload, delaySeconds: delaySeconds ?? 0 } };
}

/**
 * The keys of schedule fires (`schedule:<name>#<time>`, handlers/domain/schedule.ts) start with
 * it: a client's key may not, so that no submission takes a fire's job (on a `none` stack fires
 * and clients share the one public owner, and a key's job id is the owner's and the key's).
 */
export const RESERVED_KEY_PREFIX = "schedule:";

/** A usable `Idempotency-Key`: 1–255 printable ASCII characters, not starting with {@link RESERVED_KEY_PREFIX}. */
export const IDEMPOTENCY_KEY = new RegExp(`^(?!${RESERVED_KEY_PREFIX})[\\x20-\\x7e]{1,255}$`);

/** What {@link IDEMPOTENCY_KEY} asks, in words. */
export const IDEMPOTENCY_KEY_RULE = `1 to 255 printable ASCII characters, not starting with ${RESERVED_KEY_PREFIX} (the keys of schedule fires)`;

/** Whether a header value is a usable `Idempotency-Key` ({@link IDEMPOTENCY_KEY}). */
export function isIdempotencyKey(value: string): boolean {
  return IDEMPOTENCY_KEY.test(value);
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
