import * as v from "valibot";
import { MAX_DELAY_SECONDS } from "../handlers/domain/submission";
import { builtInJobTypes, type JobTypeRegistry } from "../handlers/domain/jobTypes";
import { AUTH_MODES, type AuthMode } from "../handlers/auth/authMode";
import { DEFAULTS, visibilityTimeoutSeconds } from "../handlers/settings";
import { parseSchedules, type ScheduleConfig } from "../handlers/domain/scheduleConfig";

/**
 * Defaults of the settings only the Pulumi program uses. The shared ones (timeouts, batch,
 * sweep, retention) come from `handlers/settings.ts` `DEFAULTS`; each key is also documented in
 * `Pulumi.yaml` (a test holds the two in step).
 */
export const INFRA_DEFAULTS = {
  /** Days Lambda logs are kept. */
  logRetentionDays: 14,
  /** Memory of each function, in MB (arm64: CPU scales with memory). */
  lambdaMemoryMb: 256,
  /** Steady-state requests per second the `$default` stage allows. */
  apiThrottleRateLimit: 50,
  /** Burst of requests the `$default` stage allows. */
  apiThrottleBurstLimit: 100,
  /** Monthly AWS Budgets limit, in USD. */
  monthlyBudgetUsd: 10,
  /** DynamoDB point-in-time recovery (off by default: costs per GB; turn on in production). */
  pointInTimeRecovery: false,
  /** DynamoDB deletion protection (off by default so `pulumi destroy` works; turn on in production). */
  deletionProtection: false,
  /** The functions' application log level (`loggingConfig.applicationLogLevel`). */
  logLevel: "INFO",
  // Alarm thresholds (`infra/observability.ts`), used only with `alertEmail`. Each alarm fires when
  // its value is above its threshold; the count alarms count over ALARM_PERIOD_SECONDS.
  /** Seconds the oldest message may wait in the job queue. Above `MAX_DELAY_SECONDS` (900): a delayed job's message is that old when it first becomes visible. */
  alarmOldestMessageAgeSeconds: 1_800,
  /** Percent of the jobs finished in a window that may fail (FAILED over SUCCEEDED + FAILED). */
  alarmFailurePercent: 10,
  /** The failure alarm's window, in minutes. */
  alarmFailureWindowMinutes: 15,
  /** Jobs that must finish in a window before its failure share counts: a window with fewer never alarms. */
  alarmFailureMinJobs: 20,
  /** Errors (uncaught, timed out, out of memory) per function in five minutes. */
  alarmFunctionErrors: 0,
  /** Throttled invocations per function in five minutes. */
  alarmFunctionThrottles: 0,
  /** Throttled DynamoDB requests on the jobs table in five minutes. */
  alarmDynamoDbThrottles: 0,
  /** 5xx answers of the HTTP API in five minutes. */
  alarmApi5xx: 0,
  /** How the API admits callers: the public demo (`handlers/auth/authMode.ts`). */
  authMode: "none",
  /**
   * `jwt` mode: every non-public route requires one of its scopes (`routeScopes`). AWS recommends
   * route scopes: nothing else tells an OIDC ID token from an access token.
   */
  jwtRequireScopes: true,
  /** The generation of the id secret derived from the stack's KMS HMAC key (raising it rotates the secret). */
  idKeyGeneration: 1,
} as const;

/** The period of the count alarms (errors, throttles, 5xx), in seconds: five minutes. */
export const ALARM_PERIOD_SECONDS = 300;

/**
 * The application log levels a stack may run at. The handlers write each job transition at INFO,
 * and that record carries its metrics (EMF): Lambda drops application records below the function's
 * level, so WARN, ERROR or FATAL would silently stop every CloudQueue metric.
 */
export const LOG_LEVELS = ["DEBUG", "INFO"] as const;
export type StackLogLevel = (typeof LOG_LEVELS)[number];
const METRIC_DROPPING_LEVELS = ["WARN", "ERROR", "FATAL"];

