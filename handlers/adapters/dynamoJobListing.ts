import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { BatchGetCommand, DynamoDBDocumentClient, QueryCommand, type QueryCommandInput } from "@aws-sdk/lib-dynamodb";
import { JobStatus, ownerOf, TERMINAL_STATUSES, type Job } from "../domain/job";
import { storeError, StoreUnavailableError } from "../errors";
import { JOB_TABLE, type StoreSettings } from "../settings";
import type { JobCounts, JobFilter, JobListing, ListPage, ListRequest, StreamPosition } from "./jobListing";
import { createdMsOf, doneShard, listKey, listKeyRange } from "./listKeys";

/** One Query stream of a listing: one shard of one index (of one status, for the finished jobs' index). */
interface Stream {
  index: typeof JOB_TABLE.listIndex | typeof JOB_TABLE.doneIndex;
  hash: number | string;
  /** The status every entry of a finished jobs' stream was written for. */
  status?: JobStatus;
}

type Entry = [createdMs: number, jobId: string];

/** BatchGetItem takes at most this many keys per call. */
const BATCH_GET_MAX = 100;

/**
 * Listing and counting through the two listing indexes, never a scan.
 *
 * A listing merges one Query stream per shard (and per status, for finished jobs) newest first.
 * Entries a stream read but the page did not return travel in the position (the cursor), so no
 * entry is read twice: a page of 25 reads about 26 entries and the 25 items it returns. Statuses
 * the indexes cannot tell apart (`QUEUED` and `IN_PROGRESS`, which share the all-jobs index so
 * that a claim writes no index) and the type filter read entries or items they then drop; those
 * pages stop at `maxEntries` and say where to go on.
 */
export class DynamoJobListing implements JobListing {
  private readonly documents: DynamoDBDocumentClient;

  constructor(client: DynamoDBClient, private readonly settings: StoreSettings) {
    this.documents = DynamoDBDocumentClient.from(client);
  }

  async page(request: ListRequest): Promise<ListPage> {
    const { createdAfterMs, createdBeforeMs } = request.filter;
    // An empty time range matches nothing (and DynamoDB refuses a BETWEEN with low above high).
    if (createdAfterMs !== undefined && createdBeforeMs !== undefined && createdAfterMs > createdBeforeMs) return { jobs: [], entriesRead: 0, itemsRead: 0 };
    const streams = this.streamsFor(request.filter);
    const states: StreamPosition[] =
      request.position?.streams.length === streams.length
        ? request.position.streams.map((state) => ({ ...state, buffered: [...state.buffered] }))
        : streams.map(() => ({ buffered: [] }));
    const statuses = request.filter.statuses;
    // Whatever the bound, a page may read one entry per stream and the page itself: with many
    // shards and statuses the merge must see every stream before it can pick.
    const maxEntries = Math.max(request.maxEntries, streams.length + request.limit + 1);
    const jobs: Job[] = [];
    let entriesRead = 0;
    let itemsRead = 0;
    let spent = false;
    while (jobs.length < request.limit && !spent) {
      const wanted = request.limit - jobs.length;
      const picked: { entry: Entry; stream: number }[] = [];
      while (picked.length < wanted) {
        // The merge may only pick once every live stream shows its newest unreturned entry.
        const empty = states.flatMap((state, index) => (state.buffered.length === 0 && !state.exhausted ? [index] : []));
        if (empty.length > 0) {
          if (entriesRead >= maxEntries) {
            spent = true;
            break;
          }
          // Each empty stream reads its share of what the page still needs (one more, to know
          // whether more follow), within what the page may still read; what the merge reads
          // ahead travels in the cursor, so no entry is read twice.
          const live = states.filter((state) => state.buffered.length > 0 || !state.exhausted).length;
          const share = Math.ceil((wanted - picked.length + 1) / live);
          const batch = Math.max(1, Math.min(share, Math.floor((maxEntries - entriesRead) / empty.length)));
          const reads = await Promise.all(empty.map((index) => this.read(streams[index]!, states[index]!, batch, request)));
          entriesRead += reads.reduce((sum, read) => sum + read, 0);
          continue;
        }
        let newest = -1;
        states.forEach((state, index) => {
          if (state.buffered.length > 0 && (newest < 0 || isNewer(state.buffered[0]!, states[newest]!.buffered[0]!))) newest = index;
        });
        if (newest < 0) break;
        const entry = states[newest]!.buffered.shift()!;
        states[newest]!.mark = entry;
        picked.push({ entry, stream: newest });
      }
      if (picked.length === 0) break;
      // Eventually consistent (half the read units): a listing shows a moment's state anyway, and
      // a job that changed since is acted on by conditional writes, never by what a page showed.
      const items = await this.getItems([...new Set(picked.map(({ entry }) => entry[1]))], { consistent: false });
      itemsRead += picked.length;
      for (const { entry, stream } of picked) {
        const job = items.get(entry[1]);
        // The item decides, not the index: indexes lag their table by a moment, and the owner
        // is checked on the item itself (the index names owners by a digest).
        if (!job || ownerOf(job) !== request.owner) continue;
        if (statuses && !statuses.includes(job.status)) continue;
        // A finished job is in exactly one status's stream: the one of its status now. An entry
        // of another (the index lagging, or read before the job was retried and finished again)
        // is stale, so no job is listed twice.
        const written = streams[stream]!.status;
        if (written !== undefined && written !== job.status) continue;
        if (request.filter.type !== undefined && job.type !== request.filter.type) continue;
        if (request.filter.schedule !== undefined && job.schedule !== request.filter.schedule) continue;
        jobs.push(job);
      }
      if (picked.length < wanted && !spent) break;
    }
    const more = states.some((state) => state.buffered.length > 0 || !state.exhausted);
    return { jobs, ...(more && { position: { streams: states }, rewound: rewind(states) }), entriesRead, itemsRead };
  }

