import { CALLS_FLOOR, type BenchResults } from "./benchResults";
import { num, pct } from "./format";

/**
 * The README's "Performance and cost" figures, each written from `bench/results.json` (the cost
 * block and the same-origin note come from the cost model: `bench/docFigures.ts`).
 */
export function readmeFigures(results: BenchResults): Record<string, string> {
  return {
    machine: `${results.machine.cpus} × ${results.machine.cpuModel}, Node ${results.machine.node}`,
    calls: callsBullet(results),
    throughput: throughputBullet(results),
    batch: batchBullet(results),
    artifacts: artifactsBullet(results),
    polling: pollingBullet(results),
    powertools: powertoolsFigure(results),
    idsecret: idSecretFigure(results),
    recovery: results.recovery.map((row) => `${num(row.jobs)} jobs (${num(row.activeJobs)} active), ${(row.startMs / 1000).toFixed(1)} s`).join("; "),
  };
}

function callsBullet(results: BenchResults): string {
  const calls = Object.entries(results.callsPerJob).map(([operation, perJob]) => `${operation} ${perJob}`).join(", ");
  const above = Object.entries(CALLS_FLOOR).filter(([operation, floor]) => (results.callsPerJob[operation] ?? 0) > floor).map(([operation]) => operation);
  const verdict = above.length === 0 ? "At the floor" : `Above the floor for ${above.join(", ")}; the floor is`;
  return [
    `- **AWS calls per job** (counted by SDK middleware): ${calls}. ${verdict}: one put,`,
    "  one send, one claim and one commit, one `GetItem` per status read, no scan; receives and",
    "  deletes amortised over batches (the local poller's second receive per batch is an emulator",
    "  workaround, see below).",
  ].join("\n");
}

function throughputBullet(results: BenchResults): string {
  const { ceiling, throughput, targets } = results;
  const rows = throughput.map(
    (row) =>
      `| ${row.clients} | ${num(row.jobs)} | ${num(row.jobsPerSec, 1)} | ${num(row.ceilingJobsPerSec, 1)} | ${pct(row.shareOfCeiling)} | ${num(row.submitP50Ms, 1)} / ${num(row.submitP99Ms, 1)} | ${num(row.e2eP50Ms)} / ${num(row.e2eP99Ms)} |`,
  );
  const best = throughput.reduce((a, b) => (b.shareOfCeiling > a.shareOfCeiling ? b : a));
  const below = throughput.filter((row) => row.shareOfCeiling < targets.shareOfCeiling);
  const clients = (count: number) => `${count} client${count === 1 ? "" : "s"}`;
  // A closed loop of c clients, each waiting for its 202, offers at most c ÷ submit latency.
  const offered = (row: (typeof throughput)[number]) => `≈ ${num(Math.round((row.clients * 1000) / row.submitP50Ms / 10) * 10)} submits/s for ${clients(row.clients)} (p50 ${num(row.submitP50Ms, 1)} ms)`;
  const notes = [`  With ${clients(best.clients)} the stack runs at ${pct(best.shareOfCeiling)} of the ceiling (target ${pct(targets.shareOfCeiling)}: ${best.shareOfCeiling >= targets.shareOfCeiling ? "met" : "not met"}).`];
  if (below.length > 0) {
    notes.push(
      `  The ${below.map((row) => `${row.clients}-client`).join(" and ")} run${below.length === 1 ? " is a closed loop" : "s are closed loops"} — each client waits for its 202 before it`,
      "  submits again — so they offer at most clients ÷ submit latency:",
      `  ${below.map(offered).join(", ")}.${below.some((row) => row.clients === 1) ? ` One client is bounded by its own round trip${below.some((row) => row.clients > 1) ? ";" : "."}` : ""}`,
      `  ${below.some((row) => row.clients > 1) ? "more clients' submits queue behind the worker's writes in the single-threaded stack. " : ""}Below the`,
      "  target there, the stack is idle part of the time.",
    );
  }
  return [
    "- **Throughput** against the emulators' own ceiling (a job's put + claim + commit through the",
    `  job store at ${num(ceiling.jobWritesPerSecond, 1)}/s, SQS sends at ${num(ceiling.sendMessagesPerSecond, 1)}/s):`,
    "",
    "| Clients | Jobs | Jobs/s | Ceiling jobs/s | Share | Submit p50 / p99 ms | Submit → terminal p50 / p99 ms |",
    "|---|---|---|---|---|---|---|",
    ...rows,
    "",
    ...notes,
  ].join("\n");
}

