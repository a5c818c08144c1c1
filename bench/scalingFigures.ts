import { AWS_LIMITS } from "./awsLimits";
import { fastBatchSeconds, jobsPerSecPerShard, MAX_SWEEP_SHARDS, MULTIPLIERS, recommend, recommendShards, requestsPerJob, SCALING_ASSUMPTIONS, sweeperPlan, todayJobsPerSec, type Level } from "./capacity";
import { approx, num, pct, usd, volume } from "./format";
import { JOB_TABLE } from "../handlers/settings";
import { PRICES } from "./prices";
import { at, type ScalingContext } from "./scalingContext";

/** `docs/SCALING.md`'s figures outside section 6 (`bench/saturationFigures.ts`). */
export function scalingFigures(context: ScalingContext): Record<string, string> {
  const { results, config } = context;
  const best = results.throughput.reduce((a, b) => (b.jobsPerSec > a.jobsPerSec ? b : a));
  const top = at(context, 1_000).level;
  return {
    "measured-throughput": `the local stack's best run, ${num(best.jobsPerSec, 1)} jobs/s with ${best.clients} clients, was ${pct(best.shareOfCeiling)} of the emulators' own ceiling of ${num(results.ceiling.jobsPerSec, 1)} jobs/s on ${results.machine.cpus} × ${results.machine.cpuModel}; that is a property of dynalite, local-aws-sqs and the machine, and says nothing about DynamoDB or SQS.`,
    "per-job": perJobTable(context),
    "per-job.polls": String(results.pollsPerJob),
    "aws-assumptions": assumptions(context),
    "todays-load": todaysLoad(context),
    "stage-throttle": `${num(config.apiThrottleRateLimit)} rps, burst ${num(config.apiThrottleBurstLimit)}`,
    "platform-log-bytes": `${num(context.capacity.cost.platformLogBytesPerInvocation)} B`,
    levels: levelsTable(context),
    monthly: monthlyTable(context),
    "api-tiers": apiTiers(context),
    shards: shardsTable(context),
    "shards.rule-1000": `${num(Math.ceil((4 * top.jobsPerSec) / 1000))}, so set ${recommendShards(context.capacity, top)}`,
    "shards.cost-max": shardQueryCost(MAX_SWEEP_SHARDS),
    "shards.max-jobs": `about ${num((MAX_SWEEP_SHARDS * AWS_LIMITS.partitionWriteUnits) / 4)} jobs/s`,
    settings: settingsTable(context),
  };
}

function perJobTable(context: ScalingContext): string {
  const { results, capacity } = context;
  const { cost } = capacity;
  const requests = requestsPerJob(capacity);
  const systemReads = Math.max(0, (results.callsPerJob.GetItem ?? 0) - results.statusReadsInCallsPhase);
  const perBatch = 1 / (results.callsPerJob.DeleteMessageBatch ?? 1);
  return [
    "| Per job | Count | Where it comes from |",
    "|---|---|---|",
    `| HTTP requests | **${requests}**: 1 \`POST /jobs\` + ${cost.statusReadsPerJob} \`GET /jobs/{id}\` | \`pollsPerJob\` = ${results.pollsPerJob} (measured: the real page polls a job that finishes in about 1 s) |`,
    `| CloudFront requests | ${requests}, the same requests | the page calls the API through the site's own distribution (same origin: the route table's paths go to API Gateway as a second origin, caching disabled) |`,
    `| api Lambda invocations | ${requests} | one per request (\`infra/httpApi.ts\`: one AWS_PROXY integration) |`,
    `| DynamoDB table writes | ${cost.calls.PutItem + cost.calls.UpdateItem} WRU: \`PutItem\`, claim \`UpdateItem\`, commit \`UpdateItem\` | \`callsPerJob\` (measured: PutItem ${results.callsPerJob.PutItem}, UpdateItem ${results.callsPerJob.UpdateItem}); 1 WRU each while the item is ≤ 1 KB [11] |`,
    indexWritesRow(context),
    `| DynamoDB reads | ${cost.statusReadsPerJob} RRU (strongly consistent \`GetItem\` ≤ 4 KB, one per status read) | the site's polling; ${systemReads === 0 ? "the system itself read nothing (measured)" : `the system itself read ${num(systemReads, 3)} per job (measured)`} |`,
    `| SQS calls | ${cost.calls.SendMessage} \`SendMessage\` + ${num(1 / capacity.config.batchSize, 2)} \`ReceiveMessage\` and ${num(1 / capacity.config.batchSize, 2)} \`DeleteMessageBatch\` (full batches of ${capacity.config.batchSize}) | measured ${results.callsPerJob.ReceiveMessage} / ${results.callsPerJob.DeleteMessageBatch} locally, about ${num(perBatch, 1)} records per batch |`,
    `| Logs | ${num(cost.logBytesPerJob)} B per job + ${num(cost.platformLogBytesPerInvocation)} B per invocation (Lambda's \`platform.start\` and \`platform.report\`) | the job's own records and its status reads' request records measured by \`npm run bench\` (\`logBytes\` in \`bench/results.json\`); the platform records' size from the JSON shapes AWS documents [21], [22] |`,
  ].join("\n");
}