function logLevelMessage(input: unknown): string {
  return typeof input === "string" && METRIC_DROPPING_LEVELS.includes(input.toUpperCase())
    ? `${input} is refused: Lambda would drop the INFO job.transition records, which carry every CloudQueue metric (EMF); use INFO or DEBUG`
    : "must be DEBUG or INFO";
}

/** The api function's timeout: API Gateway gives up on an integration after 30 s. */
export const API_TIMEOUT_SECONDS = DEFAULTS.apiTimeoutSeconds;
/** The sweeper's timeout: one run must end before the next minute's. */
export const SWEEPER_TIMEOUT_SECONDS = 50;

/**
 * An IAM role or user ARN as the api compares it with a caller (`handlers/auth/caller.ts`
 * `principalOf`): a role without a path, since a role's sessions arrive as
 * `assumed-role/<name>/<session>`, which names no path; a user with its path, as IAM reports it.
 * No commas: the api reads the list from one comma-separated variable.
 */
const IAM_PRINCIPAL_ARN = /^arn:aws(-[a-z]+)*:iam::\d{12}:(role\/[\w+=.@-]{1,64}|user\/([\w+=.@-]+\/)*[\w+=.@-]{1,64})$/;
const IAM_PRINCIPAL_MESSAGE =
  "an IAM role ARN without a path (arn:aws:iam::123456789012:role/Name: a role's sessions name no path) or a user ARN (arn:aws:iam::123456789012:user/Name), without commas";