  async count(scope: { owner?: string }): Promise<JobCounts> {
    const range = scope.owner === undefined ? undefined : listKeyRange(scope.owner, {});
    const shards = Array.from({ length: this.settings.sweepShards }, (_, shard) => shard);
    const all = new Map<string, string>();
    const finished = new Map<string, { status: JobStatus; type: string }>();
    let entriesRead = 0;
    const created = await Promise.all(shards.map((shard) => this.readAll({ index: JOB_TABLE.listIndex, hash: shard }, range)));
    for (const read of created) {
      entriesRead += read.scanned;
      for (const item of read.items) all.set(String(item.jobId), String(item.type));
    }
    const done = await Promise.all(
      TERMINAL_STATUSES.flatMap((status) => shards.map(async (shard) => ({ status, read: await this.readAll({ index: JOB_TABLE.doneIndex, hash: doneShard(status, shard) }, range) }))),
    );
    for (const { status, read } of done) {
      entriesRead += read.scanned;
      for (const item of read.items) finished.set(String(item.jobId), { status, type: String(item.type) });
    }
    // What is in the all-jobs index and not among the finished is active: its item tells which.
    const active = [...all.keys()].filter((jobId) => !finished.has(jobId));
    const activeItems = await this.getItems(active, { consistent: false });
    const counts = emptyCounts();
    const add = (status: JobStatus, type: string) => {
      counts.total += 1;
      counts.byStatus[status] += 1;
      counts.byType[type] ??= zeroByStatus();
      counts.byType[type][status] += 1;
    };
    for (const { status, type } of finished.values()) add(status, type);
    for (const jobId of active) {
      const job = activeItems.get(jobId);
      if (job) add(job.status, job.type);
    }
    return { ...counts, entriesRead, itemsRead: active.length };
  }

  /** The streams a filter reads: the finished jobs' index when every status asked is terminal. */
  private streamsFor(filter: JobFilter): Stream[] {
    const shards = Array.from({ length: this.settings.sweepShards }, (_, shard) => shard);
    const statuses = filter.statuses;
    if (statuses && statuses.length > 0 && statuses.every((status) => TERMINAL_STATUSES.includes(status))) {
      return [...statuses].sort().flatMap((status) => shards.map((shard) => ({ index: JOB_TABLE.doneIndex, hash: doneShard(status, shard), status })));
    }
    return shards.map((shard) => ({ index: JOB_TABLE.listIndex, hash: shard }));
  }

  /** Reads the next `limit` entries of a stream into its buffer; returns the entries DynamoDB read. */
  private async read(stream: Stream, state: StreamPosition, limit: number, request: ListRequest): Promise<number> {
    const range = listKeyRange(request.owner, { afterMs: request.filter.createdAfterMs, beforeMs: request.filter.createdBeforeMs });
    const input = this.query(stream, range);
    input.Limit = limit;
    input.ScanIndexForward = false;
    if (state.after) input.ExclusiveStartKey = { jobId: state.after[1], [stream.index.hashKey]: stream.hash, [JOB_TABLE.listIndex.rangeKey]: listKey(request.owner, state.after[0]) };
    if (request.filter.type !== undefined) {
      input.FilterExpression = "#type = :type";
      input.ExpressionAttributeNames!["#type"] = "type";
      input.ExpressionAttributeValues![":type"] = request.filter.type;
    }
    if (state.buffered.length === 0) {
      if (state.after) state.mark = state.after;
      else delete state.mark;
    }
    const page = await this.send(input);
    for (const item of page.Items ?? []) state.buffered.push([createdMsOf(String(item[JOB_TABLE.listIndex.rangeKey])), String(item.jobId)]);
    const last = page.LastEvaluatedKey;
    if (last) state.after = [createdMsOf(String(last[JOB_TABLE.listIndex.rangeKey])), String(last.jobId)];
    else {
      delete state.after;
      state.exhausted = true;
    }
    return page.ScannedCount ?? page.Items?.length ?? 0;
  }

