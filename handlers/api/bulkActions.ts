import type { RequestRecords } from "../adapters/requestRecords";
import type { JobFilter } from "../adapters/jobListing";
import type { Caller } from "../auth/caller";
import { keyedJobId } from "../auth/keyedJobId";
import { toJobListItem, type JobStatus } from "../domain/job";
import { isJobId } from "../domain/jobId";
import { canonicalHash } from "../domain/submission";
import { IdempotencyKeyConflictError, InvalidRequestError, RequestInProgressError } from "../errors";
import type { JobSearch } from "./jobSearch";
import type { JobService, Transition } from "./jobService";
import { BULK_FROM, BULK_SAMPLE, createdRangeMs, MAX_PAGE, type BulkDryRun, type BulkRequest, type BulkResult } from "./schemas";

export type BulkAction = "retry" | "cancel";

export interface BulkActionsDeps {
  search: JobSearch;
  jobs: JobService;
  records: RequestRecords;
  caller: Caller;
  idSecret: () => Promise<Uint8Array>;
  now?: () => number;
}

/** A dry run stops counting at this many matches, or after reading this many index entries: `matchedAtLeast` then says "at least". */
export const DRY_RUN_COUNT_CAP = 10_000;
export const DRY_RUN_ENTRY_CAP = 10_000;
/** Transitions a bulk call runs at once. */
const PARALLEL = 10;

/**
 * Bulk retry and cancel (docs/OPERATIONS.md): a dry run counts and samples; an action moves at
 * most `limit` jobs, each by its own conditional transition (the single-job route's), and answers
 * a cursor while more may match. Under an `Idempotency-Key` a call's response is recorded and
 * replayed.
 */
export class BulkActions {
  constructor(private readonly deps: BulkActionsDeps) {}

  async run(action: BulkAction, request: BulkRequest, idempotencyKey?: string): Promise<{ response: BulkDryRun | BulkResult; replayed: boolean }> {
    const filter = this.filterOf(action, request);
    const jobIds = this.jobIdsOf(request);
    if (request.dryRun) return { response: await this.dryRun(action, filter, jobIds), replayed: false };
    if (idempotencyKey === undefined) return { response: await this.act(action, request, filter, jobIds), replayed: false };
    // Bad input claims no key: a refused cursor must leave the key free for the corrected call.
    if (filter && request.cursor !== undefined) await this.deps.search.check({ filter, cursor: request.cursor, purpose: `bulk-${action}`, cursorPath: "cursor" });
    const nowMs = (this.deps.now ?? Date.now)();
    const recordId = `request#${keyedJobId(await this.deps.idSecret(), this.deps.caller.owner, `bulk-${action}\n${idempotencyKey}`)}`;
    const started = await this.deps.records.begin(recordId, requestHash(action, request), nowMs);
    if (started.state === "replay") return { response: started.response as BulkResult, replayed: true };
    if (started.state === "conflict") throw new IdempotencyKeyConflictError(recordId);
    if (started.state === "in-progress") throw new RequestInProgressError();
    let response: BulkResult;
    try {
      response = await this.act(action, request, filter, jobIds);
    } catch (error) {
      await this.deps.records.release(recordId, started.token).catch(() => undefined);
      throw error;
    }
    await this.deps.records.complete(recordId, started.token, response, (this.deps.now ?? Date.now)());
    return { response, replayed: false };
  }

  private async dryRun(action: BulkAction, filter: JobFilter | undefined, jobIds: string[] | undefined): Promise<BulkDryRun> {
    if (jobIds) {
      const jobs = (await Promise.all(jobIds.map((jobId) => this.deps.jobs.get(jobId).catch(() => undefined)))).filter((job) => job && BULK_FROM[action].includes(job.status));
      return { action, dryRun: true, matched: jobs.length, matchedAtLeast: false, sample: jobs.slice(0, BULK_SAMPLE).map((job) => toJobListItem(job!)) };
    }
    let matched = 0;
    let entries = 0;
    const sample: BulkDryRun["sample"] = [];
    let cursor: string | undefined;
    do {
      const page = await this.deps.search.page({ filter: filter!, limit: MAX_PAGE, cursor, purpose: `bulk-${action}-count` });
      matched += page.jobs.length;
      entries += page.entriesRead;
      for (const job of page.jobs) if (sample.length < BULK_SAMPLE) sample.push(toJobListItem(job));
      cursor = page.nextCursor;
    } while (cursor && matched < DRY_RUN_COUNT_CAP && entries < DRY_RUN_ENTRY_CAP);
    return { action, dryRun: true, matched, matchedAtLeast: cursor !== undefined, sample };
  }