/** An OIDC issuer as API Gateway's JWT authorizer takes it: an https URL, no query or fragment. */
const JWT_ISSUER = /^https:\/\/[^\s/?#]+(\/[^\s?#]*)?$/;

/** The job queue keeps SQS's default retention, four days (`infra/queues.ts` sets none). */
const JOB_QUEUE_RETENTION_SECONDS = 345_600;
const int = (min: number, max: number) => v.pipe(v.number(), v.integer(), v.minValue(min), v.maxValue(max));
// CloudWatch Logs accepts only these retention periods.
const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

/** The stack's configuration as `pulumi config` holds it (keys without the project prefix). */
const ConfigSchema = v.object({
  workerTimeoutSeconds: v.optional(int(1, 900), () => DEFAULTS.workerTimeoutSeconds),
  visibilityTimeoutFactor: v.optional(v.pipe(v.number(), v.minValue(6, "visibilityTimeoutFactor must be at least 6 (AWS's recommendation)")), () => DEFAULTS.visibilityTimeoutFactor),
  maxReceiveCount: v.optional(int(1, 1000), () => DEFAULTS.maxReceiveCount),
  batchSize: v.optional(int(1, 10_000), () => DEFAULTS.batchSize),
  maxBatchingWindowSeconds: v.optional(int(0, 300), () => DEFAULTS.maxBatchingWindowSeconds),
  maxConcurrency: v.optional(int(2, 1000), () => DEFAULTS.maxConcurrency),
  sweepGraceSeconds: v.optional(int(1, 86_400), () => DEFAULTS.sweepGraceSeconds),
  sweepShards: v.optional(int(1, 64), () => DEFAULTS.sweepShards),
  sweepMaxJobsPerRun: v.optional(int(1, 100_000), () => DEFAULTS.sweepMaxJobsPerRun),
  retentionDays: v.optional(int(1, 3_650), () => DEFAULTS.retentionDays),
  maxBodyBytes: v.optional(int(1_024, 1_048_576), () => DEFAULTS.maxBodyBytes),
  logRetentionDays: v.optional(v.picklist(LOG_RETENTION_DAYS), () => INFRA_DEFAULTS.logRetentionDays),
  lambdaMemoryMb: v.optional(int(128, 10_240), () => INFRA_DEFAULTS.lambdaMemoryMb),
  apiThrottleRateLimit: v.optional(v.pipe(v.number(), v.minValue(1)), () => INFRA_DEFAULTS.apiThrottleRateLimit),
  apiThrottleBurstLimit: v.optional(int(1, 1_000_000), () => INFRA_DEFAULTS.apiThrottleBurstLimit),
  corsAllowedOrigins: v.optional(v.array(v.pipe(v.string(), v.url(), v.regex(/^https?:\/\/[^/]+$/, "an origin is scheme://host[:port], no path"))), () => []),
  alertEmail: v.optional(v.union([v.literal(""), v.pipe(v.string(), v.email())]), () => ""),
  monthlyBudgetUsd: v.optional(v.pipe(v.number(), v.minValue(1)), () => INFRA_DEFAULTS.monthlyBudgetUsd),
  pointInTimeRecovery: v.optional(v.boolean(), () => INFRA_DEFAULTS.pointInTimeRecovery),
  deletionProtection: v.optional(v.boolean(), () => INFRA_DEFAULTS.deletionProtection),
  logLevel: v.optional(v.picklist(LOG_LEVELS, (issue) => logLevelMessage(issue.input)), () => INFRA_DEFAULTS.logLevel),
  alarmOldestMessageAgeSeconds: v.optional(
    v.pipe(
      v.number(),
      v.integer(),
      v.minValue(MAX_DELAY_SECONDS + 1, `must exceed ${MAX_DELAY_SECONDS} s, the longest delay a job may be submitted with (its message is that old when it first becomes visible)`),
      v.maxValue(JOB_QUEUE_RETENTION_SECONDS, `must be at most ${JOB_QUEUE_RETENTION_SECONDS} s: the job queue keeps a message no longer`),
    ),
    () => INFRA_DEFAULTS.alarmOldestMessageAgeSeconds,
  ),
  alarmFailurePercent: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1, "must be a whole percent from 1 to 100"), v.maxValue(100, "must be a whole percent from 1 to 100")), () => INFRA_DEFAULTS.alarmFailurePercent),
  // A standard-resolution alarm evaluates at most one day of data.
  alarmFailureWindowMinutes: v.optional(int(1, 1_440), () => INFRA_DEFAULTS.alarmFailureWindowMinutes),
  alarmFailureMinJobs: v.optional(int(1, 1_000_000), () => INFRA_DEFAULTS.alarmFailureMinJobs),
  alarmFunctionErrors: v.optional(int(0, 1_000_000), () => INFRA_DEFAULTS.alarmFunctionErrors),
  alarmFunctionThrottles: v.optional(int(0, 1_000_000), () => INFRA_DEFAULTS.alarmFunctionThrottles),
  alarmDynamoDbThrottles: v.optional(int(0, 1_000_000), () => INFRA_DEFAULTS.alarmDynamoDbThrottles),
  alarmApi5xx: v.optional(int(0, 1_000_000), () => INFRA_DEFAULTS.alarmApi5xx),
  siteDomain: v.optional(v.union([v.literal(""), v.pipe(v.string(), v.regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, "a lower-case DNS name such as queue.example.com"))]), () => ""),
  siteCertificateArn: v.optional(
    v.union([v.literal(""), v.pipe(v.string(), v.regex(/^arn:aws:acm:us-east-1:\d{12}:certificate\/[\w-]+$/, "an ACM certificate ARN in us-east-1 (CloudFront takes certificates from there only)"))]),
    () => "",
  ),
  authMode: v.optional(v.picklist(AUTH_MODES, `must be one of ${AUTH_MODES.join(", ")}`), () => INFRA_DEFAULTS.authMode),
  jwtIssuer: v.optional(v.union([v.literal(""), v.pipe(v.string(), v.url(), v.regex(JWT_ISSUER, "an https URL with no query or fragment, e.g. https://issuer.example.com/"))]), () => ""),
  jwtAudiences: v.optional(v.array(v.pipe(v.string(), v.minLength(1, "an audience is a non-empty string"))), () => []),
  jwtRequireScopes: v.optional(v.boolean(), () => INFRA_DEFAULTS.jwtRequireScopes),
  iamAdminArns: v.optional(v.array(v.pipe(v.string(), v.regex(IAM_PRINCIPAL_ARN, IAM_PRINCIPAL_MESSAGE))), () => []),
  // The api reads the generation as up to six digits (handlers/auth/authSettings.ts).
  idKeyGeneration: v.optional(int(1, 999_999), () => INFRA_DEFAULTS.idKeyGeneration),
  // Each entry is validated by parseSchedules (handlers/domain/scheduleConfig.ts), naming the schedule.
  schedules: v.optional(v.unknown(), () => []),
});