  /** Every entry of a stream (within one owner's key range, or all): id and type. */
  private async readAll(stream: Stream, range: { low: string; high: string } | undefined): Promise<{ items: Record<string, unknown>[]; scanned: number }> {
    const items: Record<string, unknown>[] = [];
    let scanned = 0;
    let startKey: Record<string, unknown> | undefined;
    do {
      const input = this.query(stream, range);
      input.ProjectionExpression = "jobId, #type";
      input.ExpressionAttributeNames!["#type"] = "type";
      input.ExclusiveStartKey = startKey;
      const page = await this.send(input);
      items.push(...(page.Items ?? []));
      scanned += page.ScannedCount ?? 0;
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return { items, scanned };
  }

  private query(stream: Stream, range: { low: string; high: string } | undefined): QueryCommandInput {
    return {
      TableName: this.settings.tableName,
      IndexName: stream.index.name,
      KeyConditionExpression: range ? "#hash = :hash AND #key BETWEEN :low AND :high" : "#hash = :hash",
      ExpressionAttributeNames: { "#hash": stream.index.hashKey, ...(range && { "#key": JOB_TABLE.listIndex.rangeKey }) },
      ExpressionAttributeValues: { ":hash": stream.hash, ...(range && { ":low": range.low, ":high": range.high }) },
    };
  }

  private async send(input: QueryCommandInput) {
    try {
      return await this.documents.send(new QueryCommand(input));
    } catch (error) {
      throw storeError("Query", error);
    }
  }

  /** The items of `jobIds` (missing ones are absent), through BatchGetItem, unprocessed keys retried. */
  private async getItems(jobIds: readonly string[], options: { consistent: boolean }): Promise<Map<string, Job>> {
    const found = new Map<string, Job>();
    for (let start = 0; start < jobIds.length; start += BATCH_GET_MAX) {
      let keys: Record<string, unknown>[] = jobIds.slice(start, start + BATCH_GET_MAX).map((jobId) => ({ jobId }));
      for (let round = 0; keys.length > 0; round += 1) {
        // Unprocessed keys are DynamoDB shedding load: back off a little, a few times, then say so.
        if (round === 5) throw new StoreUnavailableError("BatchGetItem", { cause: new Error(`${keys.length} keys left unprocessed`) });
        if (round > 0) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** round));
        let response;
        try {
          response = await this.documents.send(new BatchGetCommand({ RequestItems: { [this.settings.tableName]: { Keys: keys, ConsistentRead: options.consistent } } }));
        } catch (error) {
          throw storeError("BatchGetItem", error);
        }
        for (const item of response.Responses?.[this.settings.tableName] ?? []) found.set(String(item.jobId), item as Job);
        keys = (response.UnprocessedKeys?.[this.settings.tableName]?.Keys as Record<string, unknown>[] | undefined) ?? [];
      }
    }
    return found;
  }
}

/**
 * The position with every stream's read-ahead dropped: each stream goes back to its mark (the
 * last entry returned from it, or where its buffered read began), to read the rest again. Larger than a cursor may be only with many
 * streams (many shards and statuses); the API falls back to it then.
 */
function rewind(states: StreamPosition[]): { streams: StreamPosition[] } {
  return {
    streams: states.map((state) => {
      if (state.buffered.length === 0) return state;
      return { buffered: [], ...(state.mark && { after: state.mark }) };
    }),
  };
}

function isNewer(a: Entry, b: Entry): boolean {
  return a[0] !== b[0] ? a[0] > b[0] : a[1] > b[1];
}

function zeroByStatus(): Record<JobStatus, number> {
  return Object.fromEntries(Object.values(JobStatus).map((status) => [status, 0])) as Record<JobStatus, number>;
}

function emptyCounts(): Omit<JobCounts, "entriesRead" | "itemsRead"> {
  return { total: 0, byStatus: zeroByStatus(), byType: {} };
}
