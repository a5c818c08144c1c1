import { emfMetadata, type MetricRecord } from "./metrics";

/**
 * Structured logs: one JSON object per line, written straight to stdout. With the functions'
 * `logFormat: "JSON"`, Lambda keeps such a line as the log event itself, so every member is a
 * top-level field in CloudWatch Logs Insights and in metric filters, and CloudWatch Logs extracts
 * the metrics of an EMF record from it. (Through `console.*` the runtime would wrap a line into
 * the `message` of its own record, as an escaped string.) Each record carries `timestamp`
 * (RFC 3339), `level` and `requestId` as the runtime's own records do, so Lambda's log-level
 * filter reads them too, then `event`, the name of what happened (`job.transition`,
 * `worker.claim_failed`, …), then its fields.
 *
 * The levels are Lambda's (`AWS_LAMBDA_LOG_LEVEL`, set from the function's `applicationLogLevel`).
 */
export interface Logger {
  debug(event: string, fields?: Record<string, unknown>): void;
  /** `metrics`: values this record also publishes as CloudWatch metrics (EMF). */
  info(event: string, fields?: Record<string, unknown>, metrics?: MetricRecord): void;
  warn(event: string, fields?: Record<string, unknown>): void;
  error(event: string, fields?: Record<string, unknown>): void;
  /** A logger whose records also carry `fields` (the request ids of an invocation). */
  child(fields: Record<string, unknown>): Logger;
}

export const LOG_LEVELS = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Where a JSON logger's lines go, and what it stamps them with. */
export interface JsonLoggerOptions {
  /** Records below this level are not written. @default "INFO" */
  level?: LogLevel;
  /** The CloudWatch namespace of the metrics the records carry. @default "CloudQueue" */
  namespace?: string;
  /** Takes one line, without its newline. @default a write to process.stdout */
  write?: (line: string) => void;
  /** Epoch ms. @default Date.now */
  now?: () => number;
}

/** Writes one JSON line per record (see {@link Logger}). */
export function jsonLogger(options: JsonLoggerOptions = {}, base: Record<string, unknown> = {}): Logger {
  const threshold = LOG_LEVELS.indexOf(options.level ?? "INFO");
  const write = options.write ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const now = options.now ?? Date.now;
  const namespace = options.namespace ?? "CloudQueue";
  const record = (level: LogLevel, event: string, fields: Record<string, unknown> | undefined, metrics?: MetricRecord) => {
    if (LOG_LEVELS.indexOf(level) < threshold) return;
    const timestampMs = now();
    const line: Record<string, unknown> = { timestamp: new Date(timestampMs).toISOString(), level, ...base, event, ...fields };
    if (metrics) Object.assign(line, metrics.dimensions, metrics.metrics, { _aws: emfMetadata(namespace, timestampMs, metrics) });
    write(JSON.stringify(line));
  };
  return {
    debug: (event, fields) => record("DEBUG", event, fields),
    info: (event, fields, metrics) => record("INFO", event, fields, metrics),
    warn: (event, fields) => record("WARN", event, fields),
    error: (event, fields) => record("ERROR", event, fields),
    child: (fields) => jsonLogger(options, { ...base, ...fields }),
  };
}

/** The level Lambda asks for (`AWS_LAMBDA_LOG_LEVEL`), INFO when unset or unknown. */
export function logLevelFromEnv(env: Record<string, string | undefined>): LogLevel {
  const level = env.AWS_LAMBDA_LOG_LEVEL?.toUpperCase();
  return (LOG_LEVELS as readonly string[]).includes(level ?? "") ? (level as LogLevel) : "INFO";
}

/** A logger that drops everything, for tests and benchmarks. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => silentLogger };

/** Loggable facts of an error: its name, message and cause's name; never a stack for clients. */
export function describeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { error: String(error) };
  const cause = error.cause instanceof Error ? { cause: `${error.cause.name}: ${error.cause.message}` } : {};
  return { error: `${error.name}: ${error.message}`, ...cause };
}
