import { AWS_LIMITS } from "./awsLimits";
import { fastBatchSeconds, recommend, recommendShards, requestsPerJob, SCALING_ASSUMPTIONS, SWEEPER_PARALLELISM, sweeperPlan, type Level } from "./capacity";
import { monthlyCost, monthlyUsage } from "./costModel";
import { PRICES } from "./prices";
import { about, approx, num, pct, usd, volume } from "./format";
import { at, type ScalingContext } from "./scalingContext";

/** `docs/SCALING.md` section 6: what saturates first at each level, and the setting that moves it. */
export function saturationFigures(context: ScalingContext): Record<string, string> {
  return {
    "saturation-10": tenfold(context),
    "saturation-100": hundredfold(context),
    "saturation-1000": thousandfold(context),
    "saturation-bill": billShares(context),
  };
}

function heading(context: ScalingContext, multiplier: 10 | 100 | 1_000): string {
  const { level, bill } = at(context, multiplier);
  return `### ${num(multiplier)}×: ${num(level.jobsPerSec)} jobs/s, ${num(level.apiRps)} rps, ${volume(level.jobsPerMonth)} jobs a month, about ${usd(bill.billed, 0)} a month`;
}

const numbered = (items: (string | undefined)[]) => items.filter((item): item is string => item !== undefined).map((item, index) => `${index + 1}. ${item}`);
const perJobPerSec = (level: Level, value: number) => value / level.jobsPerSec;

function throttleFix(level: Level): { rate: number; burst: number } {
  const rate = recommend(level.apiRps);
  return { rate, burst: Math.min(2 * rate, AWS_LIMITS.apiAccountBurst) };
}

function tenfold(context: ScalingContext): string {
  const { capacity } = context;
  const { config } = capacity;
  const { level } = at(context, 10);
  const fast = fastBatchSeconds(capacity);
  const clearsFast = (config.maxConcurrency * config.batchSize) / fast;
  const clearsSlow = (config.maxConcurrency * config.batchSize) / SCALING_ASSUMPTIONS.slowBatchSeconds;
  const { rate, burst } = throttleFix(level);
  const rest: [string, number][] = [
    ["the account's API quota", level.accountShare],
    ["Lambda's account concurrency", (level.apiConcurrency + level.workerSlow) / AWS_LIMITS.lambdaConcurrency],
    ["table writes against a new table's warm throughput", level.tableWru / AWS_LIMITS.newTableWarmWrites],
    ["table reads against a new table's warm throughput", level.tableRru / AWS_LIMITS.newTableWarmReads],
    ["each sweep-index shard's partition", level.gsiWruPerShard / AWS_LIMITS.partitionWriteUnits],
    ["SQS messages in flight", level.sqsInFlight / AWS_LIMITS.sqsInFlight],
    ...(level.workerSlow > config.maxConcurrency ? ([["fast jobs' worker concurrency against the dev cap", level.workerFast / config.maxConcurrency]] as [string, number][]) : []),
  ];
  const [worstName, worstShare] = rest.reduce((a, b) => (b[1] > a[1] ? b : a));
  return [
    heading(context, 10),
    ...numbered([
      level.stageShare > 1
        ? [
            `**The stage throttle** (${num(config.apiThrottleRateLimit)} rps): ${pct(1 - 1 / level.stageShare)} of requests get \`429\`. A throttled \`POST\` stores nothing,`,
            "   so it is safe, but the site does not retry it. Fix:",
            `   \`pulumi config set apiThrottleRateLimit ${rate} && pulumi config set apiThrottleBurstLimit ${burst}\``,
            `   (rule: ${requestsPerJob(capacity)} requests × peak jobs/s × ${SCALING_ASSUMPTIONS.headroom}, rounded up; the burst twice that, at most the account's ${num(AWS_LIMITS.apiAccountBurst)}).`,
          ].join("\n")
        : undefined,
      level.workerSlow > config.maxConcurrency
        ? [
            `**Worker \`maxConcurrency\`, if jobs are slow.** The dev cap of ${config.maxConcurrency} clears ${config.maxConcurrency} × ${config.batchSize} / ${num(fast, 2)} s ≈ ${about(clearsFast)} fast`,
            `   jobs/s, but only ≈ ${about(clearsSlow)} one-second jobs/s. The queue then grows by about ${about(level.jobsPerSec - clearsSlow)} jobs/s; nothing is lost,`,
            `   and latency grows (watch \`ApproximateAgeOfOldestMessage\`). Fix: \`pulumi config set maxConcurrency ${recommend(level.workerSlow)}\`.`,
          ].join("\n")
        : undefined,
      `Everything else stays at or under ${pct(worstShare)} of its limit (${worstName}).`,
    ]),
  ].join("\n");
}

