import { expect } from "chai";
import { builtInJobTypes, createRegistry } from "../../handlers/domain/jobTypes";
import { jsonLogger } from "../../handlers/log";
import { METRICS, OTHER_ERROR_CODE, type MetricName } from "../../handlers/metrics";
import { apiEvent, lambdaContext, type ApiRequest } from "../helpers/events";
import { countingJobType, TestStack } from "../helpers/stack";

type LogRecord = Record<string, any>;

/** Every (metric, dimension set) pair the catalog defines, as `Name[Dim,Dim]`. */
function catalogPairs(): string[] {
  return (Object.entries(METRICS) as [MetricName, (typeof METRICS)[MetricName]][]).flatMap(([name, definition]) =>
    definition.dimensionSets.map((set) => `${name}[${[...set].sort().join(",")}]`),
  );
}

/** The (metric, dimension set) pairs an EMF record publishes, checked for well-formedness on the way. */
function emittedPairs(record: LogRecord): string[] {
  const pairs: string[] = [];
  for (const directive of record._aws?.CloudWatchMetrics ?? []) {
    expect(directive.Namespace, "namespace").to.equal("CloudQueue/test");
    for (const metric of directive.Metrics) {
      expect(record[metric.Name], `${metric.Name} value in ${record.event}`).to.be.a("number");
      expect(metric.Unit).to.equal(METRICS[metric.Name as MetricName].unit);
      for (const set of directive.Dimensions as string[][]) {
        for (const dimension of set) expect(record[dimension], `${dimension} of ${metric.Name}`).to.be.a("string");
        pairs.push(`${metric.Name}[${[...set].sort().join(",")}]`);
      }
    }
  }
  return pairs;
}

