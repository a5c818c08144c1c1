import * as v from "valibot";
import type { BackoffSettings } from "./domain/backoff";

/**
 * The one source of CloudQueue's shared settings: the Pulumi program (`infra/`), the local stack
 * (`local/`) and the handlers all read these, so the deployed and the local system cannot drift.
 */

/** Shape of the jobs table: the key, the sparse sweep index and the TTL attribute. */
export const JOB_TABLE = {
  hashKey: "jobId",
  /**
   * The sparse GSI of active jobs. Only `QUEUED` and `IN_PROGRESS` items carry its keys, so it
   * holds exactly what the sweeper may have to repair. `sweepShard` spreads the index over
   * several partitions (no hot key); `sweepAt` is when the sweeper should look at the job.
   * Keys only: claims change no key and project nothing, so they write nothing to the index.
   */
  sweepIndex: { name: "by-sweep-due", hashKey: "sweepShard", rangeKey: "sweepAt", projection: "KEYS_ONLY" },
  /**
   * Every job, by owner, newest first (`GET /jobs` without a status, or with `QUEUED` or
   * `IN_PROGRESS`). `listShard` (the job's shard) spreads one busy owner over several partitions;
   * `listKey` is `<owner digest>#<createdAt ms>`. Both are written once, by the put, and never
   * change: one index write per job. `type` is projected (it never changes either) for the type
   * filter and the summary.
   */
  listIndex: { name: "by-owner-created", hashKey: "listShard", rangeKey: "listKey", projection: "INCLUDE", nonKeyAttributes: ["type"] },
  /**
   * The finished jobs, by owner and status, newest first (`GET /jobs?status=FAILED`). Sparse: the
   * terminal commit sets `doneShard` (`<status>#<shard>`), an explicit retry removes it; `listKey`
   * is shared with {@link listIndex}. One index write per successful job.
   */
  doneIndex: { name: "by-owner-done", hashKey: "doneShard", rangeKey: "listKey", projection: "INCLUDE", nonKeyAttributes: ["type"] },
  ttlAttribute: "expiresAt",
  /** The type of each key attribute of the table and its indexes. */
  keyTypes: { jobId: "S", sweepShard: "N", sweepAt: "N", listShard: "N", listKey: "S", doneShard: "S" },
} as const;

/** A global secondary index of the jobs table, as `JOB_TABLE` declares it. */
export type JobTableIndex = (typeof JOB_TABLE)["sweepIndex" | "listIndex" | "doneIndex"];

/** The jobs table's indexes: the sweeper's, and the two listings'. */
export function jobTableIndexes(): JobTableIndex[] {
  return [JOB_TABLE.sweepIndex, JOB_TABLE.listIndex, JOB_TABLE.doneIndex];
}

/** The attributes the table and its indexes key on, each once, with its type. */
export function jobTableKeyAttributes(): { name: string; type: "S" | "N" }[] {
  const names = [JOB_TABLE.hashKey, ...jobTableIndexes().flatMap((index) => [index.hashKey, index.rangeKey])];
  return [...new Set(names)].map((name) => ({ name, type: JOB_TABLE.keyTypes[name as keyof typeof JOB_TABLE.keyTypes] }));
}

/** Defaults, each also documented in `Pulumi.yaml` and the README. */
export const DEFAULTS = {
  /** The api function's timeout (API Gateway gives up on an integration after 30 s). */
  apiTimeoutSeconds: 10,
  /** Worker Lambda timeout; the longest job type timeout plus the commit reserve must fit. */
  workerTimeoutSeconds: 60,
  /** SQS visibility timeout = this × worker timeout (AWS's recommendation is at least 6). */
  visibilityTimeoutFactor: 6,
  /** Receives before a message moves to the DLQ. */
  maxReceiveCount: 5,
  /** DLQ retention: 14 days, SQS's maximum. */
  dlqRetentionSeconds: 1_209_600,
  /** Records per worker invocation. */
  batchSize: 10,
  /** Seconds the event source mapping may wait to fill a batch. */
  maxBatchingWindowSeconds: 0,
  /** Worker invocations at most in parallel (event source mapping maximum concurrency, ≥ 2). */
  maxConcurrency: 10,
  /** A job still QUEUED this long after it became visible is enqueued again by the sweeper. */
  sweepGraceSeconds: 120,
  /** Partitions of the sweep index. */
  sweepShards: 4,
  /** How often the sweeper runs. */
  sweepIntervalSeconds: 60,
  /** Jobs the sweeper repairs at most per run. */
  sweepMaxJobsPerRun: 500,
  /** Terminal jobs are deleted by TTL this many days after they finish. */
  retentionDays: 30,
  /** Largest accepted request body, in bytes. */
  maxBodyBytes: 65_536,
  /** Time kept aside, out of the lease, to commit after a run is cut off. */
  commitReserveMs: 2_000,
  backoff: { baseSeconds: 2, maxSeconds: 300 } satisfies BackoffSettings,
} as const;

/**
 * The SQS visibility timeout that matches a worker timeout: `factor` × the timeout, plus the
 * event source mapping's batching window, during which a received message waits in its buffer.
 */
export function visibilityTimeoutSeconds(workerTimeoutSeconds: number, factor: number = DEFAULTS.visibilityTimeoutFactor, batchingWindowSeconds = 0): number {
  return Math.min(43_200, Math.ceil(workerTimeoutSeconds * factor + batchingWindowSeconds));
}