  private async act(action: BulkAction, request: BulkRequest, filter: JobFilter | undefined, jobIds: string[] | undefined): Promise<BulkResult> {
    let targets: string[];
    let nextCursor: string | undefined;
    if (jobIds) targets = jobIds;
    else {
      const page = await this.deps.search.page({ filter: filter!, limit: request.limit ?? MAX_PAGE, cursor: request.cursor, purpose: `bulk-${action}`, cursorPath: "cursor" });
      targets = page.jobs.map((job) => job.jobId);
      nextCursor = page.nextCursor;
    }
    const move = (jobId: string): Promise<Transition> => (action === "retry" ? this.deps.jobs.retryFinished(jobId) : this.deps.jobs.cancelQueued(jobId));
    const results: Transition[] = [];
    for (let start = 0; start < targets.length; start += PARALLEL) results.push(...(await Promise.all(targets.slice(start, start + PARALLEL).map(move))));
    const changedJobIds: string[] = [];
    const skippedJobs: BulkResult["skippedJobs"] = [];
    results.forEach((result, index) => {
      if (result.changed) changedJobIds.push(result.job.jobId);
      else if (result.current) skippedJobs.push({ jobId: targets[index]!, status: result.current.status, reason: "changed" });
      else skippedJobs.push({ jobId: targets[index]!, reason: "not-found" });
    });
    return {
      action,
      dryRun: false,
      examined: targets.length,
      changed: changedJobIds.length,
      skipped: skippedJobs.length,
      changedJobIds,
      skippedJobs,
      ...(nextCursor && { nextCursor }),
    };
  }

  /** The filter of a filter request, its statuses defaulting to (and limited to) those the action starts from. */
  private filterOf(action: BulkAction, request: BulkRequest): JobFilter | undefined {
    if (!request.filter) return undefined;
    const from = BULK_FROM[action];
    const statuses = request.filter.status ?? [...from];
    const wrong = statuses.filter((status) => !from.includes(status as JobStatus));
    if (wrong.length > 0) {
      throw new InvalidRequestError(`a bulk ${action} starts only from ${from.join(", ")}`, [{ path: "filter.status", message: `${wrong.join(", ")} cannot be ${action === "retry" ? "retried" : "canceled"}; use ${from.join(", ")}` }]);
    }
    if (request.cursor !== undefined && request.dryRun) throw new InvalidRequestError("a dry run takes no cursor", [{ path: "cursor", message: "a dry run counts from the start" }]);
    return {
      statuses: statuses as JobStatus[],
      ...(request.filter.type !== undefined && { type: request.filter.type }),
      ...(request.filter.schedule !== undefined && { schedule: request.filter.schedule }),
      ...createdRangeMs(request.filter.createdAfter, request.filter.createdBefore),
    };
  }

  private jobIdsOf(request: BulkRequest): string[] | undefined {
    if (!request.jobIds) return undefined;
    const errors = request.jobIds.flatMap((jobId, index) => (isJobId(jobId) ? [] : [{ path: `jobIds.${index}`, message: "must be a lower-case UUID" }]));
    if (errors.length > 0) throw new InvalidRequestError("a job id is malformed", errors);
    if (request.cursor !== undefined) throw new InvalidRequestError("a cursor continues a filter, not a list of ids", [{ path: "cursor", message: "give a cursor only with filter" }]);
    return [...new Set(request.jobIds)];
  }
}

/** What a replay must match: the action and the whole body, whatever its keys' order. */
function requestHash(action: BulkAction, request: BulkRequest): string {
  return canonicalHash({ action, request });
}
