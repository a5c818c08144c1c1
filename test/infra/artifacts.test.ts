import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import { FakeKms } from "../helpers/fakeKms";
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { ENV } from "../../handlers/settings";
import { awsEnvironmentFor, startEmulators, type Emulators } from "../../local/emulators";
import { SqsEventSource } from "../../local/sqsEvents";
import { apiEvent, lambdaContext, type ApiRequest } from "../helpers/events";
import { loadHandler, resolveFromArtifact, RUNTIME_SDK_DIR, RUNTIME_SDK_PACKAGES, sdkFilesLoadedBy, unpackArtifact, type UnpackedArtifact } from "./artifact";
import { named, sharedRun, siteFixture, type ProgramRun } from "./program";
import { openApiDocument } from "../../handlers/openapi";
import { builtInJobTypes } from "../../handlers/domain/jobTypes";
import type { AuthMode } from "../../handlers/auth/authMode";

type ApiLambda = (event: ReturnType<typeof apiEvent>) => Promise<{ statusCode: number; body?: string; headers?: Record<string, string | number | boolean> }>;
type WorkerLambda = (event: SQSEvent, context: ReturnType<typeof lambdaContext>) => Promise<SQSBatchResponse>;
type SweeperLambda = (event: unknown) => Promise<{ examined: number; requeued: number }>;

const FUNCTIONS = ["api", "worker", "sweeper"] as const;

