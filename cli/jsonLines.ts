import type { BatchItemResult, BatchJob } from "./client";
import { UsageError } from "./errors";

/** Jobs one `POST /jobs/batch` takes at most. */
export const BATCH_SIZE = 100;

/** One job of a JSON-lines file, with the line it came from (1-based). */
export interface JobLine {
  line: number;
  job: BatchJob;
}

/**
 * The jobs of a JSON-lines file: one JSON value per line, blank lines skipped. A line that is not
 * JSON, or not a JSON object, is a {@link UsageError} naming every such line: nothing is sent.
 * Whether a job is valid is the API's to say (each item its own 400).
 */
export function parseJobLines(text: string, from = "the file"): JobLine[] {
  const jobs: JobLine[] = [];
  const bad: string[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === "") return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      bad.push(`line ${line}: not JSON (${error instanceof Error ? error.message : String(error)})`);
      return;
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      bad.push(`line ${line}: not a JSON object ({"type": ..., "payload": ...})`);
      return;
    }
    jobs.push({ line, job: value as BatchJob });
  });
  if (bad.length > 0) throw new UsageError(`${from} has ${bad.length} bad line${bad.length === 1 ? "" : "s"}, nothing was sent:\n  ${bad.slice(0, 20).join("\n  ")}${bad.length > 20 ? `\n  … and ${bad.length - 20} more` : ""}`);
  if (jobs.length === 0) throw new UsageError(`${from} has no jobs: one JSON object per line, {"type": ..., "payload": ...}`);
  return jobs;
}

/** `jobs` in batches of at most `size`, in order. */
export function batchesOf<T>(jobs: readonly T[], size = BATCH_SIZE): T[][] {
  const batches: T[][] = [];
  for (let start = 0; start < jobs.length; start += size) batches.push(jobs.slice(start, start + size));
  return batches;
}

/** What a batch submit did, over every batch. */
export interface BatchTotals {
  accepted: number;
  replayed: number;
  invalid: number;
  conflict: number;
  /** Per line: the job id, or why it was refused. */
  lines: { line: number; status: number; jobId?: string; errors?: { path: string; message: string }[]; detail?: string }[];
}

export function emptyBatchTotals(): BatchTotals {
  return { accepted: 0, replayed: 0, invalid: 0, conflict: 0, lines: [] };
}

/** Adds one batch's results (in its items' order) to `totals`. */
export function addBatchResults(totals: BatchTotals, batch: readonly JobLine[], results: readonly BatchItemResult[]): void {
  for (const result of results) {
    const line = batch[result.index]!.line;
    if (result.status === 202) totals.accepted++;
    else if (result.status === 200) totals.replayed++;
    else if (result.status === 400) totals.invalid++;
    else totals.conflict++;
    totals.lines.push({ line, status: result.status, ...("jobId" in result && { jobId: result.jobId }), ...("errors" in result && { errors: result.errors }), ...("detail" in result && { detail: result.detail }) });
  }
}

/** The summary for a person: the counts, then each refused line and why. */
export function batchTotalsText(totals: BatchTotals): string {
  const out = [`${totals.accepted} accepted, ${totals.replayed} replayed, ${totals.invalid} invalid, ${totals.conflict} conflict`];
  for (const line of totals.lines) {
    if (line.status === 400) out.push(`line ${line.line}: invalid: ${(line.errors ?? []).map((error) => (error.path ? `${error.path}: ${error.message}` : error.message)).join("; ")}`);
    else if (line.status === 422) out.push(`line ${line.line}: conflict: ${line.detail ?? "its idempotencyKey was used for another job"} (${line.jobId})`);
  }
  return `${out.join("\n")}\n`;
}
