import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { load } from "js-yaml";
import * as v from "valibot";
import { parseConfig } from "../infra/config";
import { ASSUMPTIONS, FLOOR_CALLS_PER_JOB, monthlyCost, type CallsPerJob, type CostInputs } from "./costModel";
import { PRICES } from "./prices";

/**
 * `npm run cost -- --jobs-per-month N [--stack dev]`: the monthly AWS cost of a stack, per
 * service, from its config (`Pulumi.<stack>.yaml` over the defaults), the calls per job that
 * `npm run bench` measured (`bench/results.json`; the protocol's floor when absent) and list prices.
 */
const root = join(__dirname, "..");
const { values } = parseArgs({
  options: {
    "jobs-per-month": { type: "string", default: "1000000" },
    stack: { type: "string", default: "dev" },
    "page-views": { type: "string", default: "10000" },
  },
});
const jobsPerMonth = Number(values["jobs-per-month"]);
if (!Number.isFinite(jobsPerMonth) || jobsPerMonth < 0) {
  console.error(`--jobs-per-month must be a non-negative number, not ${values["jobs-per-month"]}`);
  process.exit(2);
}

const config = parseConfig(stackConfig(values.stack!));
const { calls, statusReadsPerJob, source } = callsPerJob();
const inputs: CostInputs = {
  jobsPerMonth,
  calls,
  statusReadsPerJob,
  lambdaMemoryMb: config.lambdaMemoryMb,
  batchSize: config.batchSize,
  retentionDays: config.retentionDays,
  pointInTimeRecovery: config.pointInTimeRecovery,
  logRetentionDays: config.logRetentionDays,
  sweepShards: config.sweepShards,
  alertEmail: config.alertEmailOrNone !== undefined,
  ...ASSUMPTIONS,
  pageViewsPerMonth: Number(values["page-views"]),
};

const lines = monthlyCost(inputs);
const list = lines.reduce((sum, line) => sum + line.list, 0);
const billed = lines.reduce((sum, line) => sum + line.billed, 0);
const width = Math.max(...lines.map((line) => line.service.length));
const usageWidth = Math.max(...lines.map((line) => line.usage.length));
console.log(`CloudQueue stack "${values.stack}", ${jobsPerMonth.toLocaleString("en-US")} jobs a month — ${PRICES.region}, ${PRICES.asOf}`);
console.log(`calls per job: ${source}: ${Object.entries(calls).map(([op, count]) => `${op} ${round(count)}`).join(", ")}; status reads per job ${statusReadsPerJob} (the site's polling)`);
console.log("");
console.log(`${"service".padEnd(width)}  ${"usage".padEnd(usageWidth)}  ${"list USD".padStart(10)}  ${"billed USD".padStart(10)}`);
for (const line of lines) {
  console.log(`${line.service.padEnd(width)}  ${line.usage.padEnd(usageWidth)}  ${line.list.toFixed(2).padStart(10)}  ${line.billed.toFixed(2).padStart(10)}`);
}
console.log(`${"total".padEnd(width)}  ${"".padEnd(usageWidth)}  ${list.toFixed(2).padStart(10)}  ${billed.toFixed(2).padStart(10)}`);
console.log("");
console.log(`always-free tiers cover ${list > 0 ? ((1 - billed / list) * 100).toFixed(0) : "100"}% of the list price; per million jobs after free tiers: $${jobsPerMonth > 0 ? ((billed / jobsPerMonth) * 1e6).toFixed(2) : "0.00"}`);
console.log(`API Gateway's 12-month free tier (1 M requests) would take another $${Math.min(1, (jobsPerMonth * (1 + statusReadsPerJob)) / 1e6).toFixed(2)} off in a new account's first year.`);
console.log(
  `assumptions: billed ms api ${inputs.apiBilledMs}, worker ${inputs.workerBilledMsPerBatch}/batch + ${inputs.workerBilledMsPerRecord}/record, sweeper ${inputs.sweeperBilledMs}; item ${inputs.itemBytes} B; ` +
    `batches ${inputs.batchFill * 100}% full; logs ${inputs.logBytesPerInvocation} B/invocation + ${inputs.logBytesPerJob} B/job`,
);

function stackConfig(stack: string): Record<string, unknown> {
  const file = join(root, `Pulumi.${stack}.yaml`);
  if (!existsSync(file)) return {};
  const parsed = v.safeParse(v.object({ config: v.optional(v.record(v.string(), v.unknown()), () => ({})) }), load(readFileSync(file, "utf8")) ?? {});
  if (!parsed.success) throw new Error(`${file} has no readable config map`);
  return Object.fromEntries(
    Object.entries(parsed.output.config)
      .filter(([key]) => key.startsWith("cloudqueue:"))
      .map(([key, value]) => [key.slice("cloudqueue:".length), value]),
  );
}

function callsPerJob(): { calls: CallsPerJob; statusReadsPerJob: number; source: string } {
  const file = join(root, "bench", "results.json");
  if (existsSync(file)) {
    const measured = v.safeParse(
      v.object({ callsPerJob: v.record(v.string(), v.number()), statusReadsInCallsPhase: v.number(), pollsPerJob: v.number() }),
      JSON.parse(readFileSync(file, "utf8")),
    );
    if (measured.success) {
      const { callsPerJob, statusReadsInCallsPhase, pollsPerJob } = measured.output;
      // The benchmark read each job's status a known number of times; the rest are the system's own reads.
      const calls = { ...FLOOR_CALLS_PER_JOB, ...callsPerJob, GetItem: Math.max(0, (callsPerJob.GetItem ?? 0) - statusReadsInCallsPhase) };
      return { calls, statusReadsPerJob: pollsPerJob, source: "measured (bench/results.json)" };
    }
  }
  return { calls: FLOOR_CALLS_PER_JOB, statusReadsPerJob: 4, source: "protocol floor (no bench/results.json)" };
}

function round(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}