/** The per-job table's index row: the listing phase's measured writes by index, or the design's when it has not run. */
function indexWritesRow({ results, capacity }: ScalingContext): string {
  const succeeded = results.listing?.indexWrites.find((row) => row.scenario === "succeeded");
  const rule = "a changed index key is a delete plus a put [17]";
  if (!succeeded) {
    return `| Index (GSI) writes | ${num(capacity.cost.indexWritesPerJob, 2)} WRU (the design's: the sweep index in and out, each listing index in once) | not measured yet (\`bench/listing.ts\`); ${rule} |`;
  }
  const by = (name: string) => num(succeeded.byIndex[name] ?? 0, 2);
  const retried = results.listing!.indexWrites.find((row) => row.scenario === "retried attempt");
  const explicit = results.listing!.indexWrites.find((row) => row.scenario === "explicit retry");
  return (
    `| Index (GSI) writes | ${num(succeeded.total, 2)} WRU: \`${JOB_TABLE.sweepIndex.name}\` ${by(JOB_TABLE.sweepIndex.name)} (enter on \`PutItem\`, leave on the terminal commit or a cancel), ` +
    `\`${JOB_TABLE.listIndex.name}\` ${by(JOB_TABLE.listIndex.name)} (the put), \`${JOB_TABLE.doneIndex.name}\` ${by(JOB_TABLE.doneIndex.name)} (the terminal commit) | ` +
    `measured (\`listing\` in \`bench/results.json\`: each write's item before and after, DynamoDB's GSI write rules); the claim changes no index key or projected attribute, so it writes none.` +
    `${retried ? ` A retried attempt costs ${num(retried.total - succeeded.total, 2)} more (\`sweepAt\` moves)` : ""}${explicit ? `, an explicit retry ${num(explicit.total, 2)} more` : ""}, a sweeper deferral 2: ${rule} |`
  );
}

function assumptions({ capacity }: ScalingContext): string {
  const { cost, config } = capacity;
  return [
    "Assumptions for AWS (estimates, not measured; `ASSUMPTIONS` in `bench/costModel.ts`, `SCALING_ASSUMPTIONS` in",
    `\`bench/capacity.ts\`): the api function takes **${num(cost.apiBilledMs)} ms** per request on average (a submit is \`PutItem\` + \`SendMessage\`, a`,
    `status read is one \`GetItem\`). A worker batch of ${config.batchSize} fast jobs (\`text.transform\`, \`hash.digest\`) takes **${num(fastBatchSeconds(capacity), 2)} s**; this is the`,
    `cost model's ${num(cost.workerBilledMsPerBatch)} ms per batch plus ${num(cost.workerBilledMsPerRecord)} ms per record, and it overestimates, because a batch's records run`,
    `concurrently. A batch of ${config.batchSize} one-second jobs (\`demo.unreliable\` with \`sleepMs\` 1000) takes about **${num(SCALING_ASSUMPTIONS.slowBatchSeconds, 1)} s**. Items`,
    `are ${num(cost.itemBytes)} B; an API response is ${num(cost.apiResponseBytes)} B on average.`,
  ].join("\n");
}

