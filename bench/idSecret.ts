import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { ENV } from "../handlers/settings";
import { awsEnvironmentFor } from "../local/emulators";
import { apiEvent } from "../test/helpers/events";
import { FakeKms } from "../test/helpers/fakeKms";
import { unpackArtifact } from "../test/infra/artifact";
import { named, runProgram, siteFixture } from "../test/infra/program";
import { percentile } from "./stackClient";

const run = promisify(execFile);
const RUNS = 7;
const KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-4000-8000-000000000001";

/** What the id secret costs a cold start of the api archive (medians of {@link RUNS}, ms). */
export interface IdSecretRow {
  /** A fresh process serving a first `POST /jobs` without an `Idempotency-Key`: no secret needed. */
  unkeyedColdStartMs: number;
  /** The same with an `Idempotency-Key`: the secret is derived first (KMS client load + one `GenerateMac`). */
  keyedColdStartMs: number;
  /** Loading the KMS client package after the SDK clients every api container has. */
  kmsClientLoadMs: number;
  /** `GenerateMac` calls per keyed cold start (the design: exactly one). */
  generateMacPerColdStart: number;
}

/**
 * The id secret's share of a cold start, against a KMS stand-in on this machine (a local round
 * trip, not KMS's own latency, which this machine cannot measure): the api archive from the
 * program under mocks serves a first submission in a fresh process, with and without a key.
 * The children run asynchronously, so this process can answer their KMS calls.
 */
export async function measureIdSecret(emulators: { dynamoEndpoint: string; sqsEndpoint: string; tableName: string; queueUrl: string }): Promise<IdSecretRow> {
  const program = await runProgram({}, siteFixture());
  const declared = named(program, "cloudqueue-api", "aws:lambda/function:Function");
  const artifact = await unpackArtifact(declared.inputs.code, "api");
  const kms = await FakeKms.start();
  const scratch = mkdtempSync(join(tmpdir(), "cloudqueue-bench-secret-"));
  const env = {
    ...process.env,
    ...declared.inputs.environment.variables,
    [ENV.tableName]: emulators.tableName,
    [ENV.queueUrl]: emulators.queueUrl,
    [ENV.idKeyArn]: KEY_ARN,
    ...awsEnvironmentFor(emulators),
    AWS_ENDPOINT_URL_KMS: kms.endpoint,
    NODE_OPTIONS: "",
  };
  const child = async (mode: string, event: unknown, name: string) => {
    const eventFile = join(scratch, `${name}.json`);
    writeFileSync(eventFile, JSON.stringify(event));
    const { stdout } = await run(process.execPath, [join(__dirname, "coldStartChild.js"), mode, artifact.taskDir, eventFile], { env, encoding: "utf8" });
    return (JSON.parse(stdout.split("\n").pop()!) as { ms: number }).ms;
  };
  const submission = (key?: string) =>
    apiEvent({ method: "POST", path: "/jobs", body: { type: "hash.digest", payload: { text: "bench", algorithm: "sha256" } }, headers: key ? { "Idempotency-Key": key } : {} });
  const unkeyed: number[] = [];
  const keyed: number[] = [];
  const load: number[] = [];
  try {
    for (let index = 0; index < RUNS; index++) {
      unkeyed.push(await child("artifact", submission(), `unkeyed-${index}`));
      keyed.push(await child("artifact", submission(`bench-${Date.now()}-${index}`), `keyed-${index}`));
      load.push(await child("kms-load", {}, `load-${index}`));
    }
  } finally {
    await kms.close();
  }
  const median = (values: number[]) => Math.round(percentile(values, 50) * 10) / 10;
  return { unkeyedColdStartMs: median(unkeyed), keyedColdStartMs: median(keyed), kmsClientLoadMs: median(load), generateMacPerColdStart: kms.calls.length / RUNS };
}
