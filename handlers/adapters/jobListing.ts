import type { Job, JobStatus } from "../domain/job";

/** What a listing selects: every field optional; times inclusive, in epoch ms. */
export interface JobFilter {
  statuses?: readonly JobStatus[];
  type?: string;
  /** Jobs of one schedule's fires: checked on each item (the indexes do not hold it), so its pages read past other jobs. */
  schedule?: string;
  createdAfterMs?: number;
  createdBeforeMs?: number;
}

/**
 * Where a listing stopped, per index stream it merges: the stream's last read key, whether it is
 * exhausted, and the entries it read that no page has returned yet (carried, not read again).
 * Plain JSON: the API seals it into the opaque `cursor`.
 */
export interface ListPosition {
  streams: StreamPosition[];
}

export interface StreamPosition {
  /** `[createdMs, jobId]` of the stream's `LastEvaluatedKey`. */
  after?: [number, string];
  exhausted?: true;
  /** Entries read, not yet returned: `[createdMs, jobId]`, newest first. */
  buffered: [number, string][];
  /**
   * The stream's place just before `buffered[0]` (the last entry returned from it, or where the
   * read that filled the buffer began; absent: the start): where it goes back to, to drop
   * `buffered` and read those entries again.
   */
  mark?: [number, string];
}

export interface ListRequest {
  owner: string;
  filter: JobFilter;
  limit: number;
  position?: ListPosition;
  /** Index entries a page reads at most before it returns what it has (the type filter, and statuses the index cannot tell apart, read entries they do not return). */
  maxEntries: number;
}

export interface ListPage {
  jobs: Job[];
  /** Where to go on from; absent when nothing more can match. */
  position?: ListPosition;
  /**
   * The same place without the entries read ahead (they will be read again): smaller, for when
   * `position` would make too long a cursor. Present with `position`.
   */
  rewound?: ListPosition;
  /** Index entries this page read (returned, carried in the position, or thrown away). */
  entriesRead: number;
  /** Items this page read from the table (returned, or dropped by the status filter). */
  itemsRead: number;
}

/** Jobs counted by status, by type and status, and in all. */
export interface JobCounts {
  total: number;
  byStatus: Record<JobStatus, number>;
  byType: Record<string, Record<JobStatus, number>>;
  /** What the count read: index entries and table items. */
  entriesRead: number;
  itemsRead: number;
}

/** The port to the listing indexes (`JOB_TABLE.listIndex`, `JOB_TABLE.doneIndex`). No scans. */
export interface JobListing {
  /** One owner's jobs matching `filter`, newest first by `createdAt`, at most `limit`. */
  page(request: ListRequest): Promise<ListPage>;
  /** Counts one owner's jobs, or every owner's when `owner` is undefined. */
  count(scope: { owner?: string }): Promise<JobCounts>;
}