function todaysLoad(context: ScalingContext): string {
  const { capacity, config, defaults } = context;
  const requests = requestsPerJob(capacity);
  const today = todayJobsPerSec(capacity);
  const readsRoute = config.apiThrottleRateLimit / capacity.cost.statusReadsPerJob;
  const setting = (key: keyof typeof config) => `\`${key}\` ${String(config[key])}${config[key] !== defaults[key] ? ` (the default is ${String(defaults[key])})` : ""}`;
  const monthAtPeak = today * 30 * 24 * 3600;
  const top = at(context, 1_000).bill;
  return [
    `- **Today's peak = ${num(today, 1)} jobs/s.** The dev stack's API stage admits \`apiThrottleRateLimit\` ${num(config.apiThrottleRateLimit)} requests/s`,
    `  (burst ${num(config.apiThrottleBurstLimit)}), and one job costs ${requests} requests, so ${num(config.apiThrottleRateLimit)} rps ÷ ${requests} = ${num(today, 1)} jobs/s. This is the most the stack`,
    "  is configured to take today. API Gateway treats stage and route throttles as best-effort targets [2].",
    "  Its throttling page does not say whether `defaultRouteSettings` is one bucket for the whole stage",
    `  or one per route. If it is per route, the \`GET /jobs/{jobId}\` route (${capacity.cost.statusReadsPerJob} reads per job) fills first,`,
    `  at ${num(readsRoute, 1)} jobs/s, which is the same order.`,
    `- **Today's volume = ${volume(at(context, 1).level.jobsPerMonth)} jobs a month**, the README's reference point for cost.`,
    "- **Today's dev stack** (`Pulumi.dev.yaml` over the `Pulumi.yaml` defaults):",
    `  - ${setting("maxConcurrency")};`,
    `  - ${setting("batchSize")}, ${setting("maxBatchingWindowSeconds")};`,
    `  - ${setting("sweepShards")}, ${setting("sweepMaxJobsPerRun")};`,
    `  - ${setting("lambdaMemoryMb")} on arm64;`,
    `  - a new AWS account in ${PRICES.region} with default quotas.`,
    "",
    `Each level multiplies both numbers. To move between them: ${num(today, 1)} jobs/s held for a whole month is`,
    `${volume(Math.round(monthAtPeak / 1e6) * 1e6)} jobs, and at scale the bill is about **${usd((top.billed / at(context, 1_000).level.jobsPerMonth) * 1e6, 1)} per million jobs**.`,
  ].join("\n");
}

const HEADER = (label: string) => `| ${label} | ${MULTIPLIERS.map((m) => (m === 1 ? "today" : `${num(m)}×`)).join(" | ")} |`;
const RULE = `|---|${MULTIPLIERS.map(() => "---").join("|")}|`;

/**
 * One row of the levels table. The value is bold where it first passes `limit`: the level at which
 * that limit saturates; `note` adds what it is measured against.
 */
function row(label: string, levels: readonly Level[], value: (at: Level) => number, render: (value: number, at: Level) => string, limit?: number, note?: (value: number, first: boolean) => string): string {
  const first = limit === undefined ? -1 : levels.findIndex((at) => value(at) > limit);
  const cell = (at: Level, index: number) => {
    const text = render(value(at), at);
    return `${index === first ? `**${text}**` : text}${note ? note(value(at), index === first) : ""}`;
  };
  return `| ${label} | ${levels.map(cell).join(" | ")} |`;
}

