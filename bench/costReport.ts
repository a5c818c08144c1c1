import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { load } from "js-yaml";
import * as v from "valibot";
import { customMetricCount } from "../handlers/metrics";
import { alarmMetricCount, alarmSpecs } from "../infra/alarms";
import { parseConfig, type CloudQueueConfig } from "../infra/config";
import { builtInMetricUniverse } from "../handlers/metricUniverse";
import { dashboardBody, referencedMetrics, type WatchedResources } from "../infra/dashboard";
import { ASSUMPTIONS, FLOOR_BATCH_CALLS, FLOOR_CALLS_PER_JOB, FLOOR_LISTING, monthlyCost, monthlyUsage, sameOriginApiCost, type BatchCalls, type CallsPerJob, type CostInputs, type CostLine, type ListingCosts } from "./costModel";
import { PRICES } from "./prices";
import { readBenchResults, type BatchResults, type BenchResults, type ListingResults } from "./benchResults";

const ROOT = join(__dirname, "..");

/** What `npm run cost` is asked for. */
export interface CostQuery {
  /** The Pulumi stack whose `Pulumi.<stack>.yaml` is read over the defaults. */
  stack: string;
  jobsPerMonth: number;
  /** @default 10 000 */
  pageViewsPerMonth?: number;
  /** Share (0–1) of the jobs a bulk producer submits by `POST /jobs/batch`, 100 to a request. @default 0 */
  batchShare?: number;
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
    batchShare: query.batchShare ?? 0,
    batchCalls: batchCallsPerJob(results, statusReadsPerJob).calls,
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
  const bulk = (inputs.batchShare ?? 0) > 0 ? bulkProducerLines(inputs, lines, results) : undefined;
  return [
    `CloudQueue stack "${query.stack}", ${inputs.jobsPerMonth.toLocaleString("en-US")} jobs a month — ${PRICES.region}, ${PRICES.asOf}`,
    `calls per job: ${source}: ${Object.entries(inputs.calls).map(([op, count]) => `${op} ${round(count)}`).join(", ")}; status reads per job ${inputs.statusReadsPerJob} (the site's polling)`,
    ...(bulk?.header ?? []),
    `listing: ${listingCosts(results?.listing).measured ? "measured (bench/results.json listing)" : "the design's rules (no listing results)"}: index writes per job ${round(inputs.indexWritesPerJob)}; ` +
      `a page of 25 ${round(inputs.readUnitsPerListPage)} RRU; a summary ${round(inputs.summaryReadUnitsPer100Jobs)} RRU per 100 jobs counted + ${round(inputs.summaryReadUnitsPerActiveJob)} per active job`,
    "",
    `${"service".padEnd(width)}  ${"usage".padEnd(usageWidth)}  ${"list USD".padStart(10)}  ${"billed USD".padStart(10)}`,
    ...lines.map((line) => `${line.service.padEnd(width)}  ${line.usage.padEnd(usageWidth)}  ${line.list.toFixed(2).padStart(10)}  ${line.billed.toFixed(2).padStart(10)}`),
    `${"total".padEnd(width)}  ${"".padEnd(usageWidth)}  ${list.toFixed(2).padStart(10)}  ${billed.toFixed(2).padStart(10)}`,
    "",
    ...(bulk?.comparison ?? []),
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
  const names: WatchedResources = { functions: { api: "api", worker: "worker", sweeper: "sweeper" }, queue: "queue", deadLetterQueue: "dlq", table: "table", apiId: "api-id", ...(config.schedules.length > 0 && { scheduleDeadLetterQueue: "schedule-dlq" }) };
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

/**
 * What a job submitted in a batch costs, as the batch row measured it (`batch` in
 * `bench/results.json`: API requests and `SendMessageBatch` per job, its log bytes with the status
 * reads' records added), or the route's floor (100 jobs a request, 10 to a `SendMessageBatch`).
 */
export function batchCallsPerJob(results: Pick<BenchResults, "logBytes"> & { batch?: BatchResults } | undefined, statusReadsPerJob: number): { calls: BatchCalls; measured: boolean } {
  const batch = results?.batch;
  if (!results || !batch) return { calls: FLOOR_BATCH_CALLS, measured: false };
  return {
    calls: {
      apiRequestsPerJob: batch.apiRequestsPerJob,
      SendMessageBatch: batch.callsPerJob.SendMessageBatch ?? FLOOR_BATCH_CALLS.SendMessageBatch,
      logBytesPerJob: batch.logBytesPerJob + statusReadsPerJob * results.logBytes.perStatusRead,
    },
    measured: true,
  };
}

/** The bulk producer's header (how its jobs are submitted) and its bill against the same jobs each submitted alone. */
function bulkProducerLines(inputs: CostInputs, lines: CostLine[], results: BenchResults | undefined): { header: string[]; comparison: string[] } {
  const share = inputs.batchShare ?? 0;
  const calls = inputs.batchCalls ?? FLOOR_BATCH_CALLS;
  const { measured } = batchCallsPerJob(results, inputs.statusReadsPerJob);
  const single = { ...inputs, batchShare: 0 };
  const [now, alone] = [monthlyUsage(inputs), monthlyUsage(single)];
  const [bill, aloneBill] = [totals(lines), totals(monthlyCost(single))];
  const change = (label: string, before: number, after: number) => `${label} ${fmtCount(before)} → ${fmtCount(after)}`;
  return {
    header: [
      `bulk producer: ${(share * 100).toFixed(0)}% of the jobs by POST /jobs/batch of 100, the rest one POST /jobs each; per batched job ${measured ? "measured (bench/results.json batch)" : "the route's floor (no batch results)"}: ` +
        `API requests ${round(calls.apiRequestsPerJob)}, SendMessageBatch ${round(calls.SendMessageBatch)} in place of SendMessage ${round(inputs.calls.SendMessage)}` +
        `${calls.logBytesPerJob === undefined ? "" : `, ${calls.logBytesPerJob} B of records`}; status reads per job unchanged; ` +
        `a batch request bills ${inputs.apiBatchBilledMs} ms, each SendMessageBatch one SQS request per 64 KB (${inputs.sqsMessageBytes} B a message)`,
    ],
    comparison: [
      `against the same jobs each submitted alone (--batch-share 0): ${change("API requests", alone.apiRequests, now.apiRequests)}, ${change("Lambda invocations", alone.lambdaRequests, now.lambdaRequests)}, ` +
        `${change("SQS requests", alone.sqsRequests, now.sqsRequests)} (sends ${fmtCount(alone.sqsSendRequests)} → ${fmtCount(now.sqsSendRequests)}); ` +
        `total $${aloneBill.list.toFixed(2)} → $${bill.list.toFixed(2)} list, $${aloneBill.billed.toFixed(2)} → $${bill.billed.toFixed(2)} billed`,
    ],
  };
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
