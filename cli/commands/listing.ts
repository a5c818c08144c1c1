import { Option, type Command } from "commander";
import { integerIn, parseStatuses, parseTime } from "../args";
import type { Job, JobFilter, JobStatus } from "../client";
import { openSession, type Api, type CliDeps, type RunState } from "../context";
import { CliError } from "../errors";
import { EXIT } from "../exitCodes";
import { jobsTable, json, summaryTable } from "../output";
import { NO_PROGRESS, progressOn, type Progress } from "../progress";

/** Jobs per request: the API's largest page. */
export const MAX_PAGE = 100;

/** The filter options `list` and `bulk` share. */
export interface FilterOptions {
  status?: JobStatus[];
  type?: string;
  schedule?: string;
  since?: string;
  until?: string;
}

/** Adds `--status`, `--type`, `--schedule`, `--since`, `--until` to `command`. */
export function addFilterOptions(command: Command, deps: CliDeps, statusHelp: string): Command {
  return command
    .option("--status <statuses>", statusHelp, parseStatuses)
    .option("--type <type>", "only jobs of this type")
    .option("--schedule <name>", "only jobs made by this schedule's fires")
    .option("--since <time>", "created at or after: RFC 3339 (2025-05-01T12:00:00Z, 2025-05-01) or back from now (30m, 24h, 7d)", (text: string) => parseTime(text, deps.io.now()))
    .option("--until <time>", "created at or before, as --since", (text: string) => parseTime(text, deps.io.now()));
}

/** The API's filter of the options, without the ones not given. */
export function filterOf(options: FilterOptions): JobFilter {
  return {
    ...(options.status && { status: options.status }),
    ...(options.type !== undefined && { type: options.type }),
    ...(options.schedule !== undefined && { schedule: options.schedule }),
    ...(options.since !== undefined && { createdAfter: options.since }),
    ...(options.until !== undefined && { createdBefore: options.until }),
  };
}

/**
 * Follows `nextCursor` until `limit` jobs (every one when `undefined`) or the end. A page may be
 * short, even empty, and still carry a cursor (it stopped at its read bound): only the cursor's
 * absence is the end.
 */
export async function collectJobs(
  api: Pick<Api, "list">,
  query: JobFilter & { owner?: string },
  limit: number | undefined,
  progress: Progress = NO_PROGRESS,
): Promise<{ jobs: Job[]; more: boolean }> {
  const jobs: Job[] = [];
  const seen = new Set<string>();
  let cursor: string | undefined;
  let pages = 0;
  do {
    const pageLimit = limit === undefined ? MAX_PAGE : Math.min(MAX_PAGE, limit - jobs.length);
    const page = await api.list({ ...query, limit: pageLimit, ...(cursor !== undefined && { cursor }) });
    jobs.push(...page.jobs);
    cursor = page.nextCursor;
    pages++;
    if (cursor !== undefined && seen.has(cursor)) throw new CliError(`the API answered a cursor it had already given (page ${pages}); stopped`, EXIT.unavailable);
    if (cursor !== undefined) seen.add(cursor);
    progress.update(`listing: ${jobs.length} job${jobs.length === 1 ? "" : "s"}, ${pages} page${pages === 1 ? "" : "s"}`);
  } while (cursor !== undefined && (limit === undefined || jobs.length < limit));
  return { jobs: limit === undefined ? jobs : jobs.slice(0, limit), more: cursor !== undefined };
}

/** `list`, `summary`: what there is. */
export function addListingCommands(program: Command, deps: CliDeps, state: RunState): void {
  const { io } = deps;

  addFilterOptions(program.command("list"), deps, "only jobs in these statuses: QUEUED, IN_PROGRESS, SUCCEEDED, FAILED, CANCELED (comma-separated)")
    .description("List jobs, newest first")
    .addOption(new Option("--limit <n>", "at most this many jobs").argParser(integerIn(1, 1_000_000)).default(25))
    .addOption(new Option("--all", "every matching job, however many").conflicts("limit"))
    .option("--owner <owner>", "another owner's jobs (an admin's token only)")
    .action(async (options: FilterOptions & { limit: number; all?: boolean; owner?: string }, command: Command) => {
      const session = await openSession(command, deps, state);
      const query = { ...filterOf(options), ...(options.owner !== undefined && { owner: options.owner }) };
      const progress = progressOn(io.stderr, { now: io.now });
      let found;
      try {
        found = await collectJobs(session.api, query, options.all ? undefined : options.limit, progress);
      } finally {
        progress.stop();
      }
      if (session.json) {
        io.stdout.write(json(found.jobs));
      } else {
        io.stdout.write(found.jobs.length === 0 ? "No jobs match.\n" : jobsTable(found.jobs, io.now(), session.width));
      }
      if (found.more) io.stderr.write(`More jobs match than the ${found.jobs.length} shown: pass --limit N or --all for more.\n`);
    });

  program
    .command("summary")
    .description("Count jobs by status and type")
    .option("--owner <owner>", "another owner's jobs (an admin's token only; an admin's default is every owner's)")
    .action(async (options: { owner?: string }, command: Command) => {
      const session = await openSession(command, deps, state);
      const summary = await session.api.summary(options.owner !== undefined ? { owner: options.owner } : {});
      io.stdout.write(session.json ? json(summary) : summaryTable(summary));
    });
}
