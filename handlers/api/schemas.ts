import { SCHEDULE_NAME } from "../domain/schedule";
/**
 * The HTTP API's contract as valibot schemas: what each route reads (query strings, bodies) and
 * what it answers. The handler validates input with the request schemas; `handlers/openapi.ts`
 * turns all of them into the OpenAPI document, and the tests check every response against it.
 * Nothing here is AWS or HTTP plumbing: only shapes.
 */
import * as v from "valibot";
import { JobStatus, TERMINAL_STATUSES } from "../domain/job";
import { IDEMPOTENCY_KEY, IDEMPOTENCY_KEY_RULE, SubmissionSchema } from "../domain/submission";
import { isRfc3339 } from "../domain/time";

export { isRfc3339 };

const STATUSES = Object.values(JobStatus);

/** The largest page `GET /jobs` returns, and the most jobs a bulk call acts on. */
export const MAX_PAGE = 100;
/** The page `GET /jobs` returns when `limit` is not given. */
export const DEFAULT_PAGE = 25;
/** Jobs a bulk dry run shows as its sample. */
export const BULK_SAMPLE = 10;

/**
 * The epoch ms bounds of a creation-time range, both ends inclusive: a lower bound with digits
 * past the millisecond rounds up (a job created at .840 is not after .8405), an upper one down.
 */
export function createdRangeMs(after: string | undefined, before: string | undefined): { createdAfterMs?: number; createdBeforeMs?: number } {
  const fraction = (value: string) => /\.\d{3}(\d*)/.exec(value)?.[1] ?? "";
  return {
    ...(after !== undefined && { createdAfterMs: Date.parse(after) + (/[1-9]/.test(fraction(after)) ? 1 : 0) }),
    ...(before !== undefined && { createdBeforeMs: Date.parse(before) }),
  };
}

const isoTime = (what: string) => v.pipe(v.string(`${what} must be a string`), v.check(isRfc3339, `${what} must be an RFC 3339 time`));

/** A time range's ends in order (DynamoDB refuses a BETWEEN with its low end above its high end). */
const orderedRange = <T extends { createdAfter?: string; createdBefore?: string }>() =>
  v.check<T, string>((filter) => !(filter.createdAfter && filter.createdBefore) || Date.parse(filter.createdAfter) <= Date.parse(filter.createdBefore), "createdAfter must not be later than createdBefore");

const JobStatusSchema = v.picklist(STATUSES, `status must be one of ${STATUSES.join(", ")}`);

const JobErrorSchema = v.object({ code: v.string(), message: v.string(), retryable: v.boolean() });

/** How one attempt ended (`RUNNING` while it runs; `LEASE_EXPIRED` when its worker was lost). */
export const ATTEMPT_OUTCOMES = ["RUNNING", "SUCCEEDED", "FAILED", "RETRYING", "LEASE_EXPIRED"] as const;

export const AttemptSchema = v.object({
  attempt: v.pipe(v.number(), v.integer(), v.minValue(1)),
  startedAt: v.string(),
  finishedAt: v.optional(v.string()),
  outcome: v.picklist(ATTEMPT_OUTCOMES),
  errorCode: v.optional(v.string()),
});

const jobFields = {
  jobId: v.string(),
  type: v.string(),
  status: JobStatusSchema,
  error: v.optional(JobErrorSchema),
  attempts: v.pipe(v.number(), v.integer()),
  maxAttempts: v.pipe(v.number(), v.integer()),
  delaySeconds: v.pipe(v.number(), v.integer()),
  runAt: v.string(),
  createdAt: v.string(),
  updatedAt: v.string(),
  startedAt: v.optional(v.string()),
  finishedAt: v.optional(v.string()),
  owner: v.optional(v.string()),
  schedule: v.optional(v.pipe(v.string(), v.description("The schedule whose fire made the job (absent for a submitted job)."))),
};

/** A job as `GET /jobs/{jobId}` shows it. */
export const JobViewSchema = v.object({
  ...jobFields,
  payload: v.unknown(),
  result: v.optional(v.unknown()),
  attemptHistory: v.array(AttemptSchema),
});

/** A job in a listing: no payload, result or history (a page of 100 must stay small). */
export const JobListItemSchema = v.object(jobFields);

/** `202` of `POST /jobs`. */
export const JobAcceptedSchema = v.object({ jobId: v.string(), type: v.string(), status: JobStatusSchema, createdAt: v.string() });

export const JobTypesSchema = v.array(
  v.object({
    type: v.string(),
    description: v.string(),
    payloadSchema: v.record(v.string(), v.unknown()),
    example: v.unknown(),
    timeoutSeconds: v.number(),
    maxAttempts: v.number(),
  }),
);

