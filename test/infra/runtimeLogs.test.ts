import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import type { SQSEvent } from "aws-lambda";
import { REQUEST_ID_ATTRIBUTE } from "../../handlers/adapters/sqsJobQueue";
import { LOG_LEVELS } from "../../handlers/log";
import { METRICS, type MetricName } from "../../handlers/metrics";
import { ENV } from "../../handlers/settings";
import { awsEnvironmentFor, LOCAL_AWS, startEmulators, type Emulators } from "../../local/emulators";
import { freePort } from "../../local/ports";
import { SqsEventSource } from "../../local/sqsEvents";
import { apiEvent, type ApiRequest } from "../helpers/events";
import { unpackArtifact, type UnpackedArtifact } from "./artifact";
import { LambdaSandbox, type Invocation, type SandboxOptions } from "./fakeRuntimeApi";
import { named, sharedRun, siteFixture, type ProgramRun } from "./program";

/**
 * The log records as CloudWatch would receive them. Each uploaded archive runs in its own node
 * process under the real runtime client (aws-lambda-ric, the code of the managed nodejs22.x
 * runtime), with the environment Lambda sets for the function's declared JSON log format, against
 * the emulators. Unit tests of the logger cannot show what the client's console patch does to a
 * line; this can: what the code writes on stdout must arrive as one JSON object per line with its
 * fields at the top level, named with the invocation's request id.
 *
 * Set CLOUDQUEUE_TEST_LOGS=1 to print every invocation's output as the process wrote it.
 */

type Fn = "api" | "worker" | "sweeper";
type LogRecord = Record<string, any>;

const ACCOUNT_ID = "123456789012";
const RFC_3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

