import { execFileSync } from "node:child_process";
import { mkdtempSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { awsEnvironmentFor } from "../local/emulators";
import { apiEvent } from "../test/helpers/events";
import { unpackArtifact } from "../test/infra/artifact";
import { named, runProgram, siteFixture } from "../test/infra/program";
import { percentile } from "./stackClient";

export interface ArtifactRow {
  function: string;
  zipBytes: number;
  coldStartMs: number;
  sdkOnlyMs: number;
  ratio: number;
  /** Loading the SDK clients and making one DynamoDB call, in a fresh process. */
  sdkFirstCallMs: number;
  /** The cold start over the SDK's own load plus first call: what the function's code adds. */
  ratioOverSdkFirstCall: number;
}

const RUNS = 7;

/** What Powertools for AWS Lambda would add to a cold start (medians, ms): why CloudQueue writes its own JSON lines and EMF. */
export interface PowertoolsRow {
  loggerMs: number;
  metricsMs: number;
  bothMs: number;
}

/**
 * Phase 3: each CallbackFunction's archive, as the Pulumi program produces it under mocks: its
 * size (a real zip of it; without `zip`, its files deflated one by one), and its cold start
 * in a fresh process — load `__index.js` and serve a first event against the emulators — over
 * loading the AWS SDK clients alone in a fresh process. Medians of {@link RUNS} runs each.
 */
export async function measureArtifacts(emulators: { dynamoEndpoint: string; sqsEndpoint: string; tableName: string; queueUrl: string }): Promise<ArtifactRow[]> {
  return (await measureArtifactsAndPowertools(emulators)).rows;
}

/** {@link measureArtifacts}, and the load of Powertools' Logger and Metrics in the api archive's fresh process. */
export async function measureArtifactsAndPowertools(emulators: { dynamoEndpoint: string; sqsEndpoint: string; tableName: string; queueUrl: string }): Promise<{ rows: ArtifactRow[]; powertools: PowertoolsRow }> {
  const run = await runProgram({}, siteFixture());
  const missing = "0b4f8c8e-6a8e-4e8e-9a8e-0b4f8c8e6a8e";
  const events: Record<string, unknown> = {
    api: apiEvent({ method: "GET", path: `/jobs/${missing}` }),
    worker: {
      Records: [
        {
          messageId: "bench",
          receiptHandle: "bench",
          body: JSON.stringify({ jobId: missing }),
          attributes: { ApproximateReceiveCount: "1", SentTimestamp: "0", SenderId: "bench", ApproximateFirstReceiveTimestamp: "0" },
          messageAttributes: {},
          md5OfBody: "",
          eventSource: "aws:sqs",
          eventSourceARN: "arn:aws:sqs:us-east-1:123456789012:bench",
          awsRegion: "us-east-1",
        },
      ],
    },
    sweeper: { source: "aws.events", "detail-type": "Scheduled Event", detail: {} },
  };
  const rows: ArtifactRow[] = [];
  const powertoolsSamples: Record<keyof PowertoolsRow, number[]> = { loggerMs: [], metricsMs: [], bothMs: [] };
  const scratch = mkdtempSync(join(tmpdir(), "cloudqueue-bench-"));
  for (const fn of ["api", "worker", "sweeper"]) {
    const declared = named(run, `cloudqueue-${fn}`, "aws:lambda/function:Function");
    const artifact = await unpackArtifact(declared.inputs.code, fn);
    const eventFile = join(scratch, `${fn}.json`);
    writeFileSync(eventFile, JSON.stringify(events[fn]));
    const env = {
      ...process.env,
      ...declared.inputs.environment.variables,
      CLOUDQUEUE_TABLE_NAME: emulators.tableName,
      CLOUDQUEUE_QUEUE_URL: emulators.queueUrl,
      ...awsEnvironmentFor(emulators),
      NODE_OPTIONS: "",
    };
    const time = (mode: string) => {
      const out = execFileSync(process.execPath, [join(__dirname, "coldStartChild.js"), mode, artifact.taskDir, eventFile], { env, encoding: "utf8" });
      // The handlers' own records come first (they write to stdout, as on Lambda); the timing is the last line.
      const { ms, loadedMs } = JSON.parse(out.split("\n").pop()!) as { ms: number; loadedMs: number };
      if (process.env.BENCH_VERBOSE) console.log(`    ${fn} ${mode}: loaded ${loadedMs.toFixed(0)} ms, done ${ms.toFixed(0)} ms`);
      return ms;
    };
    const cold: number[] = [];
    const sdk: number[] = [];
    const sdkCall: number[] = [];
    for (let index = 0; index < RUNS; index++) {
      cold.push(time("artifact"));
      sdk.push(time("sdk"));
      sdkCall.push(time("sdk-call"));
      if (fn === "api") {
        powertoolsSamples.loggerMs.push(time("powertools-logger"));
        powertoolsSamples.metricsMs.push(time("powertools-metrics"));
        powertoolsSamples.bothMs.push(time("powertools-both"));
      }
    }
    const coldStartMs = percentile(cold, 50);
    const sdkOnlyMs = percentile(sdk, 50);
    const sdkFirstCallMs = percentile(sdkCall, 50);
    rows.push({
      function: fn,
      zipBytes: zipSize(artifact.taskDir, scratch, fn) ?? artifact.deflatedBytes,
      coldStartMs: Math.round(coldStartMs),
      sdkOnlyMs: Math.round(sdkOnlyMs),
      ratio: Math.round((coldStartMs / sdkOnlyMs) * 100) / 100,
      sdkFirstCallMs: Math.round(sdkFirstCallMs),
      ratioOverSdkFirstCall: Math.round((coldStartMs / sdkFirstCallMs) * 100) / 100,
    });
  }
  const median = (values: number[]) => Math.round(percentile(values, 50) * 10) / 10;
  return { rows, powertools: { loggerMs: median(powertoolsSamples.loggerMs), metricsMs: median(powertoolsSamples.metricsMs), bothMs: median(powertoolsSamples.bothMs) } };
}

/** The size of a real zip of the folder, as Pulumi uploads it; `undefined` without `zip`. */
function zipSize(taskDir: string, scratch: string, fn: string): number | undefined {
  const zipFile = join(scratch, `${fn}.zip`);
  try {
    execFileSync("zip", ["-q", "-r", "-X", zipFile, "."], { cwd: taskDir, stdio: "ignore" });
    return statSync(zipFile).size;
  } catch {
    return undefined;
  }
}