/** The bulk producer's row against single submits from as many clients, and its calls per job against phase 1's. */
function batchBullet(results: BenchResults): string {
  const { batch, throughput, callsPerJob, logBytes } = results;
  if (!batch) return "- **Batch submits**: not measured yet: run `npm run bench`.";
  const single = throughput.find((row) => row.clients === batch.clients);
  // Phase 1 read each job's status statusReadsInCallsPhase times: its getJob records count its jobs.
  const phaseOneJobs = (logBytes.byEvent["api.request:getJob"]?.lines ?? 0) / results.statusReadsInCallsPhase;
  const singleApiRequests = phaseOneJobs > 0 ? (logBytes.byEvent["api.request:submitJob"]?.lines ?? 0) / phaseOneJobs : Number.NaN;
  const ratio = (a: number, b: number | undefined) => (b ? ` (${num(a / b, 1)} ×)` : "");
  const singleRow = single
    ? `| \`POST /jobs\` | ${single.clients} | ${num(single.jobs)} | ${single.submitJobsPerSec === undefined ? "—" : num(single.submitJobsPerSec, 1)} | ${num(single.jobsPerSec, 1)} | ${num(single.submitP50Ms, 1)} / ${num(single.submitP99Ms, 1)} | ${num(single.e2eP50Ms)} / ${num(single.e2eP99Ms)} |`
    : undefined;
  const calls = ["PutItem", "UpdateItem", "SendMessage", "SendMessageBatch", "ReceiveMessage", "DeleteMessageBatch"].map((operation) => `${operation} ${batch.callsPerJob[operation] ?? 0} (${callsPerJob[operation] ?? 0})`);
  return [
    `- **Batch submits** (a bulk producer: \`POST /jobs/batch\` of ${batch.jobsPerBatch} from ${batch.clients} clients, against one \`POST /jobs\` per job from as many):`,
    "",
    "| Submits | Clients | Jobs | Submitted jobs/s | Jobs/s | Request p50 / p99 ms | Submit → terminal p50 / p99 ms |",
    "|---|---|---|---|---|---|---|",
    ...(singleRow ? [singleRow] : []),
    `| \`POST /jobs/batch\` of ${batch.jobsPerBatch} | ${batch.clients} | ${num(batch.jobs)} | ${num(batch.submitJobsPerSec, 1)}${ratio(batch.submitJobsPerSec, single?.submitJobsPerSec)} | ${num(batch.jobsPerSec, 1)}${ratio(batch.jobsPerSec, single?.jobsPerSec)} | ${num(batch.requestP50Ms, 1)} / ${num(batch.requestP99Ms, 1)} | ${num(batch.e2eP50Ms)} / ${num(batch.e2eP99Ms)} |`,
    "",
    `  Per job (single submits' in brackets): API requests ${batch.apiRequestsPerJob} (${num(singleApiRequests, 2)}), ${calls.join(", ")};`,
    `  ${num(batch.logBytesPerJob)} B of log records (${num(logBytes.perJob)}).${batch.submitJobsPerSec > batch.jobsPerSec ? " The batches arrive faster than the worker drains the queue, so their jobs" : ""}`,
    ...(batch.submitJobsPerSec > batch.jobsPerSec ? ["  wait in it: submit → terminal grows with the backlog, and the end-to-end rate is the worker's."] : []),
  ].join("\n");
}

