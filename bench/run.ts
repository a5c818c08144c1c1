import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { measureArtifactsAndPowertools } from "./artifacts";
import { measureIdSecret } from "./idSecret";
import { BASELINE_COMMIT, COLD_START_GROWTH_BUDGET_MS, pairedColdStarts } from "./coldStartBaseline";
import { CALLS_FLOOR } from "./benchResults";
import { table } from "./consoleTable";
import { writeDocFigures } from "./docFigures";
import { measureListing } from "./listing";
import { printListing } from "./listingReport";
import { BATCH_JOBS, measureBatchThroughput } from "./batch";
import { FLOOR_BATCH_CALLS } from "./costModel";
import { measureCallsPerJob, measureThroughput, round, type ThroughputRow } from "./phases";
import { measurePollsPerJob } from "./polling";
import { measureRecovery, type RecoveryRow } from "./recovery";
import { StackProcess } from "./stackClient";

/**
 * `npm run bench`: what CloudQueue costs per job and how fast it goes, on this machine's local
 * stack. Prints a table per measurement, writes `bench/results.json` and rewrites the figures the
 * README and docs/SCALING.md quote from it (`bench/docFigures.ts`). A benchmark, not a test: it
 * reports each target as met or not and explains what is above a floor.
 */
const TARGETS = { shareOfCeiling: 0.7, coldStartRatio: 1.25, pollsPerJob: 4, coldStartGrowthMs: COLD_START_GROWTH_BUDGET_MS } as const;