/** `POST /jobs` body: the domain's own envelope schema. */
export { SubmissionSchema };

/** The most jobs one `POST /jobs/batch` submits. */
export const MAX_BATCH = 100;

/** An item's `Idempotency-Key`, as the header's rule (`isIdempotencyKey`). */
export const IdempotencyKeySchema = v.pipe(
  v.string("idempotencyKey must be a string"),
  v.regex(IDEMPOTENCY_KEY, `idempotencyKey must be ${IDEMPOTENCY_KEY_RULE}`),
  v.description("The item's Idempotency-Key: the same key and body again answer the first job (200); another body under it is a 422."),
);

/** One item of `POST /jobs/batch`: a `POST /jobs` body, plus its own optional `idempotencyKey`. */
export const BatchJobSchema = v.strictObject({ ...SubmissionSchema.entries, idempotencyKey: v.optional(IdempotencyKeySchema) });

/**
 * `POST /jobs/batch`'s envelope: 1 to {@link MAX_BATCH} items. Each item is then validated on its
 * own (as {@link BatchJobSchema}): a bad item is its own `400` result, never the request's.
 */
export const BatchRequestSchema = v.strictObject({
  jobs: v.pipe(v.array(v.unknown(), "jobs must be an array"), v.minLength(1, "jobs must not be empty"), v.maxLength(MAX_BATCH, `jobs must have at most ${MAX_BATCH} items`)),
});

const FieldErrorSchema = v.object({ path: v.string(), message: v.string() });
const batchIndex = v.pipe(v.number(), v.integer(), v.minValue(0), v.description("The item's place in `jobs`, from 0."));

/** A batch item stored as a new job, as `POST /jobs` answers `202`. */
export const BatchAcceptedSchema = v.object({ index: batchIndex, status: v.literal(202), jobId: v.string(), job: JobAcceptedSchema });
/** A batch item whose `idempotencyKey` already submitted this body: the job as it is now, as `POST /jobs` answers `200`. */
export const BatchReplayedSchema = v.object({ index: batchIndex, status: v.literal(200), jobId: v.string(), job: JobViewSchema });
/** A batch item that is invalid: nothing stored for it; `errors` paths are relative to the item (`payload.text`). */
export const BatchInvalidSchema = v.object({ index: batchIndex, status: v.literal(400), errors: v.array(FieldErrorSchema) });
/** A batch item whose `idempotencyKey` already submitted another body: nothing stored; `jobId` is that key's job. */
export const BatchConflictSchema = v.object({ index: batchIndex, status: v.literal(422), jobId: v.string(), detail: v.string() });

/** `200` of `POST /jobs/batch`: one result per item, in the items' order. */
export const BatchResponseSchema = v.object({ results: v.array(v.variant("status", [BatchAcceptedSchema, BatchReplayedSchema, BatchInvalidSchema, BatchConflictSchema])) });

/** A status list as a query string gives it: `FAILED` or `FAILED,CANCELED`. */
const statusList = v.pipe(
  v.string("status must be a string"),
  v.transform((value) => value.split(",").map((part) => part.trim())),
  v.array(JobStatusSchema),
  v.minLength(1, "status must name at least one status"),
  v.transform((list) => [...new Set(list)]),
);

const filterFields = {
  type: v.optional(v.pipe(v.string("type must be a string"), v.minLength(1, "type must not be empty"), v.maxLength(128, "type is too long"))),
  schedule: v.optional(v.pipe(v.string("schedule must be a string"), v.regex(SCHEDULE_NAME, "schedule must be a schedule's name: 1 to 64 letters, digits, '-', '_' or '.'"))),
  createdAfter: v.optional(isoTime("createdAfter")),
  createdBefore: v.optional(isoTime("createdBefore")),
};

/** The query of `GET /jobs`; every value a string, as a query string gives it. */
export const ListQuerySchema = v.pipe(
  v.strictObject({
    ...filterFields,
    status: v.optional(statusList),
    limit: v.optional(
      v.pipe(v.string(), v.regex(/^\d{1,3}$/, `limit must be an integer from 1 to ${MAX_PAGE}`), v.transform(Number), v.minValue(1, `limit must be an integer from 1 to ${MAX_PAGE}`), v.maxValue(MAX_PAGE, `limit must be an integer from 1 to ${MAX_PAGE}`)),
    ),
    cursor: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(8192, "cursor is too long"))),
    /** An admin may list another owner's jobs; anyone else may only name itself. */
    owner: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(1024))),
  }),
  orderedRange(),
);

/** The query of `GET /jobs/summary`. */
export const SummaryQuerySchema = v.strictObject({
  owner: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(1024))),
});