function artifactsBullet(results: BenchResults): string {
  const { artifacts, targets } = results;
  const rows = artifacts.map(
    (row) =>
      `| ${row.function} | ${num(Math.round(row.zipBytes / 1024))} KiB | ${num(row.coldStartMs)} | ${num(row.sdkOnlyMs)} | ${num(row.ratio, 2)} | ${num(row.sdkFirstCallMs)} | ${num(row.ratioOverSdkFirstCall, 2)} |`,
  );
  const missed = artifacts.filter((row) => row.ratio > targets.coldStartRatio);
  const firstCall = artifacts.map((row) => row.sdkFirstCallMs / row.sdkOnlyMs - 1);
  const ownCode = artifacts.map((row) => row.coldStartMs - row.sdkFirstCallMs);
  // "−4 to 30 ms" rather than "-4–30 ms" when a noisy run puts the low end below zero.
  const range = (values: number[], unit: string, scale = 1) => {
    const [low, high] = [Math.min(...values) * scale, Math.max(...values) * scale];
    return low < 0 ? `−${num(-low)} to ${num(high)}${unit}` : `${num(low)}–${num(high)}${unit}`;
  };
  const verdict =
    missed.length === 0
      ? `  The ${num(targets.coldStartRatio, 2)} target over the SDK's load alone is met by every function.`
      : `  The ${num(targets.coldStartRatio, 2)} target over the SDK's load alone is not met${missed.length < artifacts.length ? ` by ${missed.map((row) => row.function).join(", ")}` : ""}:`;
  return [
    "- **Lambda artifacts** (zip of each CallbackFunction's archive; cold start = a fresh process",
    "  loading the archive and serving a first event against the emulators, medians of 7):",
    "",
    "| Function | Zip | Cold start ms | SDK load alone ms | Ratio | SDK load + one call ms | Ratio over that |",
    "|---|---|---|---|---|---|---|",
    ...rows,
    "",
    verdict,
    `  the SDK's own first request costs ${range(firstCall, " %", 100)} of its load time (measured alone, with no`,
    `  CloudQueue code), and the function's code adds ${range(ownCode, " ms")} on top of that.`,
    coldStartGrowth(results),
  ].join("\n");
}

/** Each archive's cold start against the baseline commit's, measured side by side in turns. */
function coldStartGrowth(results: BenchResults): string {
  const { coldStartBaseline: paired, targets } = results;
  const growth = Object.entries(paired.todayMs).map(([fn, ms]) => ({ fn, ms, delta: ms - (paired.baselineMs[fn] ?? Number.NaN) }));
  const met = growth.every((row) => row.delta <= targets.coldStartGrowthMs);
  const signed = (ms: number) => `${ms >= 0 ? "+" : "−"}${num(Math.abs(ms))} ms`;
  return [
    `  Against ${paired.commit} (the commit before structured logs and metrics), both measured in turns, ${paired.rounds} rounds, with the same`,
    `  emulators and packages (one run alone moves by more than the budget): ${growth.map((row) => `${row.fn} ${num(row.ms)} against ${num(paired.baselineMs[row.fn] ?? 0)} ms, ${signed(row.delta)}`).join("; ")}`,
    `  — budget ${signed(targets.coldStartGrowthMs)}: ${met ? "met" : "not met"}.`,
  ].join("\n");
}

/** Why the handlers write their own JSON lines and EMF instead of using Powertools: its load, measured. */
function powertoolsFigure(results: BenchResults): string {
  const { powertools, targets } = results;
  return (
    `loading Powertools' Logger adds ${num(powertools.loggerMs, 1)} ms to a cold start, Metrics ${num(powertools.metricsMs, 1)} ms, both ${num(powertools.bothMs, 1)} ms ` +
    `(each constructed once, after the SDK clients, in a fresh process; medians of 7), against a budget of ${num(targets.coldStartGrowthMs)} ms for the whole change`
  );
}

/** What the id secret (docs/SECURITY.md) costs an api cold start, measured against a KMS stand-in. */
function idSecretFigure(results: BenchResults): string {
  const secret = results.idSecret;
  if (!secret) return "not measured yet: run `npm run bench`";
  return (
    `a first \`POST /jobs\` in a fresh api process took ${num(secret.unkeyedColdStartMs, 1)} ms without an \`Idempotency-Key\` and ${num(secret.keyedColdStartMs, 1)} ms with one ` +
    `(the KMS client's load, ${num(secret.kmsClientLoadMs, 1)} ms, and ${num(secret.generateMacPerColdStart)} \`GenerateMac\` to a stand-in on this machine; medians of 7; ` +
    `KMS's own round trip is not measured here)`
  );
}

function pollingBullet(results: BenchResults): string {
  const { pollsPerJob, targets } = results;
  return `- **Client polling**: the page reads a job that finishes in about a second ${pollsPerJob} times (target ≤ ${targets.pollsPerJob}: ${pollsPerJob <= targets.pollsPerJob ? "met" : "not met"}).`;
}