/** Settings of the job store, shared by every handler. */
export interface StoreSettings {
  tableName: string;
  sweepShards: number;
  sweepGraceSeconds: number;
  retentionDays: number;
}

/** Settings of the job queue. */
export interface QueueSettings {
  queueUrl: string;
}

/** Environment variable names the Lambdas read their settings from. */
export const ENV = {
  tableName: "CLOUDQUEUE_TABLE_NAME",
  queueUrl: "CLOUDQUEUE_QUEUE_URL",
  sweepShards: "CLOUDQUEUE_SWEEP_SHARDS",
  sweepGraceSeconds: "CLOUDQUEUE_SWEEP_GRACE_SECONDS",
  retentionDays: "CLOUDQUEUE_RETENTION_DAYS",
  maxBodyBytes: "CLOUDQUEUE_MAX_BODY_BYTES",
  sweepMaxJobsPerRun: "CLOUDQUEUE_SWEEP_MAX_JOBS_PER_RUN",
  /** The CloudWatch namespace of the stack's metrics (`metricNamespace(stack)`). */
  metricsNamespace: "CLOUDQUEUE_METRICS_NAMESPACE",
  /** The api's `authMode`: `none`, `jwt` or `iam` (`handlers/auth/authMode.ts`). */
  authMode: "CLOUDQUEUE_AUTH_MODE",
  /**
   * The ARN of the stack's KMS HMAC key, from which the api derives the secret of key-derived job
   * ids (`handlers/auth/idSecret.ts`). An ARN names the key; it is not the secret.
   */
  idKeyArn: "CLOUDQUEUE_ID_KEY_ARN",
  /** The generation of that derived secret (`idKeyGeneration`): raising it rotates the secret. */
  idKeyGeneration: "CLOUDQUEUE_ID_KEY_GENERATION",
  /** `jwt` mode: `true` when every job route requires its scope (`jwtRequireScopes`); the api checks it too. */
  jwtRequireScopes: "CLOUDQUEUE_JWT_REQUIRE_SCOPES",
  /** `iam` mode: comma-separated IAM principal ARNs that see every owner's jobs (`iamAdminArns`). */
  adminPrincipals: "CLOUDQUEUE_ADMIN_PRINCIPALS",
} as const;

const integerFromEnv = (min: number, max: number) =>
  v.pipe(v.string(), v.regex(/^\d+$/, "must be a whole number"), v.transform(Number), v.minValue(min), v.maxValue(max));

// Defaults are thunks, not values: this schema is serialized into the Lambda code by Pulumi's
// closure serializer, which (3.276) throws on a plain object whose `default` is a primitive.
const envSchema = v.object({
  [ENV.tableName]: v.pipe(v.string(), v.minLength(1)),
  [ENV.queueUrl]: v.pipe(v.string(), v.url()),
  [ENV.sweepShards]: v.optional(integerFromEnv(1, 64), () => String(DEFAULTS.sweepShards)),
  [ENV.sweepGraceSeconds]: v.optional(integerFromEnv(1, 86_400), () => String(DEFAULTS.sweepGraceSeconds)),
  [ENV.retentionDays]: v.optional(integerFromEnv(1, 3_650), () => String(DEFAULTS.retentionDays)),
  [ENV.maxBodyBytes]: v.optional(integerFromEnv(1_024, 1_048_576), () => String(DEFAULTS.maxBodyBytes)),
  [ENV.sweepMaxJobsPerRun]: v.optional(integerFromEnv(1, 100_000), () => String(DEFAULTS.sweepMaxJobsPerRun)),
  [ENV.metricsNamespace]: v.optional(v.pipe(v.string(), v.regex(/^[\w./#:-]{1,255}$/, "must be a CloudWatch namespace")), () => "CloudQueue"),
});

/** Every setting a handler reads from its environment. */
export interface HandlerSettings extends StoreSettings, QueueSettings {
  maxBodyBytes: number;
  sweepMaxJobsPerRun: number;
  metricsNamespace: string;
}

/** Validates environment variables against `schema`; throws one error naming each bad variable. */
export function parseEnvironment<TSchema extends v.GenericSchema>(schema: TSchema, env: Record<string, string | undefined>): v.InferOutput<TSchema> {
  const parsed = v.safeParse(schema, env);
  if (!parsed.success) {
    const problems = parsed.issues.map((issue) => `${v.getDotPath(issue) ?? "environment"}: ${issue.message}`);
    throw new Error(`invalid CloudQueue environment: ${problems.join("; ")}`);
  }
  return parsed.output;
}

/** Reads and validates the handlers' settings from environment variables; throws naming each bad one. */
export function settingsFromEnv(env: Record<string, string | undefined>): HandlerSettings {
  const out = parseEnvironment(envSchema, env);
  return {
    tableName: out[ENV.tableName],
    queueUrl: out[ENV.queueUrl],
    sweepShards: out[ENV.sweepShards],
    sweepGraceSeconds: out[ENV.sweepGraceSeconds],
    retentionDays: out[ENV.retentionDays],
    maxBodyBytes: out[ENV.maxBodyBytes],
    sweepMaxJobsPerRun: out[ENV.sweepMaxJobsPerRun],
    metricsNamespace: out[ENV.metricsNamespace],
  };
}