describe("infra: the uploaded code's log records under Lambda's runtime client (JSON log format)", function () {
  this.timeout(60_000);
  let run: ProgramRun;
  let emulators: Emulators;
  const artifacts = {} as Record<Fn, UnpackedArtifact>;
  const sandboxes = {} as Record<Fn, LambdaSandbox>;
  const started: LambdaSandbox[] = [];
  let fixtureDir: string;

  before(async () => {
    run = await sharedRun({}, siteFixture());
    for (const fn of ["api", "worker", "sweeper"] as const) artifacts[fn] = await unpackArtifact(declaredFunction(fn).code, fn);
    emulators = await startEmulators({ tableName: `logs-jobs-${Date.now()}`, queueName: `logs-${Date.now()}`, dlqName: `logs-dlq-${Date.now()}` });
    expect(process.versions.node.split(".")[0], "these tests stand for the nodejs22.x runtime: run them on Node 22").to.equal(declaredFunction("api").runtime.match(/^nodejs(\d+)\.x$/)?.[1]);
    for (const fn of ["api", "worker", "sweeper"] as const) expect(declaredFunction(fn).loggingConfig.logFormat, `${fn}'s log format`).to.equal("JSON");
    await Promise.all((["api", "worker", "sweeper"] as const).map(async (fn) => (sandboxes[fn] = await startSandbox(sandboxOptions(fn)))));
    fixtureDir = writeFixtureHandlers();
  });

  after(async () => {
    await Promise.all(started.map((sandbox) => sandbox.stop()));
    await emulators?.close();
    if (fixtureDir) fs.rmSync(fixtureDir, { recursive: true, force: true });
    // unpackArtifact's folder: the task dir and the runtime SDK link beside it.
    for (const artifact of Object.values(artifacts)) fs.rmSync(path.dirname(artifact.taskDir), { recursive: true, force: true });
  });

  function declaredFunction(fn: Fn): Record<string, any> {
    return named(run, `cloudqueue-${fn}`, "aws:lambda/function:Function").inputs;
  }

  /** The sandbox Lambda would start for `fn`: its declared configuration, its variables pointed at the emulators. */
  function sandboxOptions(fn: Fn, overrides: { environment?: Record<string, string>; applicationLogLevel?: string } = {}): SandboxOptions {
    const declared = declaredFunction(fn);
    return {
      taskDir: artifacts[fn].taskDir,
      handler: declared.handler,
      runtime: declared.runtime,
      functionName: `cloudqueue-${fn}`,
      memorySize: declared.memorySize ?? 128,
      timeoutSeconds: declared.timeout ?? 3,
      logging: { ...declared.loggingConfig, ...(overrides.applicationLogLevel && { applicationLogLevel: overrides.applicationLogLevel }) },
      region: LOCAL_AWS.region,
      accountId: ACCOUNT_ID,
      environment: {
        ...declared.environment.variables,
        [ENV.tableName]: emulators.tableName,
        [ENV.queueUrl]: emulators.queueUrl,
        // So a job whose message was lost is due for repair after one second, not two minutes.
        [ENV.sweepGraceSeconds]: "1",
        ...awsEnvironmentFor(emulators),
        ...overrides.environment,
      },
    };
  }

  async function startSandbox(options: SandboxOptions): Promise<LambdaSandbox> {
    const sandbox = await LambdaSandbox.start(options);
    started.push(sandbox);
    return sandbox;
  }

  /** Invokes, prints the output when asked, and checks what holds for every invocation of CloudQueue's code. */
  async function invoke(fn: Fn, sandbox: LambdaSandbox, event: unknown, label: string = fn): Promise<{ invocation: Invocation; records: LogRecord[]; response: any }> {
    const invocation = await sandbox.invoke(event);
    if (process.env.CLOUDQUEUE_TEST_LOGS) printOutput(label, invocation);
    expect(invocation.outcome, `${label}: outcome`).to.have.property("ok", true);
    expect(invocation.stderr, `${label}: stderr`).to.equal("");
    expect(invocation.telemetry.map((frame) => frame.payload), `${label}: console records (the code writes stdout only)`).to.deep.equal([]);
    const records = invocation.stdout.map((line) => parseRecord(line, label));
    for (const record of records) expectLambdaRecord(record, invocation, label);
    for (const record of records.filter((candidate) => "_aws" in candidate)) expectWellFormedEmf(record, invocation, declaredFunction(fn).environment.variables[ENV.metricsNamespace]);
    return { invocation, records, response: invocation.outcome.ok ? invocation.outcome.response : undefined };
  }

  async function submit(request: ApiRequest, apiRequestId: string) {
    const event = apiEvent(request);
    event.requestContext.requestId = apiRequestId;
    const submitted = await invoke("api", sandboxes.api, event, `api ${request.method} ${request.path}`);
    expect(submitted.response.statusCode, "POST /jobs status").to.equal(202);
    return { ...submitted, jobId: JSON.parse(submitted.response.body).jobId as string };
  }

  /** Receives the queue's messages as Lambda's event source mapping would, checking they carry `apiRequestId`. */
  async function receive(events: SqsEventSource, jobId: string, apiRequestId: string) {
    // No long poll: the message was sent before the invocation that sent it returned, and the
    // emulator, one server, answers a short poll from the whole queue (SQS's samples a subset).
    const messages = await events.receive(10, 0);
    expect(messages.map((message) => JSON.parse(message.Body!).jobId)).to.deep.equal([jobId]);
    const event: SQSEvent = events.toEvent(messages);
    expect(event.Records[0]!.messageAttributes[REQUEST_ID_ATTRIBUTE], `the ${REQUEST_ID_ATTRIBUTE} message attribute, as the worker's event has it`).to.deep.include({ dataType: "String", stringValue: apiRequestId });
    return { messages, event };
  }

  async function work(events: SqsEventSource, jobId: string, apiRequestId: string) {
    const { messages, event } = await receive(events, jobId, apiRequestId);
    const worked = await invoke("worker", sandboxes.worker, event);
    expect(worked.response).to.deep.equal({ batchItemFailures: [] });
    await events.settle(messages, worked.response);
    for (const record of worked.records) expect(record, `worker ${record.event}: the api's request id`).to.include({ apiRequestId });
    return worked;
  }

  /**
   * Nothing written outside an invocation, init included (Lambda would file such a line under no
   * request id, or the next one's), and nothing a real Runtime API would have refused.
   */
  function expectNothingBetweenInvocations(...used: LambdaSandbox[]): void {
    for (const sandbox of used) {
      const written = sandbox.outsideInvocations.flatMap((output) => [...output.stdout, ...output.telemetry.map((frame) => frame.payload), output.stderr].filter(Boolean));
      expect(written, "output outside any invocation").to.deep.equal([]);
      expect(sandbox.violations, "what a real Runtime API would have refused").to.deep.equal([]);
    }
  }

  it("tell one job's story: api and worker records are top-level JSON named with each invocation's request id, and carry the api's request id", async () => {
    const apiRequestId = `api-${randomUUID()}`;
    const events = new SqsEventSource(emulators.sqs, emulators.queueUrl, emulators.queueArn);

    const api = await submit({ method: "POST", path: "/jobs", body: { type: "text.transform", payload: { text: "hello log world" } } }, apiRequestId);
    expect(api.records.map((record) => record.event)).to.deep.equal(["job.transition", "api.request"]);
    const [submitted, request] = api.records as [LogRecord, LogRecord];
    expect(submitted).to.include({ jobId: api.jobId, type: "text.transform", from: null, to: "QUEUED", attempt: 0, by: "api", apiRequestId });
    expect(metricValues(submitted)).to.deep.equal({ JobsSubmitted: 1 });
    expect(request).to.include({ route: "submitJob", method: "POST", path: "/jobs", status: 202, apiRequestId, Route: "submitJob", StatusClass: "2xx" });
    expect(metricValues(request)).to.deep.equal({ ApiRequests: 1 });

    const worker = await work(events, api.jobId, apiRequestId);
    expect(worker.invocation.requestId).to.not.equal(api.invocation.requestId);
    expect(worker.records.map((record) => `${record.event} ${record.from}→${record.to}`)).to.deep.equal(["job.transition QUEUED→IN_PROGRESS", "job.transition IN_PROGRESS→SUCCEEDED"]);
    const [claimed, succeeded] = worker.records as [LogRecord, LogRecord];
    const storyMs = worker.invocation.reportedMs - api.invocation.dispatchedMs;
    expect(claimed).to.include({ jobId: api.jobId, type: "text.transform", attempt: 1, by: "worker" });
    expect(claimed.waitMs).to.be.a("number").within(0, storyMs);
    expect(metricValues(claimed)).to.deep.equal({ WaitMs: claimed.waitMs });
    expect(succeeded).to.include({ jobId: api.jobId, type: "text.transform", attempt: 1, by: "worker" });
    expect(succeeded).to.not.have.property("error");
    expect(succeeded.runMs).to.be.a("number").within(0, worker.invocation.reportedMs - worker.invocation.dispatchedMs);
    expect(succeeded.totalMs).to.be.a("number").within(succeeded.runMs, storyMs);
    expect(metricValues(succeeded)).to.deep.equal({ JobsSucceeded: 1, RunMs: succeeded.runMs, TotalMs: succeeded.totalMs });

    expectNothingBetweenInvocations(sandboxes.api, sandboxes.worker);
  });

  it("log a failed job's error code at the top level, and count it by that code (EMF JobsFailed with ErrorCode)", async () => {
    const apiRequestId = `api-${randomUUID()}`;
    const events = new SqsEventSource(emulators.sqs, emulators.queueUrl, emulators.queueArn);
    const api = await submit({ method: "POST", path: "/jobs", body: { type: "demo.unreliable", payload: { sleepMs: 1, failAttempts: 0, permanent: true } } }, apiRequestId);

    const worker = await work(events, api.jobId, apiRequestId);
    const failed = worker.records.find((record) => record.event === "job.transition" && record.to === "FAILED");
    expect(failed, "the IN_PROGRESS→FAILED record").to.include({ jobId: api.jobId, type: "demo.unreliable", from: "IN_PROGRESS", attempt: 1, by: "worker", error: "DEMO_PERMANENT", ErrorCode: "DEMO_PERMANENT", JobType: "demo.unreliable" });
    expect(failed!.runMs).to.be.a("number");
    expect(failed!.totalMs).to.be.a("number").at.least(failed!.runMs);
    expect(metricValues(failed!)).to.deep.equal({ JobsFailed: 1, RunMs: failed!.runMs, TotalMs: failed!.totalMs });
    expectNothingBetweenInvocations(sandboxes.api, sandboxes.worker);
  });

  it("have the sweeper, run once, repair a job whose message was lost, naming the api's request id in its record and in the new message", async () => {
    const apiRequestId = `api-${randomUUID()}`;
    const events = new SqsEventSource(emulators.sqs, emulators.queueUrl, emulators.queueArn);
    const api = await submit({ method: "POST", path: "/jobs", body: { type: "hash.digest", payload: { text: "abc", algorithm: "sha256" } } }, apiRequestId);
    const lost = await receive(events, api.jobId, apiRequestId);
    await events.settle(lost.messages, { batchItemFailures: [] }); // deleted unprocessed: the message is gone
    // Due one grace second after its creation (sweepGraceSeconds=1).
    const dueMs = Date.parse(JSON.parse(api.response.body).createdAt) + 1_000;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, dueMs - Date.now() + 100)));

    const sweeper = await invoke("sweeper", sandboxes.sweeper, scheduledEvent());
    expect(sweeper.response.requeued, "jobs requeued").to.be.at.least(1);
    const requeued = sweeper.records.filter((record) => record.event === "sweeper.requeued" && record.jobId === api.jobId);
    expect(requeued, "the sweeper.requeued record of the job").to.have.length(1);
    expect(requeued[0]).to.include({ status: "QUEUED", apiRequestId });
    const report = sweeper.records.filter((record) => record.event === "sweeper.run");
    expect(report, "one sweeper.run record").to.have.length(1);
    expect(report[0]).to.include({ examined: sweeper.response.examined, requeued: sweeper.response.requeued });
    expect(report[0], "the run's record is about no one job").to.not.have.property("apiRequestId");

    const worker = await work(events, api.jobId, apiRequestId);
    expect(worker.records.map((record) => record.to)).to.deep.equal(["IN_PROGRESS", "SUCCEEDED"]);
    expectNothingBetweenInvocations(sandboxes.api, sandboxes.sweeper, sandboxes.worker);
  });

  it("show why the code does not log through console: the client's patch nests a JSON line into `message` as a string", async () => {
    const sandbox = await startSandbox({ ...sandboxOptions("api"), taskDir: fixtureDir, handler: "consoleLogging.handler" });
    const invocation = await sandbox.invoke({});
    if (process.env.CLOUDQUEUE_TEST_LOGS) printOutput("console fixture", invocation);

    expect(invocation.stdout, "with the telemetry fd set, console writes nothing on stdout").to.deep.equal([]);
    expect(invocation.telemetry.map((frame) => `${frame.format} ${frame.level}`)).to.deep.equal(["JSON INFO", "JSON WARN"]);
    const info = JSON.parse(invocation.telemetry[0]!.payload);
    expect(Object.keys(info)).to.deep.equal(["timestamp", "level", "requestId", "message"]);
    expect(info).to.include({ level: "INFO", requestId: invocation.requestId, message: JSON.stringify({ event: "x", jobId: "j-1" }) });
    expect(info, "the fields are not top-level").to.not.have.any.keys("event", "jobId");
  });

  it("write no INFO record under AWS_LAMBDA_LOG_LEVEL=WARN, while WARN records still pass", async () => {
    // An unreachable queue makes the api write a WARN record (the enqueue is left to the sweeper).
    // The SQS client sends to the queue URL's host, so both point at the closed port.
    const unreachable = `http://127.0.0.1:${await freePort()}`;
    const environment = { AWS_ENDPOINT_URL_SQS: unreachable, [ENV.queueUrl]: `${unreachable}/${ACCOUNT_ID}/unreachable` };
    const api = await startSandbox(sandboxOptions("api", { applicationLogLevel: "WARN", environment }));
    const event = apiEvent({ method: "POST", path: "/jobs", body: { type: "text.transform", payload: { text: "quiet" } } });
    const submitted = await invoke("api", api, event, "api at WARN");
    expect(submitted.response.statusCode).to.equal(202);
    const { jobId } = JSON.parse(submitted.response.body);
    expect(submitted.records.map((record) => record.level).filter((level) => ["TRACE", "DEBUG", "INFO"].includes(level)), "records below WARN").to.deep.equal([]);
    expect(submitted.records.filter((record) => record.level === "WARN" && record.jobId === jobId), "a WARN record about the job").to.have.length.at.least(1);

    const console_ = await startSandbox({ ...sandboxOptions("api", { applicationLogLevel: "WARN" }), taskDir: fixtureDir, handler: "consoleLogging.handler" });
    const quiet = await console_.invoke({});
    expect(quiet.telemetry.map((frame) => frame.level), "the client's console at WARN").to.deep.equal(["WARN"]);
    expectNothingBetweenInvocations(api, console_);
  });

  it("run a callback-style handler, as the nodejs22.x runtime does: why aws-lambda-ric is pinned to 3.3.0 (4.x refuses them)", async () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(path.dirname(require.resolve("aws-lambda-ric")), "../package.json"), "utf8"));
    const ours = JSON.parse(fs.readFileSync(path.resolve(__dirname, "../../package.json"), "utf8"));
    expect(manifest.version, "installed aws-lambda-ric").to.equal("3.3.0");
    expect(ours.devDependencies["aws-lambda-ric"], "package.json pins it exactly").to.equal("3.3.0");

    const callbacks = await startSandbox({ ...sandboxOptions("api"), taskDir: fixtureDir, handler: "callbackStyle.handler" });
    const answered = await callbacks.invoke({ ping: 1 });
    expect(answered.outcome).to.deep.equal({ ok: true, response: { echoed: { ping: 1 }, awsRequestId: answered.requestId } });
    const failing = await startSandbox({ ...sandboxOptions("api"), taskDir: fixtureDir, handler: "callbackStyle.failing" });
    const failed = await failing.invoke({});
    expect(failed.outcome).to.deep.include({ ok: false });
    expect(failed.outcome.ok === false && failed.outcome.error).to.include({ errorType: "Error", errorMessage: "callback failure" });
    expectNothingBetweenInvocations(callbacks, failing);
  });

  it("surface an archive that cannot load as the runtime's init error, as Lambda reports it", async () => {
    const broken = await startSandbox({ ...sandboxOptions("api"), taskDir: fixtureDir, handler: "missingPackage.handler" });
    let failure: Error | undefined;
    await broken.invoke({}).catch((error: Error) => (failure = error));
    expect(failure?.message).to.match(/init error: Runtime\.ImportModuleError: Error: Cannot find module 'a-package-the-archive-lacks'/);
  });
});