function levelsTable({ capacity, levels }: ScalingContext): string {
  const { config, cost } = capacity;
  const fast = fastBatchSeconds(capacity);
  const cap = (value: number, first: boolean) =>
    value > AWS_LIMITS.mappingMaxConcurrency ? ` (> ${num(AWS_LIMITS.mappingMaxConcurrency)} cap)` : first ? ` (dev cap ${config.maxConcurrency})` : "";
  // The share of the largest limit the value reaches half of, if any.
  const against = (value: number, limits: [number, string][]) => {
    const reached = limits.filter(([limit]) => value >= limit / 2).at(-1);
    return reached ? `${approx(value)} (${pct(value / reached[0])} of ${reached[1]})` : approx(value);
  };
  const last = levels.at(-1)!;
  return [
    `Compute is \`rps × ${num(cost.apiBilledMs / 1000, 3)} s\` for the api function. For the worker it is \`jobs/s ÷ ${config.batchSize} × batch duration\`,`,
    "with full batches under load.",
    "",
    HEADER("Peak"),
    RULE,
    row("jobs/s", levels, (at) => at.jobsPerSec, (value) => num(value, 1)),
    row(`API requests/s (${requestsPerJob(capacity)} per job), each also a CloudFront request`, levels, (at) => at.apiRps, (value) => num(value)),
    row(`… share of the ${num(config.apiThrottleRateLimit)} rps stage throttle`, levels, (at) => at.stageShare, pct, 1),
    row(`… share of the ${num(AWS_LIMITS.apiAccountRps)} rps account quota`, levels, (at) => at.accountShare, pct, 1),
    row("api Lambda concurrency", levels, (at) => at.apiConcurrency, approx),
    row(`worker concurrency, fast jobs (${num(fast, 2)} s/batch)`, levels, (at) => at.workerFast, approx, config.maxConcurrency, cap),
    row(`worker concurrency, 1-s jobs (${num(SCALING_ASSUMPTIONS.slowBatchSeconds, 1)} s/batch)`, levels, (at) => at.workerSlow, approx, config.maxConcurrency, cap),
    row(`Lambda total vs ${num(AWS_LIMITS.lambdaConcurrency)} per account`, levels, (at) => at.apiConcurrency + at.workerSlow, (value, at) => `${approx(at.apiConcurrency + at.workerFast)}–${approx(value)}`, AWS_LIMITS.lambdaConcurrency),
    row(`SQS calls/s (${num(last.sqsCallsPerSec / last.jobsPerSec, 1)} per job)`, levels, (at) => at.sqsCallsPerSec, approx),
    row(`SQS in flight (worker concurrency × ${config.batchSize})`, levels, (at) => at.sqsInFlight, (value, at) => `≤ ${approx(value)}${at === last ? ` of ~${num(AWS_LIMITS.sqsInFlight)}` : ""}`),
    row(`table WRU/s (${num(last.tableWru / last.jobsPerSec)} per job)`, levels, (at) => at.tableWru, (value) => against(value, [[AWS_LIMITS.newTableWarmWrites, `a new table's ${num(AWS_LIMITS.newTableWarmWrites)}`], [AWS_LIMITS.tableOnDemandMax, num(AWS_LIMITS.tableOnDemandMax)]])),
    row(`table RRU/s (${num(last.tableRru / last.jobsPerSec)} per job)`, levels, (at) => at.tableRru, (value) => against(value, [[AWS_LIMITS.newTableWarmReads, `a new table's ${num(AWS_LIMITS.newTableWarmReads)}`], [AWS_LIMITS.tableOnDemandMax, num(AWS_LIMITS.tableOnDemandMax)]])),
    row(`GSI WRU/s, all shards (${num(last.gsiWru / last.jobsPerSec)} per job)`, levels, (at) => at.gsiWru, approx),
    row(`GSI WRU/s per shard, \`sweepShards\` ${config.sweepShards}`, levels, (at) => at.gsiWruPerShard, (value) => (value >= AWS_LIMITS.partitionWriteUnits / 2 ? `${approx(value)} (${pct(value / AWS_LIMITS.partitionWriteUnits)})` : approx(value)), AWS_LIMITS.partitionWriteUnits),
  ].join("\n");
}

