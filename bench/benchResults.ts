import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as v from "valibot";

/** Where `npm run bench` writes its results. */
export const RESULTS_FILE = join(__dirname, "results.json");

const ThroughputRowSchema = v.object({
  clients: v.number(),
  jobs: v.number(),
  jobsPerSec: v.number(),
  /** Jobs over the time to the last 202; absent in results written before it was measured. */
  submitJobsPerSec: v.optional(v.number()),
  ceilingJobsPerSec: v.number(),
  shareOfCeiling: v.number(),
  submitP50Ms: v.number(),
  submitP99Ms: v.number(),
  e2eP50Ms: v.number(),
  e2eP99Ms: v.number(),
});

/** The bulk producer's row (`bench/batch.ts`): `POST /jobs/batch` of 100 from several clients. */
export const BatchRowSchema = v.object({
  clients: v.number(),
  jobs: v.number(),
  jobsPerBatch: v.number(),
  submitJobsPerSec: v.number(),
  jobsPerSec: v.number(),
  requestP50Ms: v.number(),
  requestP99Ms: v.number(),
  e2eP50Ms: v.number(),
  e2eP99Ms: v.number(),
  /** AWS calls per job by operation, before any status read. */
  callsPerJob: v.record(v.string(), v.number()),
  apiRequestsPerJob: v.number(),
  /** The handlers' log bytes per job, no status read. */
  logBytesPerJob: v.number(),
});

export type BatchResults = v.InferOutput<typeof BatchRowSchema>;

const ArtifactRowSchema = v.object({
  function: v.string(),
  zipBytes: v.number(),
  coldStartMs: v.number(),
  sdkOnlyMs: v.number(),
  ratio: v.number(),
  sdkFirstCallMs: v.number(),
  ratioOverSdkFirstCall: v.number(),
});

/** What the listing phase (`bench/listing.ts`) measured: index writes per job, reads per page, the summary's reads. */
export const ListingResultsSchema = v.object({
  pageSize: v.number(),
  /** The tenant whose jobs are listed, and the other owners' jobs in the same table. */
  tenantJobs: v.number(),
  otherJobs: v.number(),
  /** Mean size of the index entries and the items the pages read, by DynamoDB's size rules. */
  meanEntryBytes: v.number(),
  meanItemBytes: v.number(),
  /** Per job of each scenario: table writes and units, index write units by index name and in all, and how each index's writes spread over its partition keys. */
  indexWrites: v.pipe(
    v.array(
      v.object({
        scenario: v.string(),
        what: v.string(),
        jobs: v.number(),
        tableWrites: v.number(),
        tableUnits: v.number(),
        byIndex: v.record(v.string(), v.number()),
        total: v.number(),
        partitions: v.record(v.string(), v.object({ keys: v.number(), hottestShare: v.number() })),
      }),
    ),
    v.minLength(1),
  ),
  /** Per query, paged to the end: means and maxima per page of entries, items, Query calls and read units. */
  pages: v.pipe(
    v.array(
      v.object({
        query: v.string(),
        /** One of the common queries (by status, by status and time, newest first). */
        common: v.boolean(),
        pages: v.number(),
        fullPages: v.number(),
        jobs: v.number(),
        matching: v.number(),
        /** The pages together listed exactly the matching jobs, newest first. */
        inOrder: v.boolean(),
        entriesPerPage: v.number(),
        maxEntriesPerPage: v.number(),
        itemsPerPage: v.number(),
        maxItemsPerPage: v.number(),
        /** Items read and not returned (the status the index cannot tell apart). */
        itemsNotReturned: v.number(),
        queriesPerPage: v.number(),
        maxQueriesPerPage: v.number(),
        readUnitsPerPage: v.number(),
        maxReadUnitsPerPage: v.number(),
        readUnitsPerJob: v.number(),
        /** Entries of other owners any page read. */
        otherOwnersEntries: v.number(),
      }),
    ),
    v.minLength(1),
  ),
  summaries: v.pipe(
    v.array(
      v.object({
        scope: v.string(),
        jobsCounted: v.number(),
        expectedJobs: v.number(),
        activeJobs: v.optional(v.number()),
        queries: v.number(),
        entries: v.number(),
        entryBytes: v.number(),
        items: v.number(),
        indexReadUnits: v.number(),
        itemReadUnits: v.number(),
        readUnits: v.number(),
        readUnitsPer100Jobs: v.number(),
      }),
    ),
    v.minLength(1),
  ),
});