/**
 * How the stack's API admits callers, from `authMode` and the keys of that mode:
 * - `none`: no authorizer (the public demo);
 * - `jwt`: API Gateway's JWT authorizer for `issuer` and `audiences`, with route scopes when `requireScopes`;
 * - `iam`: `AWS_IAM` (SigV4), with `adminArns` seeing every owner's jobs.
 */
export type StackAuth =
  | { mode: "none" }
  | { mode: "jwt"; issuer: string; audiences: string[]; requireScopes: boolean }
  | { mode: "iam"; adminArns: string[] };

/** Every config key a stack may set. */
export const CONFIG_KEYS = Object.keys(ConfigSchema.entries) as (keyof typeof ConfigSchema.entries)[];

/** The stack's validated configuration, with derived values. */
export type CloudQueueConfig = Omit<v.InferOutput<typeof ConfigSchema>, "schedules"> & {
  /** The schedules whose fires make jobs (`infra/schedules.ts`), validated. */
  schedules: ScheduleConfig[];
  /** Derived: `visibilityTimeoutFactor` × `workerTimeoutSeconds` + `maxBatchingWindowSeconds`. */
  visibilityTimeoutSeconds: number;
  /** `alertEmail`, or undefined when none is configured. */
  alertEmailOrNone: string | undefined;
  /** `siteDomain` with its certificate, or undefined for the distribution's own domain. */
  siteDomainOrNone: { name: string; certificateArn: string } | undefined;
  /** Derived: `authMode` with the keys of that mode. */
  auth: StackAuth;
};

/**
 * Validates raw config values (as `pulumi.Config` returns them, JSON-parsed) and their
 * combination; throws one error naming every problem.
 */
export function parseConfig(raw: Record<string, unknown>, jobTypes: JobTypeRegistry = builtInJobTypes): CloudQueueConfig {
  const parsed = v.safeParse(ConfigSchema, raw);
  if (!parsed.success) {
    throw new Error(`invalid cloudqueue config: ${parsed.issues.map((issue) => `${v.getDotPath(issue) ?? "config"}: ${issue.message}`).join("; ")}`);
  }
  const config = parsed.output;
  const visibility = visibilityTimeoutSeconds(config.workerTimeoutSeconds, config.visibilityTimeoutFactor, config.maxBatchingWindowSeconds);
  const schedules = parseSchedules(config.schedules, jobTypes);
  const problems = [...combinationProblems(config, visibility, jobTypes), ...authProblems(config, raw), ...(schedules.ok ? [] : schedules.problems)];
  if (problems.length > 0 || !schedules.ok) throw new Error(`invalid cloudqueue config: ${problems.join("; ")}`);
  return {
    ...config,
    schedules: schedules.schedules,
    visibilityTimeoutSeconds: visibility,
    alertEmailOrNone: config.alertEmail === "" ? undefined : config.alertEmail,
    siteDomainOrNone: config.siteDomain === "" ? undefined : { name: config.siteDomain, certificateArn: config.siteCertificateArn },
    auth: stackAuth(config),
  };
}

function stackAuth(config: v.InferOutput<typeof ConfigSchema>): StackAuth {
  const mode: AuthMode = config.authMode;
  if (mode === "jwt") return { mode, issuer: config.jwtIssuer, audiences: config.jwtAudiences, requireScopes: config.jwtRequireScopes };
  if (mode === "iam") return { mode, adminArns: config.iamAdminArns };
  return { mode };
}

/** The keys that only mean something in `jwt` mode, and the one of `iam` mode. */
const JWT_KEYS = ["jwtIssuer", "jwtAudiences", "jwtRequireScopes"] as const;

