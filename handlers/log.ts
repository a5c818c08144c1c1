/**
 * One JSON line per event, which Lambda's JSON log format and CloudWatch Logs Insights read as
 * fields. `event` names what happened (`job.transition`, `worker.claim_failed`, …).
 */
export interface Logger {
  info(event: string, fields?: Record<string, unknown>): void;
  warn(event: string, fields?: Record<string, unknown>): void;
  error(event: string, fields?: Record<string, unknown>): void;
}

/** Writes JSON lines to the console (Lambda captures them). */
export const consoleLogger: Logger = {
  info: (event, fields) => console.info(JSON.stringify({ level: "INFO", event, ...fields })),
  warn: (event, fields) => console.warn(JSON.stringify({ level: "WARN", event, ...fields })),
  error: (event, fields) => console.error(JSON.stringify({ level: "ERROR", event, ...fields })),
};

/** A logger that drops everything, for tests and benchmarks. */
export const silentLogger: Logger = { info() {}, warn() {}, error() {} };

/** Loggable facts of an error: its name, message and cause's name; never a stack for clients. */
export function describeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { error: String(error) };
  const cause = error.cause instanceof Error ? { cause: `${error.cause.name}: ${error.cause.message}` } : {};
  return { error: `${error.name}: ${error.message}`, ...cause };
}