/** One stdout line as a record: exactly one JSON object. */
function parseRecord(line: string, label: string): LogRecord {
  let record: unknown;
  expect(() => (record = JSON.parse(line)), `${label}: a stdout line that is not JSON: ${line}`).to.not.throw();
  expect(record, `${label}: a stdout line that is not one JSON object: ${line}`).to.be.an("object").and.not.an("array");
  return record as LogRecord;
}

/** What Lambda needs of a record to file and filter it, and what a query needs to find its invocation. */
function expectLambdaRecord(record: LogRecord, invocation: Invocation, label: string): void {
  const what = `${label}: ${record.event}`;
  expect(record.timestamp, `${what}: timestamp`).to.be.a("string").and.match(RFC_3339);
  expect(Date.parse(record.timestamp), `${what}: timestamp inside the invocation`).to.be.within(invocation.dispatchedMs, invocation.reportedMs);
  expect(LOG_LEVELS, `${what}: level`).to.include(record.level);
  expect(record.requestId, `${what}: requestId`).to.equal(invocation.requestId);
  expect(record.event, `${what}: event`).to.be.a("string").and.not.empty;
}

/**
 * An EMF record CloudWatch Logs would extract: every metric a directive names has a numeric
 * top-level value (in the catalog's unit), every dimension of every set a string value, the
 * dimension sets are the catalog's, and the timestamp is epoch ms inside the invocation.
 */