function hundredfold(context: ScalingContext): string {
  const { capacity } = context;
  const { config } = capacity;
  const { level } = at(context, 100);
  const fast = fastBatchSeconds(capacity);
  const sweeper = sweeperPlan(capacity, level);
  const slowSetting = Math.min(recommend(level.workerSlow), AWS_LIMITS.mappingMaxConcurrency);
  const minutesToScale = level.workerSlow / AWS_LIMITS.mappingScaleUpPerMinute;
  const warmShare = level.tableWru / AWS_LIMITS.newTableWarmWrites;
  const shardShare = level.gsiWruPerShard / AWS_LIMITS.partitionWriteUnits;
  return [
    heading(context, 100),
    ...numbered([
      `**Stage throttle**, again: set about ${num(throttleFix(level).rate)} rps. The account's ${num(AWS_LIMITS.apiAccountRps)} rps is now at ${pct(level.accountShare)}.`,
      level.workerFast > config.maxConcurrency || level.workerSlow > config.maxConcurrency
        ? [
            `**Worker concurrency.** Fast jobs need ${approx(level.workerFast)}${level.workerFast > config.maxConcurrency ? `, above the dev cap of ${config.maxConcurrency} (≈ ${about((config.maxConcurrency * config.batchSize) / fast)} jobs/s)` : ""}. One-second jobs`,
            `   need ${approx(level.workerSlow)}. Fix: \`pulumi config set maxConcurrency ${recommend(level.workerFast)}\`, or ${num(slowSetting)} for one-second jobs. The mapping adds`,
            `   ${num(AWS_LIMITS.mappingScaleUpPerMinute)} concurrent invokes a minute [5], so it takes ${minutesToScale <= 1 ? "under a minute" : `about ${Math.ceil(minutesToScale)} minutes`} to get there.`,
          ].join("\n")
        : undefined,
      warmShare >= 0.5
        ? [
            `**DynamoDB warm throughput.** ${approx(level.tableWru)} WRU/s is ${pct(warmShare)} of a new on-demand table's ${num(AWS_LIMITS.newTableWarmWrites)} [13]. A`,
            "   freshly deployed stack hit with this peak throttles while it adapts. The SDK retries, and the",
            "   worker retries commits (`retryUnavailable`), but a throttled submit answers `503` with `Retry-After`. Fix: ramp",
            "   traffic, or pre-warm the table and GSI with `warmThroughput` (code change in `infra/table.ts`).",
          ].join("\n")
        : undefined,
      shardShare >= 0.5
        ? `**GSI shards at ${pct(shardShare)}:** retries and sweeper deferrals eat what is left.\n   \`pulumi config set sweepShards ${recommendShards(capacity, level)}\`.`
        : undefined,
      sweeper.recommended !== undefined
        ? [
            `**Sweeper repair rate.** It repairs at most \`sweepMaxJobsPerRun\` (${num(config.sweepMaxJobsPerRun)}) jobs a minute. A ${num(SCALING_ASSUMPTIONS.outageSeconds / 60)}-minute`,
            `   SQS outage at this rate leaves ${approx(sweeper.backlog)} jobs in the index, which takes ${num(sweeper.clearMinutes / 60, 1)} hours to clear. Fix:`,
            `   \`pulumi config set sweepMaxJobsPerRun ${sweeper.recommended}\`. One run's ceiling is an estimate, not measured: ${SWEEPER_PARALLELISM}`,
            `   parallel repairs × 3 calls at ~${SCALING_ASSUMPTIONS.sweeperCallMs} ms each is ≈ ${about(sweeper.repairsPerSecond)} repairs/s, so about ${about(sweeper.runCeiling)} in the run's timeout.`,
          ].join("\n")
        : undefined,
      `Lambda is at ${approx(level.apiConcurrency + level.workerFast)}–${approx(level.apiConcurrency + level.workerSlow)} of ${num(AWS_LIMITS.lambdaConcurrency)}. Check the account's real quota first: new accounts start lower [3].`,
    ]),
  ].join("\n");
}