async function main(): Promise<void> {
  const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? "unknown", memoryGiB: round(totalmem() / 1024 ** 3, 1), node: process.version, platform: process.platform };
  console.log(`CloudQueue benchmark — ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGiB} GiB, Node ${machine.node}\n`);

  console.log("Emulator ceiling (fresh process, the stack's SDK client setup, 32 calls in flight)…");
  const ceiling = JSON.parse(execFileSync(process.execPath, ["-r", "ts-node/register/transpile-only", join(__dirname, "ceiling.ts")], { encoding: "utf8" }).trim().split("\n").pop()!);
  console.log(`  DynamoDB PutItem ${ceiling.putItemsPerSecond.toFixed(0)}/s, a job's put + claim + commit ${ceiling.jobWritesPerSecond.toFixed(0)}/s, SQS SendMessage ${ceiling.sendMessagesPerSecond.toFixed(0)}/s\n`);

  const stack = await StackProcess.start();
  try {
    console.log("1. AWS calls per job (1 000 text.transform jobs through the local stack, SDK middleware counts)");
    const calls = await measureCallsPerJob(stack, 1_000);
    table(Object.entries(calls.callsPerJob).map(([operation, perJob]) => ({ operation, perJob })));
    for (const note of calls.notes) console.log(`  - ${note}`);
    console.log(`  log records: ${calls.logBytes.perJob} B per job, ${calls.logBytes.perStatusRead} B per status read (${Object.entries(calls.logBytes.byEvent).map(([event, entry]) => `${event} ${entry.lines} × ${entry.bytesPerLine} B`).join(", ")})`);
    for (const [operation, expected] of Object.entries(CALLS_FLOOR)) {
      const measured = calls.callsPerJob[operation] ?? 0;
      console.log(`  ${operation}: ${measured} per job — floor ${expected}: ${measured <= expected ? "at the floor" : "ABOVE the floor"}`);
    }

    // The writes a job needs bound what the emulators allow: its put, claim and commit on
    // DynamoDB (measured together, as the job store makes them) and its send on SQS.
    const sqsSends = calls.callsPerJob.SendMessage ?? 0;
    const ceilingJobsPerSec = 1 / (1 / ceiling.jobWritesPerSecond + sqsSends / ceiling.sendMessagesPerSecond);
    const bareCeiling = 1 / (((calls.callsPerJob.PutItem ?? 0) + (calls.callsPerJob.UpdateItem ?? 0)) / ceiling.putItemsPerSecond + sqsSends / ceiling.sendMessagesPerSecond);
    console.log(
      `\n2. Throughput and latency (ceiling the calls per job allow: a job's DynamoDB writes at ${ceiling.jobWritesPerSecond.toFixed(0)} jobs/s + ${sqsSends} SQS send at ${ceiling.sendMessagesPerSecond.toFixed(0)}/s = ${ceilingJobsPerSec.toFixed(1)} jobs/s;` +
        ` counting every write as a bare PutItem at ${ceiling.putItemsPerSecond.toFixed(0)}/s it would be ${bareCeiling.toFixed(1)} jobs/s)`,
    );
    const throughput: ThroughputRow[] = [];
    for (const [clients, jobs] of [[1, 200], [10, 1_000], [100, 2_000]] as const) {
      throughput.push(await measureThroughput(stack, clients, jobs, ceilingJobsPerSec));
      console.log(`  ${clients} client(s): ${throughput.at(-1)!.jobsPerSec} jobs/s`);
    }
    table(throughput as unknown as Record<string, unknown>[]);
    for (const row of throughput) {
      console.log(`  ${row.clients} client(s): ${(row.shareOfCeiling * 100).toFixed(0)}% of the ceiling — target ${TARGETS.shareOfCeiling * 100}%: ${row.shareOfCeiling >= TARGETS.shareOfCeiling ? "met" : "NOT met"}`);
    }

    const batchClients = 10;
    const batchJobs = 10_000;
    console.log(`\n2b. Batch submits (${batchJobs.toLocaleString("en-US")} text.transform jobs, POST /jobs/batch of ${BATCH_JOBS} from ${batchClients} clients; AWS calls by SDK middleware, before any status read)`);
    const batch = await measureBatchThroughput(stack, batchClients, batchJobs);
    const single = throughput.find((row) => row.clients === batchClients)!;
    table([
      { submits: "POST /jobs", clients: single.clients, jobs: single.jobs, submitJobsPerSec: single.submitJobsPerSec, jobsPerSec: single.jobsPerSec, requestP50Ms: single.submitP50Ms, requestP99Ms: single.submitP99Ms, e2eP50Ms: single.e2eP50Ms, e2eP99Ms: single.e2eP99Ms },
      { submits: `POST /jobs/batch of ${batch.jobsPerBatch}`, clients: batch.clients, jobs: batch.jobs, submitJobsPerSec: batch.submitJobsPerSec, jobsPerSec: batch.jobsPerSec, requestP50Ms: batch.requestP50Ms, requestP99Ms: batch.requestP99Ms, e2eP50Ms: batch.e2eP50Ms, e2eP99Ms: batch.e2eP99Ms },
    ]);
    const singleApiRequests = round((calls.logBytes.byEvent["api.request:submitJob"]?.lines ?? 0) / calls.jobs, 4);
    const operations = [...new Set([...Object.keys(calls.callsPerJob), ...Object.keys(batch.callsPerJob)])].filter((operation) => operation !== "GetItem").sort();
    table([
      ...operations.map((operation) => ({ perJob: operation, single: calls.callsPerJob[operation] ?? 0, batch: batch.callsPerJob[operation] ?? 0 })),
      { perJob: "GetItem (the system's own)", single: round((calls.callsPerJob.GetItem ?? 0) - calls.statusReads / calls.jobs, 3), batch: batch.callsPerJob.GetItem ?? 0 },
      { perJob: "API requests", single: singleApiRequests, batch: batch.apiRequestsPerJob },
      { perJob: "log bytes (no status read)", single: calls.logBytes.perJob, batch: batch.logBytesPerJob },
    ]);
    console.log(`  single column: phase 1's 1 000 jobs; batch submitted ${(batch.submitJobsPerSec / single.submitJobsPerSec).toFixed(1)} × as fast as single submits from ${single.clients} clients, end to end ${(batch.jobsPerSec / single.jobsPerSec).toFixed(1)} ×`);
    for (const [what, measured, floor] of [["SendMessageBatch", batch.callsPerJob.SendMessageBatch ?? 0, FLOOR_BATCH_CALLS.SendMessageBatch], ["API requests", batch.apiRequestsPerJob, FLOOR_BATCH_CALLS.apiRequestsPerJob]] as const) {
      console.log(`  ${what}: ${measured} per job — floor ${floor}: ${measured <= floor ? "at the floor" : "ABOVE the floor"}`);
    }

    console.log("\n3. Lambda artifacts (archives from the Pulumi program under mocks; cold start in a fresh process)");
    const { rows: artifacts, powertools } = await measureArtifactsAndPowertools(stack.emulators);
    table(artifacts as unknown as Record<string, unknown>[]);
    console.log(`  side by side with ${BASELINE_COMMIT}'s archives (the commit before structured logs and metrics), in turns…`);
    const paired = pairedColdStarts(stack.emulators, BASELINE_COMMIT, undefined, (line) => console.log(`    ${line}`));
    for (const [fn, todayMs] of Object.entries(paired.todayMs)) {
      const growth = todayMs - (paired.baselineMs[fn] ?? Number.NaN);
      console.log(`  ${fn}: ${todayMs} ms against ${paired.baselineMs[fn]} ms, ${growth >= 0 ? "+" : ""}${growth} ms — budget ≤ +${TARGETS.coldStartGrowthMs} ms: ${growth <= TARGETS.coldStartGrowthMs ? "met" : "NOT met"}`);
    }
    console.log(`  Powertools, loaded after the SDK in the api archive's process: Logger ${powertools.loggerMs} ms, Metrics ${powertools.metricsMs} ms, both ${powertools.bothMs} ms`);
    const idSecret = await measureIdSecret(stack.emulators);
    console.log(
      `  id secret (KMS stand-in on this machine): a first POST /jobs in a fresh api process takes ${idSecret.unkeyedColdStartMs} ms without an Idempotency-Key, ${idSecret.keyedColdStartMs} ms with one` +
        ` (the KMS client's load, ${idSecret.kmsClientLoadMs} ms, and ${idSecret.generateMacPerColdStart} GenerateMac); later keyed submissions reuse the secret`,
    );
    for (const row of artifacts) {
      console.log(
        `  ${row.function}: ratio ${row.ratio} — target ≤ ${TARGETS.coldStartRatio}: ${row.ratio <= TARGETS.coldStartRatio ? "met" : "NOT met"}` +
          ` (the SDK alone, loaded and making one call, takes ${row.sdkFirstCallMs} ms = ${(row.sdkFirstCallMs / row.sdkOnlyMs).toFixed(2)} × its load; the function's code adds ${row.coldStartMs - row.sdkFirstCallMs} ms over that)`,
      );
    }

    console.log("\n4. Client polling (the site in Chromium, a job that finishes in about 1 s)");
    const polling = await measurePollsPerJob(stack.pageUrl);
    console.log(`  status reads per job: ${polling.pollsPerJob} (samples ${polling.samples.join(", ")}) — target ≤ ${TARGETS.pollsPerJob}: ${polling.pollsPerJob <= TARGETS.pollsPerJob ? "met" : "NOT met"}`);

    console.log("\n5. Local start with a table on disk (the recovery pass reads the whole table and its sweep index)");
    const recovery: RecoveryRow[] = [];
    for (const jobs of [10_000, 100_000]) recovery.push(await measureRecovery(jobs));
    table(recovery as unknown as Record<string, unknown>[]);

    console.log("\n6. Listing (issue 13): index writes per job, reads per page and per summary (the api and the worker in this process on fresh emulators, every call metered)");
    const listing = await measureListing();
    printListing(listing);

    const results = {
      machine,
      ceiling: {
        putItemsPerSecond: round(ceiling.putItemsPerSecond, 1),
        sendMessagesPerSecond: round(ceiling.sendMessagesPerSecond, 1),
        jobWritesPerSecond: round(ceiling.jobWritesPerSecond, 1),
        concurrency: ceiling.concurrency,
        jobsPerSec: round(ceilingJobsPerSec, 1),
        jobsPerSecIfEveryWriteWereABarePutItem: round(bareCeiling, 1),
      },
      callsPerJob: calls.callsPerJob,
      callsPerJobNotes: calls.notes,
      logBytes: calls.logBytes,
      statusReadsInCallsPhase: calls.statusReads / calls.jobs,
      throughput,
      batch,
      artifacts,
      coldStartBaseline: paired,
      powertools,
      idSecret,
      pollsPerJob: polling.pollsPerJob,
      pollSamples: polling.samples,
      recovery,
      listing,
      targets: TARGETS,
    };
    writeFileSync(join(__dirname, "results.json"), `${JSON.stringify(results, null, 2)}\n`);
    console.log("\nwrote bench/results.json");
    // The docs quote these results only through their generated regions: rewrite them now.
    const changed = writeDocFigures();
    console.log(changed.length === 0 ? "the docs' generated figures were already in step" : `rewrote the generated figures of ${changed.join(", ")}`);
  } finally {
    await stack.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
