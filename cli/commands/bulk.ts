import { Argument, Option, type Command } from "commander";
import { collectIds, integerIn } from "../args";
import type { BulkRequest, BulkResult } from "../client";
import { openSession, type Api, type CliDeps, type RunState } from "../context";
import { CliError, DeclinedError, UsageError } from "../errors";
import { EXIT } from "../exitCodes";
import { dryRunText, json, table } from "../output";
import { progressOn, type Progress } from "../progress";
import { addFilterOptions, filterOf, MAX_PAGE, type FilterOptions } from "./listing";

type BulkAction = "retry" | "cancel";

/** The totals of a bulk run, over every call. */
export interface BulkTotals {
  action: BulkAction;
  calls: number;
  examined: number;
  changed: number;
  skipped: number;
  changedJobIds: string[];
  skippedJobs: BulkResult["skippedJobs"];
}

/** The `Idempotency-Key` of a run's `page`-th call: a retried call replays its answer, another page never does. */
export function bulkCallKey(runKey: string, page: number): string {
  return `cloudqueue-cli-bulk-${runKey}-${page}`;
}

/**
 * Runs a bulk action call by call, following `nextCursor` until it is absent. Every call has its
 * own `Idempotency-Key` ({@link bulkCallKey}), so the client's retry of a call that got no answer
 * is answered by the first call's result rather than acting twice.
 */
export async function runBulk(
  api: Pick<Api, "bulk">,
  action: BulkAction,
  selection: Pick<BulkRequest, "filter" | "jobIds">,
  options: { runKey: string; batch: number; onCall?(totals: BulkTotals): void },
): Promise<BulkTotals> {
  const totals: BulkTotals = { action, calls: 0, examined: 0, changed: 0, skipped: 0, changedJobIds: [], skippedJobs: [] };
  const seen = new Set<string>();
  let cursor: string | undefined;
  do {
    const answer = await api.bulk(action, { ...selection, dryRun: false, limit: options.batch, ...(cursor !== undefined && { cursor }) }, { idempotencyKey: bulkCallKey(options.runKey, totals.calls) });
    if (answer.dryRun) throw new CliError(`the API answered a dry run to bulk ${action} call ${totals.calls + 1}; stopped`, EXIT.unavailable);
    totals.calls++;
    totals.examined += answer.examined;
    totals.changed += answer.changed;
    totals.skipped += answer.skipped;
    totals.changedJobIds.push(...answer.changedJobIds);
    totals.skippedJobs.push(...answer.skippedJobs);
    options.onCall?.(totals);
    cursor = answer.nextCursor;
    if (cursor !== undefined && seen.has(cursor)) throw new CliError(`the API answered a cursor it had already given (call ${totals.calls}); stopped`, EXIT.unavailable);
    if (cursor !== undefined) seen.add(cursor);
  } while (cursor !== undefined);
  return totals;
}

const VERB = { retry: { doing: "retrying", done: "retried" }, cancel: { doing: "canceling", done: "canceled" } } as const;

/** What a person reads at the end of a run. */
export function totalsText(totals: BulkTotals): string {
  const verb = VERB[totals.action];
  const lines = [`${totals.changed} job${totals.changed === 1 ? "" : "s"} ${verb.done}, ${totals.skipped} skipped (${totals.examined} examined in ${totals.calls} call${totals.calls === 1 ? "" : "s"}).\n`];
  if (totals.skippedJobs.length > 0) {
    const shown = totals.skippedJobs.slice(0, 10);
    const rows = shown.map((job) => [job.jobId, job.reason, job.status ?? "-"]);
    lines.push(`Skipped${shown.length < totals.skippedJobs.length ? ` (first ${shown.length})` : ""}:\n`, table(["JOB ID", "REASON", "STATUS NOW"], rows));
  }
  return lines.join("");
}

/** `bulk retry|cancel`: a dry run first, a confirmation, then the action call by call. */
export function addBulkCommand(program: Command, deps: CliDeps, state: RunState): void {
  const { io } = deps;
  const command = program
    .command("bulk")
    .description("Retry or cancel every job that matches a filter (or the jobs named by --id): a dry run first, then a confirmation")
    .addArgument(new Argument("<action>", "retry (FAILED, CANCELED jobs) or cancel (QUEUED jobs)").choices(["retry", "cancel"]));
  addFilterOptions(command, deps, "only jobs in these statuses (retry: FAILED, CANCELED; cancel: QUEUED; default: all of those)")
    .addOption(new Option("--id <ids>", "these jobs (repeat, or comma-separate; at most 100), instead of a filter").argParser(collectIds).conflicts(["status", "type", "since", "until"]))
    .option("--dry-run", "only count the jobs that match and show some; change nothing")
    .option("-y, --yes", "act without asking (needed when not on a terminal)")
    .addOption(new Option("--batch <n>", "jobs per call").argParser(integerIn(1, MAX_PAGE)).default(MAX_PAGE))
    .action(async (action: BulkAction, options: FilterOptions & { id?: string[]; dryRun?: boolean; yes?: boolean; batch: number }, self: Command) => {
      const interactive = io.stdin.isTTY === true && io.stderr.isTTY === true;
      if (!options.dryRun && !options.yes && !interactive) {
        throw new UsageError(`bulk ${action} asks before it acts, and this is not a terminal: pass --yes to act, or --dry-run to only count`);
      }
      const session = await openSession(self, deps, state);
      const selection = options.id ? { jobIds: options.id } : { filter: filterOf(options) };

      const dryRun = await session.api.bulk(action, { ...selection, dryRun: true });
      if (!dryRun.dryRun) throw new CliError(`the API acted on a dry run of bulk ${action}`, EXIT.unavailable);
      if (options.dryRun) {
        io.stdout.write(session.json ? json(dryRun) : dryRunText(dryRun, io.now(), session.width));
        return;
      }
      if (!session.json) io.stdout.write(dryRunText(dryRun, io.now(), session.width));
      if (dryRun.matched === 0) {
        if (session.json) io.stdout.write(json({ ...emptyTotals(action), matched: 0, matchedAtLeast: false }));
        return;
      }
      if (!options.yes) {
        const count = `${dryRun.matchedAtLeast ? "at least " : ""}${dryRun.matched}`;
        if (!(await deps.confirm(`${action === "retry" ? "Retry" : "Cancel"} ${count} job${dryRun.matched === 1 ? "" : "s"}?`))) {
          throw new DeclinedError(`bulk ${action} not confirmed: nothing changed`);
        }
      }

      const progress: Progress = progressOn(io.stderr, { now: io.now });
      const of = `${dryRun.matchedAtLeast ? "at least " : ""}${dryRun.matched}`;
      let totals: BulkTotals;
      try {
        totals = await runBulk(session.api, action, selection, {
          runKey: deps.randomKey(),
          batch: options.batch,
          onCall: (sofar) => progress.update(`${VERB[action].doing}: ${sofar.examined} of ${of} examined, ${sofar.changed} ${VERB[action].done}, ${sofar.skipped} skipped`),
        });
      } finally {
        progress.stop();
      }
      io.stdout.write(session.json ? json({ ...totals, matched: dryRun.matched, matchedAtLeast: dryRun.matchedAtLeast }) : totalsText(totals));
    });
}

function emptyTotals(action: BulkAction): BulkTotals {
  return { action, calls: 0, examined: 0, changed: 0, skipped: 0, changedJobIds: [], skippedJobs: [] };
}