function thousandfold(context: ScalingContext): string {
  const { capacity } = context;
  const { config, cost } = capacity;
  const { level, bill } = at(context, 1_000);
  const today = context.levels[0]!.jobsPerSec;
  const apiPerJobPerSec = perJobPerSec(level, level.apiConcurrency);
  const fastPerJobPerSec = perJobPerSec(level, level.workerFast);
  const slowPerJobPerSec = perJobPerSec(level, level.workerSlow);
  const shards = recommendShards(capacity, level);
  const gsiAt = (config.sweepShards * AWS_LIMITS.partitionWriteUnits) / 2;
  const accountAt = AWS_LIMITS.apiAccountRps / requestsPerJob(capacity);
  const lambdaAt = [AWS_LIMITS.lambdaConcurrency / (apiPerJobPerSec + slowPerJobPerSec), AWS_LIMITS.lambdaConcurrency / (apiPerJobPerSec + fastPerJobPerSec)];
  const mappingAt = AWS_LIMITS.mappingMaxConcurrency / slowPerJobPerSec;
  const tableAt = AWS_LIMITS.tableOnDemandMax / Math.max(perJobPerSec(level, level.tableWru), perJobPerSec(level, level.tableRru));
  const times = (jobsPerSec: number) => `${num(Math.round(jobsPerSec / today))}×`;
  const onePollLess = pollSaving(context);
  const logs = bill.lines.find((line) => line.service === "CloudWatch Logs")!;
  const { logGb } = monthlyUsage(bill.inputs);
  const transitionLines = ((level.jobsPerMonth * cost.logBytesPerJob) / 1024 ** 3) * PRICES.cloudwatchLogs.perGbIngested;
  const batched = 50;
  const ordered: [number, string][] = [
    [gsiAt, `**GSI hot shard, at ${num(gsiAt)} jobs/s (${times(gsiAt)}).** Base-table writes throttle through back-pressure\n   (section 5). Fix: \`pulumi config set sweepShards ${shards}\`, which gives ${about(level.gsiWru / shards)} WU/s per shard.`],
    [
      accountAt,
      [
        `**API Gateway account quota, at ${num(accountAt)} jobs/s (${times(accountAt)}).** Request ${num(recommend(level.apiRps))} rps (\`L-8A5B8E43\`) and set`,
        `   \`apiThrottleRateLimit\` to match. Cheaper still is to poll less: each poll per job removed saves`,
        `   ${num(level.jobsPerSec)} rps here and about ${usd(onePollLess)} per million jobs (API Gateway, CloudFront, Lambda, a read, its logs).`,
      ].join("\n"),
    ],
    [
      lambdaAt[0]!,
      [
        `**Lambda account concurrency, at about ${about(lambdaAt[0]!)}–${about(lambdaAt[1]!)} jobs/s (${times(lambdaAt[0]!)}–${times(lambdaAt[1]!)})** (${num(apiPerJobPerSec, 3)} concurrent per job/s for the`,
        `   api function, plus ${num(fastPerJobPerSec, 3)} for the worker with fast jobs or ${num(slowPerJobPerSec, 3)} with one-second jobs). At ${num(1_000)}× the`,
        `   api function needs ${approx(level.apiConcurrency)} and the worker ${approx(level.workerFast)}–${approx(level.workerSlow)}. Request about ${num(recommend(level.apiConcurrency + level.workerSlow))}. Reserved concurrency per function would stop one function from`,
        "   starving the other (code change: `reservedConcurrentExecutions` in `infra/serviceFunction.ts`).",
      ].join("\n"),
    ],
    [
      mappingAt,
      [
        `**Worker \`maxConcurrency\` (at most ${num(AWS_LIMITS.mappingMaxConcurrency)}), at about ${about(mappingAt)} one-second jobs/s (${times(mappingAt)}).** Fast jobs need about ${approx(level.workerFast)}:`,
        `   \`pulumi config set maxConcurrency ${recommend(level.workerFast)}\`. One-second jobs need ${approx(level.workerSlow)}${level.workerSlow > AWS_LIMITS.mappingMaxConcurrency ? ", more than the mapping allows" : ""}.`,
        `   Either put more records in each invocation (\`batchSize ${batched}\` with \`maxBatchingWindowSeconds 1\`,`,
        `   about ${about((level.workerSlow * config.batchSize) / batched)} concurrent for I/O-bound jobs; CPU-bound jobs also need more \`lambdaMemoryMb\`), or`,
        "   switch the mapping to provisioned mode [7] (code change).",
      ].join("\n"),
    ],
    [
      tableAt,
      [
        `**DynamoDB table quota, at about ${about(tableAt)} jobs/s (${times(tableAt)}).** ${approx(level.tableWru)} WRU/s and ${approx(level.tableRru)} RRU/s are ${pct(level.tableWru / AWS_LIMITS.tableOnDemandMax) === pct(level.tableRru / AWS_LIMITS.tableOnDemandMax) ? `each ${pct(level.tableWru / AWS_LIMITS.tableOnDemandMax)}` : `${pct(level.tableWru / AWS_LIMITS.tableOnDemandMax)} and ${pct(level.tableRru / AWS_LIMITS.tableOnDemandMax)}`} of the ${num(AWS_LIMITS.tableOnDemandMax)} per-table`,
        `   on-demand quota [12]: request more. They are also ${num(level.tableWru / AWS_LIMITS.newTableWarmWrites, 1)}× and ${num(level.tableRru / AWS_LIMITS.newTableWarmReads, 1)}× a new table's warm throughput: pre-warm`,
        "   the table and GSI, or ramp over hours (each doubling can take up to 30 minutes [13]).",
      ].join("\n"),
    ],
  ];
  const inFlightBackoff = AWS_LIMITS.sqsInFlight / level.jobsPerSec;
  return [
    heading(context, 1_000),
    `As load climbs from ${num(100)}× towards ${num(1_000)}×, these limits bind in this order (the jobs/s at which each does):`,
    ...numbered([
      ...ordered.sort((a, b) => a[0] - b[0]).map(([, text]) => text),
      [
        `**SQS in flight.** A healthy run holds ≤ ${approx(level.sqsInFlight)} in flight. During an outage of something the jobs`,
        "   depend on, every retrying job is held invisible for its backoff (up to 300 s, via",
        `   \`ChangeMessageVisibility\`). About ${about(inFlightBackoff)} s of average backoff at ${num(level.jobsPerSec)} jobs/s passes the ~${num(AWS_LIMITS.sqsInFlight)}`,
        "   in-flight limit [9]. Long polls then return nothing, and the queue drains only as backoffs end.",
        `   Fix: lower \`backoff.maxSeconds\` (code). SQS throughput itself (${approx(level.sqsCallsPerSec)} calls/s) is not a limit [10].`,
      ].join("\n"),
      [
        `**Logs.** About ${num(logGb / 1024, 1)} TB ingested a month costs ${usd(logs.billed, 0)} (${pct(logs.billed / bill.billed)} of the bill)${logGb < AWS_LIMITS.logsFirstTierGb ? ", still inside the first" : ", past the first"}`,
        `   10 TB tier [18]. Lambda's own \`platform.start\` and \`platform.report\` records are ${num(cost.platformLogBytesPerInvocation)} B of every invocation.`,
        `   CloudQueue's own records are ~${num(cost.logBytesPerJob)} B per job (its transitions and its API requests, about ${usd(transitionLines, 0)} a month here); they`,
        "   carry the metrics (EMF), so `logLevel` cannot drop them below INFO. `logRetentionDays` only changes storage, which is cents.",
      ].join("\n"),
    ]),
  ].join("\n");
}

