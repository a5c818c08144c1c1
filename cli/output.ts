import { STATUSES } from "./args";
import { type BulkDryRun, type Job, type JobSummary, type JobType } from "./client";

/** A stream the CLI writes to: stdout or stderr, or a test's fake. */
export interface OutputStream {
  write(text: string): unknown;
  isTTY?: boolean;
  /** The terminal's width, when it is one. */
  columns?: number;
}

/** Machine-readable output: the value as JSON, and nothing else on stdout. */
export function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/**
 * Columns padded to their widest cell, two spaces apart, headers first. The last column is not
 * padded; with a `width` (a terminal's), it is cut to fit so that no row wraps.
 */
export function table(headers: readonly string[], rows: readonly (readonly string[])[], width?: number): string {
  const all = [headers, ...rows];
  const widths = headers.map((_, column) => Math.max(...all.map((row) => (row[column] ?? "").length)));
  return all
    .map((row) => {
      const line = row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join("  ").trimEnd();
      return width !== undefined && line.length > width ? `${line.slice(0, Math.max(0, width - 1))}…` : line;
    })
    .map((line) => `${line}\n`)
    .join("");
}

/** How long ago, in the largest whole unit: `just now`, `42s ago`, `5m ago`, `3h ago`, `2d ago`. */
export function age(iso: string | undefined, nowMs: number): string {
  if (!iso) return "-";
  const seconds = Math.floor((nowMs - Date.parse(iso)) / 1000);
  if (Number.isNaN(seconds)) return iso;
  if (seconds < 1) return "just now";
  if (seconds < 60) return `${seconds}s ago`;
  if (seconds < 3_600) return `${Math.floor(seconds / 60)}m ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3_600)}h ago`;
  return `${Math.floor(seconds / 86_400)}d ago`;
}

/** A duration: `850ms`, `4.2s`, `3m05s`, `2h10m`. */
export function duration(ms: number): string {
  if (ms < 1_000) return `${Math.max(0, Math.round(ms))}ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)}s`;
  const seconds = Math.floor(ms / 1_000);
  if (seconds < 3_600) return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, "0")}s`;
  return `${Math.floor(seconds / 3_600)}h${String(Math.floor((seconds % 3_600) / 60)).padStart(2, "0")}m`;
}

/** `2 of 3`, or `-` before the first attempt's numbers are known. */
function attempts(job: Job): string {
  if (job.attempts === undefined) return "-";
  return job.maxAttempts === undefined ? String(job.attempts) : `${job.attempts} of ${job.maxAttempts}`;
}

/** One row per job: id, type, status, attempts, age, error code. */
export function jobsTable(jobs: readonly Job[], nowMs: number, width?: number): string {
  const rows = jobs.map((job) => [job.jobId, job.type, job.status, attempts(job), age(job.createdAt, nowMs), job.error?.code ?? ""]);
  return table(["JOB ID", "TYPE", "STATUS", "ATTEMPTS", "CREATED", "ERROR"], rows, width);
}

/** A job for a person: its fields, its error, its attempts, its result and payload. */
export function jobDetail(job: Job, nowMs: number): string {
  const when = (iso: string | undefined) => (iso ? `${iso} (${age(iso, nowMs)})` : undefined);
  const ran = job.startedAt && job.finishedAt ? duration(Date.parse(job.finishedAt) - Date.parse(job.startedAt)) : undefined;
  const fields: [string, string | undefined][] = [
    ["Job", job.jobId],
    ["Type", job.type],
    ["Status", job.status],
    ["Attempts", attempts(job)],
    ["Delay", job.delaySeconds ? `${job.delaySeconds}s` : undefined],
    ["Runs at", job.status === "QUEUED" && job.runAt && Date.parse(job.runAt) > nowMs ? job.runAt : undefined],
    ["Owner", job.owner],
    ["Created", when(job.createdAt)],
    ["Started", when(job.startedAt)],
    ["Finished", job.finishedAt ? `${when(job.finishedAt)}${ran ? `, ran ${ran}` : ""}` : undefined],
    ["Error", job.error ? `${job.error.code}: ${job.error.message}${job.error.retryable ? " (retryable)" : ""}` : undefined],
  ];
  const lines = fields.filter((field): field is [string, string] => field[1] !== undefined).map(([name, value]) => `${`${name}:`.padEnd(10)}${value}\n`);
  if (job.attemptHistory && job.attemptHistory.length > 0) {
    const rows = job.attemptHistory.map((entry) => [String(entry.attempt), entry.outcome, entry.startedAt, entry.finishedAt ?? "-", entry.errorCode ?? ""]);
    lines.push("\nAttempts:\n", indent(table(["#", "OUTCOME", "STARTED", "FINISHED", "ERROR"], rows)));
  }
  if (job.result !== undefined) lines.push("\nResult:\n", indent(json(job.result)));
  if (job.payload !== undefined) lines.push("\nPayload:\n", indent(json(job.payload)));
  return lines.join("");
}

function indent(text: string): string {
  return text.replace(/^(?=.)/gm, "  ");
}

/** The job types: name, limits, description. */
export function jobTypesTable(types: readonly JobType[], width?: number): string {
  const rows = types.map((type) => [type.type, `${type.timeoutSeconds}s`, String(type.maxAttempts), JSON.stringify(type.example), type.description]);
  return table(["TYPE", "TIMEOUT", "ATTEMPTS", "EXAMPLE PAYLOAD", "DESCRIPTION"], rows, width);
}

/** Counts by type and status, a total row last. */
export function summaryTable(summary: JobSummary): string {
  const row = (name: string, counts: Partial<Record<string, number>>) => {
    const cells = STATUSES.map((status) => String(counts[status] ?? 0));
    const total = STATUSES.reduce((sum, status) => sum + (counts[status] ?? 0), 0);
    return [name, ...cells, String(total)];
  };
  const rows = Object.entries(summary.byType)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([type, counts]) => row(type, counts));
  const scope = summary.scope === "all" ? "every owner's jobs" : summary.owner ? `jobs of ${summary.owner}` : "your jobs";
  return `${scope}, as of ${summary.asOf}\n${table(["TYPE", ...STATUSES, "TOTAL"], [...rows, row("(all)", summary.byStatus)])}`;
}

/** A dry run for a person: how many jobs the action would move, and a sample of them. */
export function dryRunText(dryRun: BulkDryRun, nowMs: number, width?: number): string {
  const count = `${dryRun.matchedAtLeast ? "at least " : ""}${dryRun.matched}`;
  const head = `${count} job${dryRun.matched === 1 ? "" : "s"} would be ${dryRun.action === "retry" ? "retried" : "canceled"}`;
  if (dryRun.sample.length === 0) return `${head}.\n`;
  const shown = dryRun.sample.length < dryRun.matched ? ` (${dryRun.sample.length} shown)` : "";
  return `${head}${shown}:\n${jobsTable(dryRun.sample, nowMs, width)}`;
}
