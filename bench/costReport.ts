import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { load } from "js-yaml";
import * as v from "valibot";
import { customMetricCount } from "../handlers/metrics";
import { alarmMetricCount, alarmSpecs } from "../infra/alarms";
import { parseConfig, type CloudQueueConfig } from "../infra/config";
import { builtInMetricUniverse } from "../handlers/metricUniverse";
import { dashboardBody, referencedMetrics, type WatchedResources } from "../infra/dashboard";
import { ASSUMPTIONS, FLOOR_CALLS_PER_JOB, FLOOR_LISTING, monthlyCost, sameOriginApiCost, type CallsPerJob, type CostInputs, type CostLine, type ListingCosts } from "./costModel";
import { PRICES } from "./prices";
import { readBenchResults, type BenchResults, type ListingResults } from "./benchResults";

const ROOT = join(__dirname, "..");

/** What `npm run cost` is asked for. */
export interface CostQuery {
  /** The Pulumi stack whose `Pulumi.<stack>.yaml` is read over the defaults. */
  stack: string;
  jobsPerMonth: number;
  /** @default 10 000 */
  pageViewsPerMonth?: number;
}

/** The page views a month every figure assumes unless told otherwise. */
export const DEFAULT_PAGE_VIEWS_PER_MONTH = 10_000;

/** The cost model's inputs for a stack: its config, the benchmark's calls per job (or the floor) and the assumptions. */
export function costInputs(query: CostQuery, results: BenchResults | undefined = readBenchResults()): { inputs: CostInputs; config: CloudQueueConfig; source: string } {
  const config = parseConfig(stackConfig(query.stack));
  const { calls, statusReadsPerJob, source } = callsPerJob(results);
  const { measured: _measured, ...listing } = listingCosts(results?.listing);
  const inputs: CostInputs = {
    jobsPerMonth: query.jobsPerMonth,
    calls,
    statusReadsPerJob,
    ...listing,
    lambdaMemoryMb: config.lambdaMemoryMb,
    batchSize: config.batchSize,
    retentionDays: config.retentionDays,
    pointInTimeRecovery: config.pointInTimeRecovery,
    logRetentionDays: config.logRetentionDays,
    sweepShards: config.sweepShards,
    alertEmail: config.alertEmailOrNone !== undefined,
    ...observabilityCounts(config),
    ...ASSUMPTIONS,
    // Measured by the benchmark: a job's own records, plus one api.request record per status read.
    ...(results && { logBytesPerJob: results.logBytes.perJob + statusReadsPerJob * results.logBytes.perStatusRead }),
    pageViewsPerMonth: query.pageViewsPerMonth ?? DEFAULT_PAGE_VIEWS_PER_MONTH,
  };
  return { inputs, config, source };
}

/** Sums of a bill's lines. */
export function totals(lines: CostLine[]): { list: number; billed: number } {
  return { list: lines.reduce((sum, line) => sum + line.list, 0), billed: lines.reduce((sum, line) => sum + line.billed, 0) };
}

/** The text `npm run cost` prints: one line per service, the totals and every assumption behind them. */
export function costReport(query: CostQuery, results: BenchResults | undefined = readBenchResults()): string {
  const { inputs, source } = costInputs(query, results);
  const lines = monthlyCost(inputs);
  const { list, billed } = totals(lines);
  const sameOrigin = sameOriginApiCost(inputs);
  const width = Math.max(...lines.map((line) => line.service.length));
  const usageWidth = Math.max(...lines.map((line) => line.usage.length));
  return [
    `CloudQueue stack "${query.stack}", ${inputs.jobsPerMonth.toLocaleString("en-US")} jobs a month — ${PRICES.region}, ${PRICES.asOf}`,
    `calls per job: ${source}: ${Object.entries(inputs.calls).map(([op, count]) => `${op} ${round(count)}`).join(", ")}; status reads per job ${inputs.statusReadsPerJob} (the site's polling)`,
    `listing: ${listingCosts(results?.listing).measured ? "measured (bench/results.json listing)" : "the design's rules (no listing results)"}: index writes per job ${round(inputs.indexWritesPerJob)}; ` +
      `a page of 25 ${round(inputs.readUnitsPerListPage)} RRU; a summary ${round(inputs.summaryReadUnitsPer100Jobs)} RRU per 100 jobs counted + ${round(inputs.summaryReadUnitsPerActiveJob)} per active job`,
    "",
    `${"service".padEnd(width)}  ${"usage".padEnd(usageWidth)}  ${"list USD".padStart(10)}  ${"billed USD".padStart(10)}`,
    ...lines.map((line) => `${line.service.padEnd(width)}  ${line.usage.padEnd(usageWidth)}  ${line.list.toFixed(2).padStart(10)}  ${line.billed.toFixed(2).padStart(10)}`),
    `${"total".padEnd(width)}  ${"".padEnd(usageWidth)}  ${list.toFixed(2).padStart(10)}  ${billed.toFixed(2).padStart(10)}`,
    "",
    `always-free tiers cover ${list > 0 ? ((1 - billed / list) * 100).toFixed(0) : "100"}% of the list price; per million jobs after free tiers: $${inputs.jobsPerMonth > 0 ? ((billed / inputs.jobsPerMonth) * 1e6).toFixed(2) : "0.00"}`,
    `same origin (the page calls the API through CloudFront): $${sameOrigin.list.toFixed(2)} list, $${sameOrigin.billed.toFixed(2)} after CloudFront's free requests, for ${fmtCount(sameOrigin.apiRequests)} API requests ($${((PRICES.cloudfront.perTenThousandHttpsRequests * 1e6) / 1e4).toFixed(2)} per million)`,
    `API Gateway's 12-month free tier (1 M requests) would take another $${((Math.min(PRICES.apiGatewayHttp.firstYearFreeRequests, sameOrigin.apiRequests) / 1e6) * PRICES.apiGatewayHttp.perMillionRequests).toFixed(2)} off in a new account's first year.`,
    `assumptions: ${fmtCount(inputs.apiKeyedColdStartsPerMonth)} api cold starts a month that derive the id secret; billed ms api ${inputs.apiBilledMs}, worker ${inputs.workerBilledMsPerBatch}/batch + ${inputs.workerBilledMsPerRecord}/record, sweeper ${inputs.sweeperBilledMs}; item ${inputs.itemBytes} B; ` +
      `batches ${inputs.batchFill * 100}% full; logs ${inputs.platformLogBytesPerInvocation} B/invocation (Lambda's platform.start + platform.report, JSON) + ${inputs.logBytesPerJob} B/job of CloudQueue's records${results ? " (measured: bench/results.json logBytes, with the status reads)" : ""}; ` +
      `${inputs.pageViewsPerMonth.toLocaleString("en-US")} page views of ${inputs.pageRequestsPerView} requests, ${inputs.pageBytesPerView / 1000} kB; ${inputs.apiResponseBytes} B per API response; ` +
      `custom metrics: all ${inputs.customMetrics} billed the whole month, the most they can cost (each is billed only for the hours it receives data); ` +
      `${fmtCount(inputs.listPagesPerMonth)} list pages and ${fmtCount(inputs.summariesPerMonth)} summaries a month, each summary counting every job kept (${inputs.retentionDays} days), ${fmtCount(inputs.activeJobsPerSummary)} of them active`,
  ].join("\n");
}

