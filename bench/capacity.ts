import { SWEEPER_TIMEOUT_SECONDS, type CloudQueueConfig } from "../infra/config";
import { AWS_LIMITS } from "./awsLimits";
import type { CostInputs } from "./costModel";

/** The levels `docs/SCALING.md` works out: today's load and three multiples of it. */
export const MULTIPLIERS = [1, 10, 100, 1_000] as const;
export type Multiplier = (typeof MULTIPLIERS)[number];

/** The README's reference volume for cost: a month of today's load. */
export const TODAY_JOBS_PER_MONTH = 1_000_000;

/** What the scaling estimates assume beyond the cost model's own assumptions. */
export const SCALING_ASSUMPTIONS = {
  /** A batch of 10 one-second jobs (`demo.unreliable` with `sleepMs` 1000): the records run concurrently. */
  slowBatchSeconds: 1.2,
  /** Headroom every recommended setting leaves over the level's need. */
  headroom: 1.2,
  /** An SQS outage the sweeper must repair after: every job submitted during it waits in the index. */
  outageSeconds: 60,
  /** A repair is three calls (`GetItem`, the `UpdateItem` that moves its sweep entry, `SendMessage`), each about this long. */
  sweeperCallMs: 8,
  /** A backlog that takes the sweeper longer than this to clear calls for a higher `sweepMaxJobsPerRun`. */
  sweeperClearMinutes: 30,
} as const;

/** The highest `sweepShards` the config accepts (`infra/config.ts`). */
export const MAX_SWEEP_SHARDS = 64;

/** Jobs the sweeper repairs at once (`parallelism` default in `handlers/sweeper/handler.ts`). */
export const SWEEPER_PARALLELISM = 16;
/** Calls one repair makes. */
const CALLS_PER_REPAIR = 3;

/** The rates at one level of load, each with what limits it. */
export interface Level {
  multiplier: Multiplier;
  jobsPerSec: number;
  jobsPerMonth: number;
  apiRps: number;
  stageShare: number;
  accountShare: number;
  apiConcurrency: number;
  workerFast: number;
  workerSlow: number;
  sqsCallsPerSec: number;
  sqsInFlight: number;
  tableWru: number;
  tableRru: number;
  gsiWru: number;
  gsiWruPerShard: number;
}

/** The inputs of the estimates: the dev stack's config and the cost model's inputs (calls per job, polls, billed ms). */
export interface CapacityInputs {
  config: CloudQueueConfig;
  cost: CostInputs;
}

/** Requests a job costs the API: its submit and the page's status reads. */
export const requestsPerJob = ({ cost }: CapacityInputs) => 1 + cost.statusReadsPerJob;
/** Today's peak: what the stage throttle admits, in jobs. */
export const todayJobsPerSec = (inputs: CapacityInputs) => inputs.config.apiThrottleRateLimit / requestsPerJob(inputs);
/** Seconds a full batch of fast jobs bills: the cost model's per-batch and per-record milliseconds. */
export const fastBatchSeconds = ({ config, cost }: CapacityInputs) => (cost.workerBilledMsPerBatch + config.batchSize * cost.workerBilledMsPerRecord) / 1000;
/** Sweep-index writes a job makes: enter on its put, leave on its terminal commit. */
export const INDEX_WRITES_PER_JOB = 2;
/** Jobs/s that fill one sweep-index shard's partition. */
export const jobsPerSecPerShard = () => AWS_LIMITS.partitionWriteUnits / INDEX_WRITES_PER_JOB;

/** The rates at `multiplier` × today's load, under load (full batches). */
export function level(inputs: CapacityInputs, multiplier: Multiplier): Level {
  const { config, cost } = inputs;
  const jobsPerSec = todayJobsPerSec(inputs) * multiplier;
  const apiRps = jobsPerSec * requestsPerJob(inputs);
  const batchesPerSec = jobsPerSec / config.batchSize;
  const workerSlow = batchesPerSec * SCALING_ASSUMPTIONS.slowBatchSeconds;
  const readUnitsPerRead = Math.ceil(cost.itemBytes / 4096);
  const writeUnitsPerWrite = Math.ceil(cost.itemBytes / 1024);
  const gsiWru = jobsPerSec * INDEX_WRITES_PER_JOB;
  return {
    multiplier,
    jobsPerSec,
    jobsPerMonth: TODAY_JOBS_PER_MONTH * multiplier,
    apiRps,
    stageShare: apiRps / config.apiThrottleRateLimit,
    accountShare: apiRps / AWS_LIMITS.apiAccountRps,
    apiConcurrency: (apiRps * cost.apiBilledMs) / 1000,
    workerFast: batchesPerSec * fastBatchSeconds(inputs),
    workerSlow,
    // One send per job; one receive and one delete per full batch.
    sqsCallsPerSec: jobsPerSec * cost.calls.SendMessage + batchesPerSec * 2,
    sqsInFlight: workerSlow * config.batchSize,
    tableWru: jobsPerSec * (cost.calls.PutItem + cost.calls.UpdateItem) * writeUnitsPerWrite,
    tableRru: jobsPerSec * (cost.statusReadsPerJob + (cost.calls.GetItem ?? 0)) * readUnitsPerRead,
    gsiWru,
    gsiWruPerShard: gsiWru / config.sweepShards,
  };
}

/** A setting that covers `need` with the headroom, rounded up to a value an operator would type. */
export function recommend(need: number): number {
  const target = need * SCALING_ASSUMPTIONS.headroom;
  const magnitude = 10 ** Math.floor(Math.log10(Math.max(target, 1)));
  const step = [1, 2, 2.5, 3, 4, 5, 6, 8, 10].find((candidate) => candidate * magnitude >= target)!;
  return step * magnitude;
}

/**
 * What an outage of `outageSeconds` leaves the sweeper at this level: the backlog, how long the
 * configured `sweepMaxJobsPerRun` (one run a minute) takes to clear it, one run's own ceiling (an
 * estimate, not measured) and, if clearing takes too long, the setting that clears it in about five
 * runs, at most one run's ceiling.
 */
export function sweeperPlan({ config }: CapacityInputs, at: Level): { backlog: number; clearMinutes: number; repairsPerSecond: number; runCeiling: number; recommended?: number } {
  const backlog = at.jobsPerSec * SCALING_ASSUMPTIONS.outageSeconds;
  const clearMinutes = backlog / config.sweepMaxJobsPerRun;
  const repairsPerSecond = SWEEPER_PARALLELISM / ((CALLS_PER_REPAIR * SCALING_ASSUMPTIONS.sweeperCallMs) / 1000);
  const runCeiling = repairsPerSecond * SWEEPER_TIMEOUT_SECONDS;
  if (clearMinutes <= SCALING_ASSUMPTIONS.sweeperClearMinutes) return { backlog, clearMinutes, repairsPerSecond, runCeiling };
  return { backlog, clearMinutes, repairsPerSecond, runCeiling, recommended: Math.min(recommend(backlog / 5), niceFloor(runCeiling)) };
}

/** The largest value an operator would type that does not exceed `value` (two leading digits). */
export function niceFloor(value: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(value));
  return Math.floor(value / magnitude) * magnitude;
}

/** `sweepShards` for a level: four shards per 1 000 jobs/s (half of each partition left for retries), a power of two, at most 64. */
export function recommendShards({ config }: CapacityInputs, at: Level): number {
  const need = Math.max(config.sweepShards, Math.ceil((4 * at.jobsPerSec) / 1000));
  return Math.min(MAX_SWEEP_SHARDS, 2 ** Math.ceil(Math.log2(need)));
}