function expectWellFormedEmf(record: LogRecord, invocation: Invocation, namespace: string | undefined): void {
  const what = `EMF of ${record.event}`;
  const aws = record._aws;
  expect(aws.Timestamp, `${what}: Timestamp`).to.be.a("number").within(invocation.dispatchedMs, invocation.reportedMs);
  expect(aws.CloudWatchMetrics, `${what}: directives`).to.be.an("array").that.is.not.empty;
  for (const directive of aws.CloudWatchMetrics) {
    expect(directive.Namespace, `${what}: the namespace the function is configured with`).to.be.a("string").that.equals(namespace);
    expect(directive.Metrics, `${what}: metrics`).to.be.an("array").that.is.not.empty;
    for (const metric of directive.Metrics) {
      expect(METRICS, `${what}: a catalogued metric`).to.have.property(metric.Name);
      const definition = METRICS[metric.Name as MetricName];
      expect(metric.Unit, `${what}: ${metric.Name}'s unit`).to.equal(definition.unit);
      expect(record[metric.Name], `${what}: ${metric.Name}'s value`).to.be.a("number").and.satisfy(Number.isFinite);
      expect(directive.Dimensions, `${what}: ${metric.Name}'s dimension sets`).to.deep.equal(definition.dimensionSets);
    }
    for (const dimension of directive.Dimensions.flat()) expect(record[dimension], `${what}: dimension ${dimension}`).to.be.a("string").and.not.empty;
  }
}