/**
 * What the stack's metrics, dashboard and alarms count, from the same definitions the program
 * deploys (`infra/dashboard.ts`, `infra/alarms.ts`): the counts depend on the job types, the routes
 * and the config, never on the resources' names, so placeholders stand in for them.
 */
export function observabilityCounts(config: CloudQueueConfig): Pick<CostInputs, "customMetrics" | "dashboardMetrics" | "alarmMetrics"> {
  const universe = builtInMetricUniverse();
  const names: WatchedResources = { functions: { api: "api", worker: "worker", sweeper: "sweeper" }, queue: "queue", deadLetterQueue: "dlq", table: "table", apiId: "api-id" };
  const failureShare = { windowMinutes: config.alarmFailureWindowMinutes, minJobs: config.alarmFailureMinJobs };
  const body = dashboardBody({ region: PRICES.region, namespace: "CloudQueue/cost", universe, resources: names, failureShare });
  return {
    customMetrics: customMetricCount(universe).total,
    dashboardMetrics: referencedMetrics(body).length,
    alarmMetrics: config.alertEmailOrNone === undefined ? 0 : alarmMetricCount(alarmSpecs("CloudQueue/cost", names, config)),
  };
}

function stackConfig(stack: string): Record<string, unknown> {
  const file = join(ROOT, `Pulumi.${stack}.yaml`);
  if (!existsSync(file)) return {};
  const parsed = v.safeParse(v.object({ config: v.optional(v.record(v.string(), v.unknown()), () => ({})) }), load(readFileSync(file, "utf8")) ?? {});
  if (!parsed.success) throw new Error(`${file} has no readable config map`);
  return Object.fromEntries(
    Object.entries(parsed.output.config)
      .filter(([key]) => key.startsWith("cloudqueue:"))
      .map(([key, value]) => [key.slice("cloudqueue:".length), value]),
  );
}

function callsPerJob(results: BenchResults | undefined): { calls: CallsPerJob; statusReadsPerJob: number; source: string } {
  if (results === undefined) return { calls: FLOOR_CALLS_PER_JOB, statusReadsPerJob: 4, source: "protocol floor (no bench/results.json)" };
  const { callsPerJob, statusReadsInCallsPhase, pollsPerJob } = results;
  // The benchmark read each job's status a known number of times; the rest are the system's own reads.
  const calls = { ...FLOOR_CALLS_PER_JOB, ...callsPerJob, GetItem: Math.max(0, (callsPerJob.GetItem ?? 0) - statusReadsInCallsPhase) };
  return { calls, statusReadsPerJob: pollsPerJob, source: "measured (bench/results.json)" };
}

/** The listing indexes' costs as the listing phase measured them, or the design's when it has not run. */
export function listingCosts(listing: ListingResults | undefined): ListingCosts & { measured: boolean } {
  const succeeded = listing?.indexWrites.find((row) => row.scenario === "succeeded");
  const common = listing?.pages.filter((row) => row.common) ?? [];
  const all = listing?.summaries.find((row) => row.scope === "all");
  if (!listing || !succeeded || common.length === 0 || !all) return { ...FLOOR_LISTING, measured: false };
  return {
    indexWritesPerJob: succeeded.total,
    // A month's pages spread evenly over the common queries.
    readUnitsPerListPage: common.reduce((sum, row) => sum + row.readUnitsPerPage, 0) / common.length,
    summaryReadUnitsPer100Jobs: (all.indexReadUnits / all.jobsCounted) * 100,
    summaryReadUnitsPerActiveJob: all.items > 0 ? all.itemReadUnits / all.items : FLOOR_LISTING.summaryReadUnitsPerActiveJob,
    measured: true,
  };
}

function round(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

function fmtCount(value: number): string {
  return value >= 1e6 ? `${(value / 1e6).toFixed(2)} M` : value >= 1e3 ? `${(value / 1e3).toFixed(1)} k` : value.toFixed(0);
}
