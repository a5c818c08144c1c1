import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as v from "valibot";

/** Where `npm run bench` writes its results. */
export const RESULTS_FILE = join(__dirname, "results.json");

const ThroughputRowSchema = v.object({
  clients: v.number(),
  jobs: v.number(),
  jobsPerSec: v.number(),
  ceilingJobsPerSec: v.number(),
  shareOfCeiling: v.number(),
  submitP50Ms: v.number(),
  submitP99Ms: v.number(),
  e2eP50Ms: v.number(),
  e2eP99Ms: v.number(),
});

const ArtifactRowSchema = v.object({
  function: v.string(),
  zipBytes: v.number(),
  coldStartMs: v.number(),
  sdkOnlyMs: v.number(),
  ratio: v.number(),
  sdkFirstCallMs: v.number(),
  ratioOverSdkFirstCall: v.number(),
});

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