/** The metrics an EMF record publishes, with their values. */
function metricValues(record: LogRecord): Record<string, number> {
  const names: string[] = (record._aws?.CloudWatchMetrics ?? []).flatMap((directive: any) => directive.Metrics.map((metric: any) => metric.Name));
  return Object.fromEntries(names.map((name) => [name, record[name]]));
}

/** What EventBridge Scheduler sends the sweeper. */
function scheduledEvent() {
  return { version: "0", id: randomUUID(), "detail-type": "Scheduled Event", source: "aws.events", account: ACCOUNT_ID, time: new Date().toISOString(), region: LOCAL_AWS.region, resources: [], detail: {} };
}

/** Handlers that are not CloudQueue's, to show what the runtime client does with other code. */
function writeFixtureHandlers(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cloudqueue-ric-fixtures-"));
  fs.writeFileSync(
    path.join(dir, "consoleLogging.js"),
    `exports.handler = async () => {\n  console.info(JSON.stringify({ event: "x", jobId: "j-1" }));\n  console.warn("a warning");\n  return null;\n};\n`,
  );
  fs.writeFileSync(path.join(dir, "missingPackage.js"), `require("a-package-the-archive-lacks");\nexports.handler = async () => null;\n`);
  fs.writeFileSync(
    path.join(dir, "callbackStyle.js"),
    [
      "exports.handler = (event, context, callback) => {",
      "  setTimeout(() => callback(null, { echoed: event, awsRequestId: context.awsRequestId }), 5);",
      "};",
      "exports.failing = (event, context, callback) => callback(new Error(\"callback failure\"));",
      "",
    ].join("\n"),
  );
  return dir;
}

/** The invocation's output as the process wrote it: stdout lines, then the client's telemetry records. */
function printOutput(label: string, invocation: Invocation): void {
  console.log(`      ── ${label} (Lambda-Runtime-Aws-Request-Id ${invocation.requestId})`);
  for (const line of invocation.stdout) console.log(line);
  for (const frame of invocation.telemetry) console.log(`[telemetry fd, ${frame.format} ${frame.level}] ${frame.payload}`);
  if (invocation.stderr) console.log(`[stderr] ${invocation.stderr}`);
}