/** A `GET /jobs` page. `nextCursor`, passed back as `cursor`, continues it; absent on the last page. */
export const JobListSchema = v.object({ jobs: v.array(JobListItemSchema), nextCursor: v.optional(v.string()) });

const countsByStatus = v.object(Object.fromEntries(STATUSES.map((status) => [status, v.pipe(v.number(), v.integer(), v.minValue(0))])) as Record<JobStatus, v.SchemaWithPipe<[v.NumberSchema<undefined>, v.IntegerAction<number, undefined>, v.MinValueAction<number, 0, undefined>]>>);

/** `GET /jobs/summary`: the caller's jobs (every owner's for an admin) counted by status and by type. */
export const JobSummarySchema = v.object({
  /** `owner`: one owner's jobs; `all`: every owner's (an admin's default). */
  scope: v.picklist(["owner", "all"]),
  owner: v.optional(v.string()),
  total: v.number(),
  byStatus: countsByStatus,
  byType: v.record(v.string(), countsByStatus),
  asOf: v.string(),
});

/** Filter of a bulk action: the same filters as `GET /jobs`, statuses as a list. */
export const BulkFilterSchema = v.pipe(
  v.strictObject({
    ...filterFields,
    status: v.optional(v.pipe(v.array(JobStatusSchema), v.minLength(1, "status must name at least one status"))),
  }),
  orderedRange(),
);

/** `POST /jobs/bulk/retry` and `POST /jobs/bulk/cancel`. Exactly one of `filter` and `jobIds`. */
export const BulkRequestSchema = v.pipe(
  v.strictObject({
    filter: v.optional(BulkFilterSchema),
    jobIds: v.optional(v.pipe(v.array(v.string()), v.minLength(1, "jobIds must not be empty"), v.maxLength(MAX_PAGE, `jobIds must have at most ${MAX_PAGE} ids`))),
    dryRun: v.optional(v.boolean("dryRun must be true or false")),
    limit: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(MAX_PAGE, `limit must be at most ${MAX_PAGE}`))),
    cursor: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(8192, "cursor is too long"))),
  }),
  v.check((body) => (body.filter === undefined) !== (body.jobIds === undefined), "give exactly one of filter and jobIds"),
);

/** A bulk dry run: how many jobs the action would touch now, and some of them. */
export const BulkDryRunSchema = v.object({
  action: v.picklist(["retry", "cancel"]),
  dryRun: v.literal(true),
  matched: v.number(),
  /** True when counting stopped at the cap: at least `matched` jobs match. */
  matchedAtLeast: v.boolean(),
  sample: v.array(JobListItemSchema),
});

/** One bulk call's work: each job moved by its own conditional transition, or skipped. */
export const BulkResultSchema = v.object({
  action: v.picklist(["retry", "cancel"]),
  dryRun: v.literal(false),
  examined: v.number(),
  changed: v.number(),
  skipped: v.number(),
  changedJobIds: v.array(v.string()),
  /** Jobs that matched but changed before their transition (or are not the caller's): left as they are. */
  skippedJobs: v.array(v.object({ jobId: v.string(), status: v.optional(JobStatusSchema), reason: v.picklist(["changed", "not-found"]) })),
  nextCursor: v.optional(v.string()),
});

/** RFC 9457 problem document, every 4xx/5xx CloudQueue itself answers. */
export const ProblemSchema = v.object({
  type: v.string(),
  title: v.string(),
  status: v.number(),
  detail: v.string(),
  errors: v.optional(v.array(v.object({ path: v.string(), message: v.string() }))),
});

/** API Gateway's own answers (401/403 of its authorizers, 404/429/5xx of its own): `{"message"}`. */
export const GatewayMessageSchema = v.object({ message: v.string() });

/** The statuses a bulk action may start from. */
export const BULK_FROM: Readonly<Record<"retry" | "cancel", readonly JobStatus[]>> = {
  retry: [JobStatus.FAILED, JobStatus.CANCELED],
  cancel: [JobStatus.QUEUED],
};

export { TERMINAL_STATUSES };
export type ListQuery = v.InferOutput<typeof ListQuerySchema>;
export type BulkRequest = v.InferOutput<typeof BulkRequestSchema>;
export type JobListItem = v.InferOutput<typeof JobListItemSchema>;
export type JobSummary = v.InferOutput<typeof JobSummarySchema>;
export type BulkDryRun = v.InferOutput<typeof BulkDryRunSchema>;
export type BulkResult = v.InferOutput<typeof BulkResultSchema>;
export type Attempt = v.InferOutput<typeof AttemptSchema>;
export type BatchResponse = v.InferOutput<typeof BatchResponseSchema>;
export type BatchResult = BatchResponse["results"][number];