describe("infra: the code each CallbackFunction would upload", function () {
  this.timeout(60_000);
  let run: ProgramRun;
  let emulators: Emulators;
  let kms: FakeKms;
  const artifacts = {} as Record<(typeof FUNCTIONS)[number], UnpackedArtifact>;
  const quiet = { info: console.info, warn: console.warn, error: console.error };
  const stdoutWrite = process.stdout.write;

  before(async () => {
    run = await sharedRun({}, siteFixture());
    for (const fn of FUNCTIONS) {
      const declared = named(run, `cloudqueue-${fn}`, "aws:lambda/function:Function");
      artifacts[fn] = await unpackArtifact(declared.inputs.code, fn);
      const artifact = artifacts[fn];
      console.log(
        `      ${fn} archive: ${artifact.entries.join(", ")} — ${artifact.files} files, ${(artifact.bytes / 1024).toFixed(0)} KiB unzipped, ≈${(artifact.deflatedBytes / 1024).toFixed(0)} KiB zipped (__index.js ${(artifact.indexSource.length / 1024).toFixed(0)} KiB)`,
      );
    }
    emulators = await startEmulators({ tableName: `artifact-jobs-${Date.now()}`, queueName: `artifact-${Date.now()}`, dlqName: `artifact-dlq-${Date.now()}` });
    // Lambda keeps a container's environment for its whole life (the SDK reads endpoints lazily).
    // The three share one environment; the api alone adds its auth settings (the id key's ARN).
    const [api, worker, sweeper] = FUNCTIONS.map(environmentOf);
    expect(sweeper).to.deep.equal(worker);
    expect(api).to.deep.include(worker!);
    expect(Object.keys(api!).filter((name) => !(name in worker!)).sort()).to.deep.equal([ENV.authMode, ENV.idKeyArn, ENV.idKeyGeneration].sort());
    kms = await FakeKms.start();
    Object.assign(process.env, api, { AWS_ENDPOINT_URL_KMS: kms.endpoint });
    // The handlers write their JSON records straight to stdout (runtimeLogs.test.ts checks them);
    // keep the test output readable by dropping exactly those lines.
    if (!process.env.CLOUDQUEUE_TEST_LOGS) {
      console.info = console.warn = console.error = () => {};
      process.stdout.write = ((chunk: unknown, ...rest: unknown[]) =>
        typeof chunk === "string" && chunk.startsWith('{"timestamp":') ? true : (stdoutWrite as (...args: unknown[]) => boolean).call(process.stdout, chunk, ...rest)) as typeof process.stdout.write;
    }
  });

  const savedEnv = { ...process.env };
  after(async () => {
    for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
    Object.assign(process.env, savedEnv);
    Object.assign(console, quiet);
    process.stdout.write = stdoutWrite;
    await emulators?.close();
    await kms?.close();
  });

  /** The environment the program declared for `fn`, pointed at the emulators. */
  function environmentOf(fn: (typeof FUNCTIONS)[number]): Record<string, string> {
    const declared: Record<string, string> = named(run, `cloudqueue-${fn}`, "aws:lambda/function:Function").inputs.environment.variables;
    return {
      ...declared,
      [ENV.tableName]: emulators.tableName,
      [ENV.queueUrl]: emulators.queueUrl,
      // So a job left QUEUED is due for repair at once, not after two minutes.
      [ENV.sweepGraceSeconds]: "1",
      ...awsEnvironmentFor(emulators),
    };
  }

  it("contain no @pulumi code and no Output, only __index.js and the npm packages the handlers need", () => {
    for (const fn of FUNCTIONS) {
      const artifact = artifacts[fn];
      expect(artifact.entries, fn).to.include("__index.js");
      expect(artifact.entries.filter((entry) => entry.includes("@pulumi")), fn).to.deep.equal([]);
      expect(fs.existsSync(path.join(artifact.taskDir, "node_modules/@pulumi")), fn).to.equal(false);
      expect(artifact.indexSource, fn).to.not.include("@pulumi");
      expect(artifact.indexSource, fn).to.not.match(/OutputImpl|__pulumiOutput/);
      // The runtime provides the AWS SDK: it is required, not shipped.
      expect(artifact.entries.filter((entry) => entry.startsWith("node_modules/@aws-sdk")), fn).to.deep.equal([]);
      expect(artifact.indexSource, fn).to.include('require("@aws-sdk/client-dynamodb');
    }
  });

  it("run against the AWS SDK release the nodejs22.x runtime ships (test/runtime-sdk), never the repository's own", async () => {
    const runtimeModules = path.join(RUNTIME_SDK_DIR, "node_modules") + path.sep;
    for (const fn of FUNCTIONS) {
      const artifact = artifacts[fn];
      const required = [...new Set([...artifact.indexSource.matchAll(/require\("(@aws-sdk\/[^"/]+)/g)].map((match) => match[1]!))].sort();
      expect(required, `${fn}: the SDK packages __index.js requires`).to.not.be.empty;
      expect(Object.keys(RUNTIME_SDK_PACKAGES), `${fn}: test/runtime-sdk pins every SDK package the archive requires`).to.include.members(required);
      for (const name of required) {
        const resolved = resolveFromArtifact(artifact, name);
        expect(resolved.version, `${fn}: ${name} as the unpacked code resolves it (stale? run npm ci --prefix test/runtime-sdk)`).to.equal(RUNTIME_SDK_PACKAGES[name]);
        expect(resolved.dir.startsWith(runtimeModules), `${fn}: ${name} from ${resolved.dir}`).to.equal(true);
      }
    }

    // Serve one request each, so that the clients load what a first call needs (credentials, HTTP).
    const api = loadHandler<ApiLambda>(artifacts.api);
    const sweeper = loadHandler<SweeperLambda>(artifacts.sweeper);
    loadHandler<WorkerLambda>(artifacts.worker);
    expect((await api(apiEvent({ method: "GET", path: "/jobs/00000000-0000-4000-8000-000000000000" }))).statusCode).to.equal(404);
    await sweeper({ "detail-type": "Scheduled Event", source: "aws.events" });
    for (const fn of FUNCTIONS) {
      const loaded = sdkFilesLoadedBy(artifacts[fn]);
      expect(loaded, `${fn}: SDK files loaded`).to.not.be.empty;
      expect(loaded.filter((file) => !file.startsWith(runtimeModules)), `${fn}: SDK files loaded from outside test/runtime-sdk`).to.deep.equal([]);
    }
  });

  it("run a job end to end against the emulators: api submits, worker runs, api reads SUCCEEDED", async () => {
    const api = loadHandler<ApiLambda>(artifacts.api);
    const worker = loadHandler<WorkerLambda>(artifacts.worker);
    const request = async (req: ApiRequest) => {
      const response = await api(apiEvent(req));
      return { status: response.statusCode, json: response.body ? JSON.parse(response.body) : undefined, headers: response.headers ?? {} };
    };

    const submitted = await request({ method: "POST", path: "/jobs", body: { type: "text.transform", payload: { text: "hello artifact world" } } });
    expect(submitted.status).to.equal(202);
    expect(Object.fromEntries(Object.entries(submitted.headers).map(([name, value]) => [name.toLowerCase(), value]))).to.have.property("location", `/jobs/${submitted.json.jobId}`);

    const events = new SqsEventSource(emulators.sqs, emulators.queueUrl, emulators.queueArn);
    const messages = await events.receive(10, 1);
    expect(messages).to.have.length(1);
    const response = await worker(events.toEvent(messages), lambdaContext(60_000));
    expect(response.batchItemFailures).to.deep.equal([]);
    await events.settle(messages, response);

    const read = await request({ method: "GET", path: `/jobs/${submitted.json.jobId}` });
    expect(read.status).to.equal(200);
    expect(read.json).to.include({ status: "SUCCEEDED", attempts: 1 });
    expect(read.json.result).to.deep.equal({ originalLength: 20, uppercase: "HELLO ARTIFACT WORLD", wordCount: 3 });
  });

  it("derive key-derived ids through KMS: the api archive makes one GenerateMac per container, for the key its environment names, and replays find the job", async () => {
    const api = loadHandler<ApiLambda>(artifacts.api);
    const submit = () =>
      api(apiEvent({ method: "POST", path: "/jobs", body: { type: "hash.digest", payload: { text: "keyed", algorithm: "sha256" } }, headers: { "Idempotency-Key": `artifact-${Date.now()}` } }));
    const calls = kms.calls.length;
    const first = await api(apiEvent({ method: "POST", path: "/jobs", body: { type: "hash.digest", payload: { text: "keyed", algorithm: "sha256" } }, headers: { "Idempotency-Key": "artifact-key" } }));
    const replay = await api(apiEvent({ method: "POST", path: "/jobs", body: { type: "hash.digest", payload: { text: "keyed", algorithm: "sha256" } }, headers: { "Idempotency-Key": "artifact-key" } }));
    await submit();
    expect(first.statusCode).to.equal(202);
    expect(replay.statusCode).to.equal(200);
    expect(JSON.parse(replay.body!).jobId).to.equal(JSON.parse(first.body!).jobId);
    expect(kms.calls.slice(calls)).to.deep.equal([{ keyId: process.env[ENV.idKeyArn], message: "cloudqueue/idempotency-key-secret/generation-1" }]);
    expect(artifacts.api.indexSource).to.include('"@aws-sdk/client-kms"');
    for (const fn of ["worker", "sweeper"] as const) expect(artifacts[fn].indexSource, fn).to.not.include("client-kms");
    // Drain what these submissions enqueued, so the next test sees only its own messages.
    const events = new SqsEventSource(emulators.sqs, emulators.queueUrl, emulators.queueArn);
    await events.settle(await events.receive(10, 1), { batchItemFailures: [] });
  });

  it("find and act on jobs from the uploaded api: pages with a sealed cursor, the summary, a bulk dry run, and the OpenAPI document exactly as generated", async () => {
    const api = loadHandler<ApiLambda>(artifacts.api);
    const call = async (req: ApiRequest) => {
      const response = await api(apiEvent(req));
      return { status: response.statusCode, json: response.body ? JSON.parse(response.body) : undefined };
    };
    const ids: string[] = [];
    for (let n = 0; n < 3; n += 1) {
      const submitted = await call({ method: "POST", path: "/jobs", body: { type: "text.transform", payload: { text: `listed ${n}` }, delaySeconds: 900 } });
      expect(submitted.status).to.equal(202);
      ids.push(submitted.json.jobId);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    const first = await call({ method: "GET", path: "/jobs?status=QUEUED&type=text.transform&limit=2" });
    expect(first.status).to.equal(200);
    const second = await call({ method: "GET", path: `/jobs?status=QUEUED&type=text.transform&limit=2&cursor=${first.json.nextCursor}` });
    expect(second.status).to.equal(200);
    const listed = [...first.json.jobs, ...second.json.jobs].map((job: { jobId: string }) => job.jobId);
    expect(listed.slice(0, 3), "the three newest queued jobs, newest first").to.deep.equal([...ids].reverse());
    const summary = await call({ method: "GET", path: "/jobs/summary" });
    expect(summary.status).to.equal(200);
    expect(summary.json.byType["text.transform"].QUEUED).to.be.at.least(3);
    const dry = await call({ method: "POST", path: "/jobs/bulk/cancel", body: { jobIds: ids, dryRun: true } });
    expect(dry.json).to.include({ matched: 3, matchedAtLeast: false });
    const document = await call({ method: "GET", path: "/openapi.json" });
    expect(document.status).to.equal(200);
    // Pulumi's closure serializer copies module-level values into the archive: the served
    // document must still be the one the repository generates, byte for byte in JSON terms.
    const generated = openApiDocument({ jobTypes: builtInJobTypes, authMode: (process.env[ENV.authMode] ?? "none") as AuthMode, requireScopes: process.env[ENV.jwtRequireScopes] !== "false" });
    expect(JSON.stringify(document.json)).to.equal(JSON.stringify(generated));
    const events = new SqsEventSource(emulators.sqs, emulators.queueUrl, emulators.queueArn);
    await events.settle(await events.receive(10, 1), { batchItemFailures: [] });
  });

  it("repair a job whose message was lost: the sweeper artifact enqueues it again and it completes", async () => {
    const api = loadHandler<ApiLambda>(artifacts.api);
    const worker = loadHandler<WorkerLambda>(artifacts.worker);
    const sweeper = loadHandler<SweeperLambda>(artifacts.sweeper);
    const events = new SqsEventSource(emulators.sqs, emulators.queueUrl, emulators.queueArn);

    const submitted = await api(apiEvent({ method: "POST", path: "/jobs", body: { type: "hash.digest", payload: { text: "abc", algorithm: "sha256" } } }));
    const { jobId } = JSON.parse(submitted.body!);
    const lost = await events.receive(10, 1);
    await events.settle(lost, { batchItemFailures: [] }); // deleted unprocessed: the message is gone

    // The job becomes due one grace second after submission; sweep until it is repaired.
    let requeued = 0;
    for (let tries = 0; tries < 50 && requeued === 0; tries++) {
      requeued = (await sweeper({ "detail-type": "Scheduled Event", source: "aws.events" })).requeued;
      if (requeued === 0) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(requeued).to.be.at.least(1);

    const messages = await events.receive(10, 1);
    expect(messages.map((message) => JSON.parse(message.Body!).jobId)).to.include(jobId);
    await events.settle(messages, await worker(events.toEvent(messages), lambdaContext(60_000)));
    const read = await api(apiEvent({ method: "GET", path: `/jobs/${jobId}` }));
    const job = JSON.parse(read.body!);
    expect(job.status).to.equal("SUCCEEDED");
    expect(job.result).to.deep.equal({ algorithm: "sha256", hex: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" });
  });

  it("keep error classes intact through serialization: a permanent failure is stored with its code and message, an unknown job is 404", async () => {
    const api = loadHandler<ApiLambda>(artifacts.api);
    const worker = loadHandler<WorkerLambda>(artifacts.worker);
    const events = new SqsEventSource(emulators.sqs, emulators.queueUrl, emulators.queueArn);

    const submitted = await api(apiEvent({ method: "POST", path: "/jobs", body: { type: "demo.unreliable", payload: { sleepMs: 1, failAttempts: 0, permanent: true } } }));
    const { jobId } = JSON.parse(submitted.body!);
    const messages = await events.receive(10, 1);
    await events.settle(messages, await worker(events.toEvent(messages), lambdaContext(60_000)));

    const job = JSON.parse((await api(apiEvent({ method: "GET", path: `/jobs/${jobId}` }))).body!);
    expect(job.status).to.equal("FAILED");
    expect(job.error).to.deep.equal({ code: "DEMO_PERMANENT", message: "demo.unreliable was asked to fail permanently", retryable: false });
    const missing = await api(apiEvent({ method: "GET", path: "/jobs/00000000-0000-4000-8000-000000000000" }));
    expect(missing.statusCode).to.equal(404);
  });
});
