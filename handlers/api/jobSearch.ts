import type { JobFilter, JobListing, ListPosition } from "../adapters/jobListing";
import type { Caller } from "../auth/caller";
import { JobStatus, toJobListItem, type Job } from "../domain/job";
import { ForbiddenOwnerError } from "../errors";
import { InvalidCursorError, MAX_CURSOR_CHARS, openCursor, sealCursor, type CursorBinding } from "./cursor";
import { DEFAULT_PAGE, type JobSummary } from "./schemas";

export interface JobSearchDeps {
  listing: JobListing;
  caller: Caller;
  /** The id secret, from which the cursor key is derived. */
  cursorSecret: () => Promise<Uint8Array>;
  now?: () => number;
}

/** A page of one owner's jobs, and the sealed cursor that continues it. */
export interface JobPage {
  jobs: Job[];
  nextCursor?: string;
  /** Index entries and table items the page read (for the logs and the bench). */
  entriesRead: number;
  itemsRead: number;
}

/** One page's request; `purpose` is what the cursor continues (`list`, or a bulk action's). */
export interface PageRequest {
  filter: JobFilter;
  limit?: number;
  cursor?: string;
  owner?: string;
  purpose?: string;
  /** Where the request carried the cursor, for the 400 that names it. @default "query:cursor" */
  cursorPath?: string;
}

/** A listing asks for at least this many index entries, and at most four per job it returns. */
const MIN_ENTRIES_PER_PAGE = 100;

/**
 * Listing and counting jobs, free of HTTP: every listing is one owner's (the caller's, or for an
 * admin the one it names), and its cursor is sealed to that owner, the operation and the filters.
 */
export class JobSearch {
  constructor(private readonly deps: JobSearchDeps) {}

  /** One page of the owner's jobs matching `filter`, newest first, and the cursor that continues it. */
  async page(request: PageRequest): Promise<JobPage> {
    const { owner, binding, secret, position } = await this.open(request);
    const limit = request.limit ?? DEFAULT_PAGE;
    const page = await this.deps.listing.page({ owner, filter: request.filter, limit, position, maxEntries: Math.max(MIN_ENTRIES_PER_PAGE, 4 * limit) });
    let nextCursor = page.position && sealCursor(secret, binding, page.position);
    // Many streams' read-ahead can make a cursor too long to pass back: then it carries only
    // where each stream stands, and the next page reads those entries again.
    if (nextCursor && nextCursor.length > MAX_CURSOR_CHARS) nextCursor = sealCursor(secret, binding, page.rewound!);
    return { jobs: page.jobs, ...(nextCursor && { nextCursor }), entriesRead: page.entriesRead, itemsRead: page.itemsRead };
  }

  /** Checks a request's owner and cursor without reading anything: a bulk call does, before it claims its Idempotency-Key. */
  async check(request: PageRequest): Promise<void> {
    await this.open(request);
  }

  private async open(request: PageRequest): Promise<{ owner: string; binding: CursorBinding; secret: Uint8Array; position: ListPosition | undefined }> {
    const owner = this.ownerToList(request.owner);
    const binding: CursorBinding = { owner, purpose: request.purpose ?? "list", filter: canonicalFilter(request.filter) };
    const secret = await this.deps.cursorSecret();
    if (request.cursor === undefined) return { owner, binding, secret, position: undefined };
    try {
      return { owner, binding, secret, position: openCursor(secret, binding, request.cursor) };
    } catch (error) {
      throw error instanceof InvalidCursorError ? new InvalidCursorError(request.cursorPath) : error;
    }
  }

  /** `GET /jobs` as the API answers it. */
  async list(request: { filter: JobFilter; limit?: number; cursor?: string; owner?: string }): Promise<{ jobs: ReturnType<typeof toJobListItem>[]; nextCursor?: string }> {
    const page = await this.page(request);
    return { jobs: page.jobs.map(toJobListItem), ...(page.nextCursor && { nextCursor: page.nextCursor }) };
  }

  /** Counts by status and type: the caller's jobs; an admin's default is every owner's. */
  async summary(request: { owner?: string }): Promise<JobSummary> {
    const all = this.deps.caller.admin && request.owner === undefined;
    const owner = all ? undefined : this.ownerToList(request.owner);
    const counts = await this.deps.listing.count({ owner });
    return {
      scope: all ? "all" : "owner",
      ...(owner !== undefined && { owner }),
      total: counts.total,
      byStatus: counts.byStatus,
      byType: counts.byType,
      asOf: new Date((this.deps.now ?? Date.now)()).toISOString(),
    };
  }

  /** The owner a request lists: the caller's own, or for an admin any it names. */
  private ownerToList(named: string | undefined): string {
    if (named === undefined || named === this.deps.caller.owner) return this.deps.caller.owner;
    if (!this.deps.caller.admin) throw new ForbiddenOwnerError();
    return named;
  }
}

/** The filters in one canonical text: the same filters always give the same text. */
export function canonicalFilter(filter: JobFilter): string {
  const statuses = filter.statuses ? Object.values(JobStatus).filter((status) => filter.statuses!.includes(status)) : null;
  // The schedule only when given: a cursor sealed before the schedule filter existed stays valid.
  return JSON.stringify([statuses, filter.type ?? null, filter.createdAfterMs ?? null, filter.createdBeforeMs ?? null, ...(filter.schedule !== undefined ? [filter.schedule] : [])]);
}