/**
 * A closed stack needs what its mode needs, and a key of another mode is refused rather than
 * ignored: a stack that still sets `jwtIssuer` after a switch to `iam` was meant to be read
 * otherwise. A key counts as set when the stack's config holds it (`raw`), whatever its value.
 */
function authProblems(config: v.InferOutput<typeof ConfigSchema>, raw: Record<string, unknown>): string[] {
  const problems: string[] = [];
  if (config.authMode === "jwt") {
    if (config.jwtIssuer === "") problems.push("authMode jwt needs jwtIssuer (the OIDC issuer URL whose tokens the API accepts)");
    if (config.jwtAudiences.length === 0) problems.push("authMode jwt needs jwtAudiences (at least one audience a token must name in aud)");
  } else {
    const stray = JWT_KEYS.filter((key) => raw[key] !== undefined);
    if (stray.length > 0) problems.push(`${stray.join(", ")} ${stray.length === 1 ? "is" : "are"} only read with authMode jwt (authMode is ${config.authMode})`);
  }
  if (config.authMode !== "iam" && raw.iamAdminArns !== undefined) problems.push(`iamAdminArns is only read with authMode iam (authMode is ${config.authMode})`);
  return problems;
}

function combinationProblems(config: v.InferOutput<typeof ConfigSchema>, visibility: number, jobTypes: JobTypeRegistry): string[] {
  const problems: string[] = [];
  // Lambda's guidance: a message must stay invisible while every retry of a batch can run,
  // or it is delivered again while still being processed.
  if (visibility < 6 * config.workerTimeoutSeconds) {
    problems.push(`the visibility timeout (${visibility} s, capped at 43200) must be at least 6 × workerTimeoutSeconds (${config.workerTimeoutSeconds} s)`);
  }
  const types = [...jobTypes.values()];
  const longest = types.reduce((max, jobType) => (jobType.timeoutSeconds > max.timeoutSeconds ? jobType : max), types[0]!);
  // A run that reaches its type's timeout must still leave time to commit before Lambda kills it.
  if (longest && config.workerTimeoutSeconds * 1000 <= longest.timeoutSeconds * 1000 + DEFAULTS.commitReserveMs) {
    problems.push(
      `workerTimeoutSeconds (${config.workerTimeoutSeconds}) must exceed the longest job type timeout (${longest.type}: ${longest.timeoutSeconds} s) plus the ${DEFAULTS.commitReserveMs} ms commit reserve`,
    );
  }
  // Each attempt is one receive: with fewer receives than attempts, SQS would dead-letter a job
  // the worker still meant to retry.
  for (const jobType of types) {
    if (config.maxReceiveCount <= jobType.maxAttempts) {
      problems.push(`maxReceiveCount (${config.maxReceiveCount}) must exceed maxAttempts of ${jobType.type} (${jobType.maxAttempts})`);
    }
  }
  // Lambda refuses SQS batches over 10 records without a batching window.
  if (config.batchSize > 10 && config.maxBatchingWindowSeconds < 1) problems.push("batchSize over 10 needs maxBatchingWindowSeconds of at least 1");
  if (config.maxConcurrency < 2) problems.push("maxConcurrency must be at least 2 (Lambda's minimum)");
  // A custom domain needs its certificate, and a certificate is only used for a domain.
  if ((config.siteDomain === "") !== (config.siteCertificateArn === "")) problems.push("siteDomain and siteCertificateArn are set together, or neither");
  return problems;
}

/** What `readConfig` needs from `pulumi.Config` (kept narrow so tests can pass a plain object). */
export interface ConfigSource {
  get(key: string): string | undefined;
}

/**
 * Reads every key once from the stack's config and validates it. Values are JSON when they parse
 * as JSON (numbers, booleans, lists), plain strings otherwise (an email address).
 */
export function readConfig(source: ConfigSource): CloudQueueConfig {
  const raw: Record<string, unknown> = {};
  for (const key of CONFIG_KEYS) {
    const text = source.get(key);
    if (text !== undefined) raw[key] = jsonOrString(text);
  }
  return parseConfig(raw);
}

function jsonOrString(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