/** The monthly table's rows: which cost lines each adds up. Every line must land in one row. */
const monthlyRows = ({ capacity: { cost } }: ScalingContext): [string, string[]][] => [
  ["Lambda (requests + compute)", ["Lambda requests", "Lambda compute (arm64)"]],
  ["API Gateway HTTP API", ["API Gateway HTTP API"]],
  ["CloudFront (page + API, same origin)", ["CloudFront (page + API)"]],
  ["SQS", ["SQS"]],
  [`DynamoDB writes (${num(cost.calls.PutItem + cost.calls.UpdateItem, 2)} table + ${num(cost.indexWritesPerJob, 2)} index WRU per job)`, ["DynamoDB writes"]],
  ["DynamoDB reads + storage + PITR", ["DynamoDB reads", "DynamoDB storage", "DynamoDB PITR"]],
  ["DynamoDB reads of `GET /jobs` and summaries", ["DynamoDB reads (listing)"]],
  ["CloudWatch Logs", ["CloudWatch Logs"]],
  ["CloudWatch custom metrics, dashboard, alarms", ["CloudWatch custom metrics", "CloudWatch dashboard", "CloudWatch alarms"]],
  ["S3, budget, KMS (id secret key)", ["S3 (site files)", "AWS Budgets", "KMS (id secret key)"]],
];

function monthlyTable(context: ScalingContext): string {
  const { bills, levels } = context;
  const MONTHLY_ROWS = monthlyRows(context);
  const services = bills[0]!.lines.map((line) => line.service);
  const unplaced = services.filter((service) => !MONTHLY_ROWS.some(([, members]) => members.includes(service)));
  if (unplaced.length > 0) throw new Error(`bench/scalingFigures.ts: MONTHLY_ROWS places no row for ${unplaced.join(", ")}`);
  const sum = (index: number, members: string[]) => bills[index]!.lines.filter((line) => members.includes(line.service)).reduce((total, line) => total + line.billed, 0);
  return [
    `| Month (\`npm run cost -- --jobs-per-month N\`, after always-free tiers) | ${levels.map((at) => volume(at.jobsPerMonth)).join(" | ")} |`,
    RULE,
    ...MONTHLY_ROWS.map(([label, members]) => `| ${label} | ${levels.map((_, index) => usd(sum(index, members))).join(" | ")} |`),
    `| **Total (per million jobs)** | ${bills.map((bill, index) => `**${usd(bill.billed)}** (${usd((bill.billed / levels[index]!.jobsPerMonth) * 1e6)})`).join(" | ")} |`,
  ].join("\n");
}

/** API Gateway's volume tiers, as third-party summaries of its pricing page list them [19]. */
const API_TIERS: [upTo: number, perMillion: number][] = [
  [300e6, 1.0],
  [1e9, 0.9],
  [Infinity, 0.8],
];

function apiTiers(context: ScalingContext): string {
  const top = at(context, 1_000);
  const requests = top.level.jobsPerMonth * requestsPerJob(context.capacity);
  let tiered = 0;
  let from = 0;
  for (const [upTo, perMillion] of API_TIERS) {
    tiered += (Math.max(0, Math.min(requests, upTo) - from) / 1e6) * perMillion;
    from = upTo;
  }
  const flat = (requests / 1e6) * PRICES.apiGatewayHttp.perMillionRequests;
  return [
    `The cost model charges every HTTP API request at $${PRICES.apiGatewayHttp.perMillionRequests.toFixed(2)} per million. Third-party summaries of the`,
    "pricing page [19] list $0.90 per million past 300 M requests a month and $0.80 past 1 B, which would",
    `bring ${volume(top.level.jobsPerMonth)} jobs (${volume(requests)} requests) to about ${usd(Math.round(tiered / 10) * 10, 0)} instead of ${usd(flat, 0)}.`,
  ].join("\n");
}

function shardsTable({ levels, capacity }: ScalingContext): string {
  const shards = [capacity.config.sweepShards, 8, 16, 32, MAX_SWEEP_SHARDS].filter((value, index, all) => all.indexOf(value) === index).sort((a, b) => a - b);
  const today = levels[0]!.jobsPerSec;
  return [
    `| \`sweepShards\` | ${shards.map((count) => (count === capacity.config.sweepShards ? `${count} (dev)` : count === MAX_SWEEP_SHARDS ? `${count} (max)` : String(count))).join(" | ")} |`,
    `|---|${shards.map(() => "---").join("|")}|`,
    `| jobs/s at ${num(AWS_LIMITS.partitionWriteUnits)} WU/s per shard | ${shards.map((count) => `${num(count * jobsPerSecPerShard())}${count === capacity.config.sweepShards ? ` (${num(Math.round((count * jobsPerSecPerShard()) / today))}× today)` : ""}`).join(" | ")} |`,
  ].join("\n");
}