export type ListingResults = v.InferOutput<typeof ListingResultsSchema>;

/** The calls per job the protocol needs (one status read per job in the calls phase): anything above is the emulators' or the client's doing. */
export const CALLS_FLOOR: Readonly<Record<string, number>> = { PutItem: 1, SendMessage: 1, UpdateItem: 2, GetItem: 1, Scan: 0 };

/** `bench/results.json` as `bench/run.ts` writes it. */
export const BenchResultsSchema = v.object({
  machine: v.object({ cpus: v.number(), cpuModel: v.string(), memoryGiB: v.number(), node: v.string(), platform: v.string() }),
  ceiling: v.object({
    putItemsPerSecond: v.number(),
    sendMessagesPerSecond: v.number(),
    jobWritesPerSecond: v.number(),
    concurrency: v.number(),
    jobsPerSec: v.number(),
    jobsPerSecIfEveryWriteWereABarePutItem: v.number(),
  }),
  callsPerJob: v.record(v.string(), v.number()),
  callsPerJobNotes: v.array(v.string()),
  /** The handlers' log records in the calls phase: per job (its status reads aside), per status read, by event. */
  logBytes: v.object({ perJob: v.number(), perStatusRead: v.number(), byEvent: v.record(v.string(), v.object({ lines: v.number(), bytesPerLine: v.number() })) }),
  statusReadsInCallsPhase: v.number(),
  throughput: v.pipe(v.array(ThroughputRowSchema), v.minLength(1)),
  /** The bulk producer's row; absent in results written before it was measured. */
  batch: v.optional(BatchRowSchema),
  artifacts: v.pipe(v.array(ArtifactRowSchema), v.minLength(1)),
  /** The cold starts of the commit before the observability work and today's, measured side by side in turns (bench/coldStartBaseline.ts). */
  coldStartBaseline: v.object({ commit: v.string(), rounds: v.number(), baselineMs: v.record(v.string(), v.number()), todayMs: v.record(v.string(), v.number()) }),
  /** Powertools' Logger and Metrics loaded after the SDK in a fresh process, medians in ms. */
  powertools: v.object({ loggerMs: v.number(), metricsMs: v.number(), bothMs: v.number() }),
  /** The id secret's share of an api cold start (bench/idSecret.ts), medians in ms; absent in results written before it was measured. */
  idSecret: v.optional(v.object({ unkeyedColdStartMs: v.number(), keyedColdStartMs: v.number(), kmsClientLoadMs: v.number(), generateMacPerColdStart: v.number() })),
  pollsPerJob: v.number(),
  pollSamples: v.array(v.number()),
  recovery: v.pipe(v.array(v.object({ jobs: v.number(), activeJobs: v.number(), scanMs: v.number(), startMs: v.number() })), v.minLength(1)),
  /** The listing phase; absent in results written before it was measured. */
  listing: v.optional(ListingResultsSchema),
  targets: v.object({ shareOfCeiling: v.number(), coldStartRatio: v.number(), pollsPerJob: v.number(), coldStartGrowthMs: v.number() }),
});

export type BenchResults = v.InferOutput<typeof BenchResultsSchema>;

/** The last benchmark's results, or `undefined` when none were written yet. Throws on a file of another shape. */
export function readBenchResults(file = RESULTS_FILE): BenchResults | undefined {
  if (!existsSync(file)) return undefined;
  const parsed = v.safeParse(BenchResultsSchema, JSON.parse(readFileSync(file, "utf8")));
  if (!parsed.success) throw new Error(`${file} does not have the shape bench/run.ts writes: ${v.summarize(parsed.issues)}`);
  return parsed.output;
}