/** What one status read fewer per job saves, per million jobs, at the 1 000× volume. */
function pollSaving(context: ScalingContext): number {
  const { bill, level } = at(context, 1_000);
  const fewer = monthlyCost({ ...bill.inputs, statusReadsPerJob: bill.inputs.statusReadsPerJob - 1 }).reduce((sum, line) => sum + line.billed, 0);
  return ((bill.billed - fewer) / level.jobsPerMonth) * 1e6;
}

function billShares(context: ScalingContext): string {
  const { bill } = at(context, 1_000);
  const groups: [string, string[]][] = [
    ["API Gateway", ["API Gateway HTTP API"]],
    ["CloudFront", ["CloudFront (page + API)"]],
    ["DynamoDB writes", ["DynamoDB writes"]],
    ["the listing's DynamoDB reads", ["DynamoDB reads (listing)"]],
    ["Lambda", ["Lambda requests", "Lambda compute (arm64)"]],
    ["CloudWatch Logs", ["CloudWatch Logs"]],
    ["SQS", ["SQS"]],
  ];
  const shares = groups
    .map(([name, members]) => [name, bill.lines.filter((line) => members.includes(line.service)).reduce((sum, line) => sum + line.billed, 0) / bill.billed] as const)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3);
  const { cost } = context.capacity;
  return [
    `The bill at ${num(1_000)}× is mostly ${shares[0]![0]} (${pct(shares[0]![1])}), ${shares[1]![0]} (${pct(shares[1]![1])}) and ${shares[2]![0]} (${pct(shares[2]![1])}). The indexes are ${num(cost.indexWritesPerJob, 2)} of the`,
    `${num(cost.calls.PutItem + cost.calls.UpdateItem + cost.indexWritesPerJob, 2)} WRU per job. Payload size is a capacity setting too: an item over 1 KB costs \`ceil(size / 1 KB)\` WRU`,
    `on each of its ${cost.calls.PutItem + cost.calls.UpdateItem} writes, and \`maxBodyBytes\` allows ${num(context.config.maxBodyBytes / 1024)} KiB.`,
  ].join("\n");
}