describe("observability: the records and metrics the handlers emit", function () {
  this.timeout(60_000);
  const records: LogRecord[] = [];
  const lines: string[] = [];
  let stack: TestStack;
  const logger = jsonLogger({ namespace: "CloudQueue/test", write: (line) => lines.push(line) });

  before(async () => {
    const executions = new Map<string, number>();
    // A quick job type (timeout 1 s, two attempts) so a run can time out twice in seconds.
    const slow = { ...countingJobType(executions, { timeoutSeconds: 1, maxAttempts: 2 }), type: "test.slow" };
    stack = await TestStack.start({ logger, jobTypes: createRegistry([...builtInJobTypes.values(), countingJobType(executions), slow]) });
  });
  after(async () => stack?.close());

  const requestIds = new Map<string, string>();
  async function request(req: ApiRequest) {
    const event = apiEvent(req);
    const response = await stack.api(event, { awsRequestId: `lambda-${event.requestContext.requestId}` });
    stack.assertConforms(event, response);
    const json = response.body ? JSON.parse(response.body) : undefined;
    if (json?.jobId) requestIds.set(json.jobId, event.requestContext.requestId);
    return { ...response, json };
  }
  const parsed = () => {
    records.length = 0;
    for (const line of lines) records.push(JSON.parse(line));
    return records;
  };

  it("write one JSON object per line, with timestamp, level and event first, and the API request id", async () => {
    const submitted = await request({ method: "POST", path: "/jobs", body: { type: "text.transform", payload: { text: "one two" } } });
    expect(submitted.statusCode).to.equal(202);
    const jobId = submitted.json.jobId;
    await stack.runUntilTerminal([jobId]);
    for (const line of lines) {
      expect(line).to.not.include("\n");
      const record = JSON.parse(line);
      expect(Object.keys(record).slice(0, 2)).to.deep.equal(["timestamp", "level"]);
      expect(new Date(record.timestamp).toISOString()).to.equal(record.timestamp);
      expect(record.event).to.be.a("string");
    }
    const story = parsed().filter((record) => record.jobId === jobId && record.event === "job.transition");
    expect(story.map((record) => `${record.from}→${record.to}@${record.by}`)).to.deep.equal(["null→QUEUED@api", "QUEUED→IN_PROGRESS@worker", "IN_PROGRESS→SUCCEEDED@worker"]);
    // The API's request id travels with the job: stored, and on the message the worker got.
    for (const record of story) expect(record.apiRequestId, `${record.to}`).to.equal(requestIds.get(jobId));
    expect(story[0]!.requestId).to.equal(`lambda-${requestIds.get(jobId)}`);
    const [submittedRecord, claimed, succeeded] = story as [LogRecord, LogRecord, LogRecord];
    expect(submittedRecord).to.include({ type: "text.transform", attempt: 0, JobsSubmitted: 1 });
    expect(claimed).to.include({ attempt: 1 });
    expect(claimed.waitMs).to.be.a("number").at.least(0);
    expect(succeeded.runMs).to.be.a("number").at.least(0);
    expect(succeeded.totalMs).to.be.a("number").at.least(succeeded.runMs);
    expect(succeeded).to.include({ JobsSucceeded: 1, JobType: "text.transform" });
    const apiRecord = records.find((record) => record.event === "api.request" && record.apiRequestId === requestIds.get(jobId));
    expect(apiRecord).to.include({ route: "submitJob", status: 202, Route: "submitJob", StatusClass: "2xx", ApiRequests: 1 });
  });

  it("give a failure its error code, a declared code its own ErrorCode dimension and any other code OTHER", async () => {
    const declared = await request({ method: "POST", path: "/jobs", body: { type: "demo.unreliable", payload: { sleepMs: 0, failAttempts: 0, permanent: true } } });
    const undeclared = await request({ method: "POST", path: "/jobs", body: { type: "test.counted", payload: { key: "perm", permanent: true } } });
    await stack.runUntilTerminal([declared.json.jobId, undeclared.json.jobId]);
    const failed = (jobId: string) => parsed().find((record) => record.jobId === jobId && record.to === "FAILED")!;
    expect(failed(declared.json.jobId)).to.include({ error: "DEMO_PERMANENT", ErrorCode: "DEMO_PERMANENT", JobsFailed: 1 });
    expect(failed(undeclared.json.jobId)).to.include({ error: "TEST_PERMANENT", ErrorCode: OTHER_ERROR_CODE, JobsFailed: 1 });
    expect(failed(undeclared.json.jobId).totalMs).to.be.a("number");
  });

  it("count retries, timeouts, cancels and client retries, and a wait that starts at the retry time", async () => {
    const transient = await request({ method: "POST", path: "/jobs", body: { type: "test.counted", payload: { key: "transient", failTimes: 1 } } });
    const slow = await request({ method: "POST", path: "/jobs", body: { type: "test.slow", payload: { key: "slow", holdMs: 10_000 } } });
    const delayed = await request({ method: "POST", path: "/jobs", body: { type: "text.transform", payload: { text: "later" }, delaySeconds: 600 } });
    expect((await request({ method: "DELETE", path: `/jobs/${delayed.json.jobId}` })).statusCode).to.equal(200);
    // 1.5 s of Lambda time: a cut-off attempt's lease ends soon, so its retry comes back soon.
    await stack.runUntilTerminal([transient.json.jobId, slow.json.jobId], { timeoutMs: 20_000, remainingMs: 1_500 });
    const retried = await request({ method: "POST", path: `/jobs/${slow.json.jobId}/retry` });
    expect(retried.statusCode).to.equal(202);

    const of = (jobId: string) => parsed().filter((record) => record.jobId === jobId && record.event === "job.transition");
    const transientStory = of(transient.json.jobId);
    const retry = transientStory.find((record) => record.to === "QUEUED" && record.from === "IN_PROGRESS")!;
    expect(retry).to.include({ JobsRetried: 1, error: "JOB_ERROR", attempt: 1 });
    const secondClaim = transientStory.find((record) => record.to === "IN_PROGRESS" && record.attempt === 2)!;
    // Backoff is 1 s: measured from the retry time, the second wait is short, not 1 s longer.
    expect(secondClaim.waitMs).to.be.a("number").below(1_000);
    const slowStory = of(slow.json.jobId);
    expect(slowStory.filter((record) => record.JobsTimedOut === 1).map((record) => record.to)).to.deep.equal(["QUEUED", "FAILED"]);
    expect(slowStory.at(-1)).to.include({ from: "FAILED", to: "QUEUED", by: "api", retry: true, JobsRetried: 1 });
    expect(of(delayed.json.jobId).at(-1)).to.include({ from: "QUEUED", to: "CANCELED", JobsCanceled: 1 });
  });

  it("count a takeover of an expired lease as a timed-out attempt that is retried", async () => {
    await stack.purge();
    const submitted = await request({ method: "POST", path: "/jobs", body: { type: "test.counted", payload: { key: "zombie", holdMs: 50 } } });
    const jobId = submitted.json.jobId;
    const [message] = await stack.events.receive(1, 0);
    // Worker A's lease ends 300 ms in and its commit stalls for a second; worker B takes over.
    const stalledStore = Object.create(stack.store, {
      commit: {
        value: async (...args: Parameters<typeof stack.store.commit>) => {
          await new Promise((resolve) => setTimeout(resolve, 1_000));
          return stack.store.commit(...args);
        },
      },
    });
    const zombie = stack.worker({ store: stalledStore })(stack.events.toEvent([message!]), lambdaContext(300));
    await new Promise((resolve) => setTimeout(resolve, 400));
    await stack.queue.enqueue(jobId, 0, requestIds.get(jobId));
    await stack.deliverOnce(stack.worker(), { waitSeconds: 0 });
    await zombie;
    const takeover = parsed().find((record) => record.jobId === jobId && record.from === "IN_PROGRESS" && record.to === "IN_PROGRESS")!;
    expect(takeover).to.include({ attempt: 2, JobsRetried: 1, JobsTimedOut: 1 });
    expect(takeover).to.not.have.property("waitMs");
  });

  it("emit every metric of the catalog with every one of its dimension sets (a dashboard never names a metric the code never emits)", () => {
    const emitted = new Set(parsed().flatMap(emittedPairs));
    expect([...emitted].sort()).to.deep.equal(catalogPairs().sort());
  });
});