function shardQueryCost(shards: number): string {
  // The sweeper queries each shard once a run; an empty or small page costs half a read unit.
  const readUnits = ((30 * 24 * 3600) / 60) * shards * 0.5;
  return `about ${volume(readUnits)} RRU a month, ${usd((readUnits / 1e6) * PRICES.dynamodb.perMillionReadUnits)}`;
}

function settingsTable(context: ScalingContext): string {
  const { config, defaults } = context;
  const [ten, hundred, thousand] = [10, 100, 1_000].map((m) => at(context, m as 10 | 100 | 1_000).level);
  const rate = (l: Level) => recommend(l.apiRps);
  const burst = (l: Level) => Math.min(2 * rate(l), AWS_LIMITS.apiAccountBurst);
  const throttle = (l: Level) => (l.apiRps > AWS_LIMITS.apiAccountRps ? "account quota first" : `${num(rate(l))}/${num(burst(l))}`);
  // What a level needs over the dev cap, for fast jobs and for one-second jobs; "—" when the cap holds.
  const workers = (l: Level) => {
    const fast = l.workerFast > config.maxConcurrency ? recommend(l.workerFast) : undefined;
    const slow = l.workerSlow > config.maxConcurrency ? Math.min(recommend(l.workerSlow), AWS_LIMITS.mappingMaxConcurrency) : undefined;
    if (fast === undefined && slow === undefined) return "—";
    return fast !== undefined && slow !== undefined && fast !== slow ? `${num(fast)}–${num(slow)}` : num((slow ?? fast)!);
  };
  const shards = (l: Level) => String(recommendShards(context.capacity, l));
  return [
    `| Setting | Today (dev) | What it moves | ${num(10)}× / ${num(100)}× / ${num(1_000)}× |`,
    "|---|---|---|---|",
    `| \`apiThrottleRateLimit\` / \`apiThrottleBurstLimit\` | ${num(config.apiThrottleRateLimit)} / ${num(config.apiThrottleBurstLimit)} | requests admitted (section 2) | ${throttle(ten!)} · ${throttle(hundred!)} · ${throttle(thousand!)} |`,
    `| \`maxConcurrency\` | ${config.maxConcurrency} | worker throughput = \`maxConcurrency × batchSize ÷ batch s\` | ${workers(ten!)} · ${workers(hundred!)} · ${workers(thousand!)} (≤ ${num(AWS_LIMITS.mappingMaxConcurrency)}) |`,
    `| \`batchSize\` + \`maxBatchingWindowSeconds\` | ${config.batchSize} + ${config.maxBatchingWindowSeconds} | records per invocation (over 10 needs a window ≥ 1 s) | — · — · 50 + 1 for slow jobs |`,
    `| \`sweepShards\` | ${config.sweepShards} | GSI WU/s per partition = 2 × jobs/s ÷ shards | ${shards(ten!)} · ${shards(hundred!)} · ${shards(thousand!)} |`,
    `| \`sweepMaxJobsPerRun\` | ${num(config.sweepMaxJobsPerRun)} | repairs per minute after an outage | ${[ten!, hundred!, thousand!].map((l) => sweeperPlan(context.capacity, l).recommended).map((value) => (value === undefined ? "—" : num(value))).join(" · ")} |`,
    `| \`maxBodyBytes\` | ${num(config.maxBodyBytes)} | WRU per write once items pass 1 KB | keep items ≤ 1 KB |`,
    `| \`lambdaMemoryMb\` | ${config.lambdaMemoryMb}${config.lambdaMemoryMb !== defaults.lambdaMemoryMb ? ` (default ${defaults.lambdaMemoryMb})` : ""} | CPU, and so duration, of every function | raise for CPU-bound job types |`,
    "| AWS quota requests | — | API Gateway rps, Lambda concurrency, DynamoDB per-table throughput | none · check Lambda's · all three |",
    "| Code changes (no config key today) | — | `warmThroughput`, `provisionedPollerConfig`, `reservedConcurrentExecutions`, application log level, more than 64 shards | none · pre-warm · all |",
  ].join("\n");
}
