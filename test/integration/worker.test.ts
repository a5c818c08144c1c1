import { expect } from "chai";
import { createRegistry, builtInJobTypes } from "../../handlers/domain/jobTypes";
import { lambdaContext } from "../helpers/events";
import { countingJobType, TestStack } from "../helpers/stack";

const counted = (key: string, extra: Record<string, unknown> = {}) => ({ type: "test.counted", payload: { key, ...extra } });

describe("worker handler against DynamoDB and SQS emulators", function () {
  let stack: TestStack;
  before(async () => (stack = await TestStack.start()));
  after(async () => stack.close());
  beforeEach(async () => stack.purge());

  it("runs a job to SUCCEEDED with its result, timestamps and one attempt", async () => {
    const jobId = await stack.submit({ type: "text.transform", payload: { text: "hello cloudqueue" } });
    const [job] = await stack.runUntilTerminal([jobId]);

    expect(job).to.deep.include({ status: "SUCCEEDED", attempts: 1, result: { originalLength: 16, uppercase: "HELLO CLOUDQUEUE", wordCount: 2 } });
    expect(job!.startedAt).to.be.a("string");
    expect(job!.finishedAt).to.be.a("string");
    expect(job).to.not.have.any.keys("leaseExpiresAt", "error");
    expect(await stack.queueDepth()).to.equal(0);
  });

  it("sends a retryable failure back to QUEUED with backoff, then succeeds", async () => {
    const jobId = await stack.submit(counted("retry-then-success", { failTimes: 1 }));
    const first = await stack.deliverOnce(stack.worker(), { waitSeconds: 0 });

    expect(first.response?.batchItemFailures).to.deep.equal([{ itemIdentifier: first.messages[0]!.MessageId }]);
    const waiting = await stack.job(jobId);
    expect(waiting).to.deep.include({ status: "QUEUED", attempts: 1 });
    expect(waiting.error).to.include({ code: "JOB_ERROR", retryable: true });
    // The message is invisible for the backoff (1 s here): it is not redelivered at once.
    expect((await stack.events.receive(10, 0)).length).to.equal(0);

    const [job] = await stack.runUntilTerminal([jobId]);
    expect(job).to.deep.include({ status: "SUCCEEDED", attempts: 2, result: { key: "retry-then-success", attempt: 2 } });
    expect(job).to.not.have.property("error");
    expect(stack.executions.get("retry-then-success")).to.equal(2);
  });

  it("fails a job at once on a non-retryable failure", async () => {
    const jobId = await stack.submit(counted("permanent", { permanent: true }));
    const [job] = await stack.runUntilTerminal([jobId]);

    expect(job).to.deep.include({ status: "FAILED", attempts: 1, error: { code: "TEST_PERMANENT", message: "permanent test failure", retryable: false } });
    expect(stack.executions.get("permanent")).to.equal(1);
    expect(await stack.queueDepth()).to.equal(0);
  });

  it("fails a job with its last error once its attempts are exhausted", async () => {
    const jobId = await stack.submit(counted("exhausted", { failTimes: 99 }));
    const [job] = await stack.runUntilTerminal([jobId], { timeoutMs: 20_000 });

    expect(job).to.deep.include({ status: "FAILED", attempts: 3 });
    expect(job!.error).to.include({ code: "JOB_ERROR", message: "transient test failure 3", retryable: true });
    expect(stack.executions.get("exhausted")).to.equal(3);
    expect(await stack.queueDepth()).to.equal(0);
  });

  it("runs a job once when its message is delivered five times", async () => {
    const jobId = await stack.submit(counted("five-deliveries"));
    for (let copy = 0; copy < 4; copy++) await stack.sendRaw(JSON.stringify({ jobId }));

    const [job] = await stack.runUntilTerminal([jobId]);
    await stack.deliverOnce(stack.worker(), { waitSeconds: 0 });

    expect(job).to.include({ status: "SUCCEEDED", attempts: 1 });
    expect(stack.executions.get("five-deliveries")).to.equal(1);
    expect(await stack.queueDepth()).to.equal(0);
  });

  it("runs a job once when two workers race on the same message", async () => {
    const jobId = await stack.submit(counted("race", { holdMs: 100 }));
    const messages = await stack.events.receive(10, 0);
    const event = stack.events.toEvent(messages);

    const [a, b] = await Promise.all([stack.worker()(event, lambdaContext()), stack.worker()(event, lambdaContext())]);

    expect(stack.executions.get("race")).to.equal(1);
    expect(a.batchItemFailures).to.deep.equal([]);
    expect(b.batchItemFailures).to.deep.equal([]);
    expect(await stack.job(jobId)).to.include({ status: "SUCCEEDED", attempts: 1 });
  });

  it("reclaims a job whose lease expired, and rejects the stale worker's late commit", async () => {
    const jobId = await stack.submit(counted("zombie", { holdMs: 50 }));
    const [message] = await stack.events.receive(1, 0);
    // Worker A has 300 ms of Lambda time left, so its lease ends then; its run finishes in time
    // but its commit stalls for a second (a network stall, a long GC pause).
    const stalledStore = Object.create(stack.store, {
      commit: { value: async (...args: Parameters<typeof stack.store.commit>) => {
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        return stack.store.commit(...args);
      } },
    });
    const zombie = stack.worker({ store: stalledStore })(stack.events.toEvent([message!]), lambdaContext(300));
    await new Promise((resolve) => setTimeout(resolve, 400));

    // Worker B gets another delivery after A's lease expired, reclaims the job and finishes it.
    await stack.sendRaw(JSON.stringify({ jobId }));
    await stack.deliverOnce(stack.worker(), { waitSeconds: 0 });
    const afterReclaim = await stack.job(jobId);

    const zombieResponse = await zombie;
    const final = await stack.job(jobId);
    expect(afterReclaim).to.deep.include({ status: "SUCCEEDED", attempts: 2, result: { key: "zombie", attempt: 2 } });
    expect(final).to.deep.equal(afterReclaim);
    expect(stack.executions.get("zombie")).to.equal(2);
    // A's commit was refused and its message acknowledged: the newer attempt owns the job.
    expect(zombieResponse.batchItemFailures).to.deep.equal([]);
  });

  it("never runs a canceled job", async () => {
    const response = await stack.request({ method: "POST", path: "/jobs", body: { ...counted("canceled"), delaySeconds: 1 } });
    const jobId = response.json.jobId;
    await stack.request({ method: "DELETE", path: `/jobs/${jobId}` });
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const { messages, response: workerResponse } = await stack.deliverOnce(stack.worker(), { waitSeconds: 0 });

    expect(messages.map((message) => JSON.parse(message.Body!).jobId)).to.include(jobId);
    expect(workerResponse?.batchItemFailures).to.deep.equal([]);
    expect(await stack.job(jobId)).to.include({ status: "CANCELED", attempts: 0 });
    expect(stack.executions.has("canceled")).to.equal(false);
  });

  it("acknowledges without running a message for a job that another worker's live lease holds", async () => {
    const jobId = await stack.submit(counted("held"));
    await stack.store.claim(jobId, { claimToken: "other", nowMs: Date.now(), leaseExpiresAtMs: Date.now() + 60_000 });
    const { response } = await stack.deliverOnce(stack.worker(), { waitSeconds: 0 });

    expect(response?.batchItemFailures).to.deep.equal([]);
    expect(stack.executions.has("held")).to.equal(false);
    expect(await stack.job(jobId)).to.include({ status: "IN_PROGRESS", claimToken: "other" });
  });

  it("fails TIMED_OUT a job whose lease expired with no attempts left, when its message comes back", async () => {
    const jobId = await stack.submit(counted("no-attempts-left"));
    for (let attempt = 1; attempt <= 3; attempt++) {
      await stack.store.claim(jobId, { claimToken: `t${attempt}`, nowMs: Date.now(), leaseExpiresAtMs: Date.now() + 1 });
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const { response } = await stack.deliverOnce(stack.worker(), { waitSeconds: 0 });

    expect(response?.batchItemFailures).to.deep.equal([]);
    expect(stack.executions.has("no-attempts-left")).to.equal(false);
    const job = await stack.job(jobId);
    expect(job).to.deep.include({ status: "FAILED", attempts: 3 });
    expect(job.error).to.include({ code: "TIMED_OUT", retryable: false });
  });

  it("cuts a run off at the job type's timeout and fails TIMED_OUT after the last attempt", async () => {
    const executions = new Map<string, number>();
    const slow = await TestStack.start({ jobTypes: createRegistry([...builtInJobTypes.values(), countingJobType(executions, { timeoutSeconds: 0.2, maxAttempts: 2 })]) });
    try {
      const jobId = await slow.submit(counted("always-slow", { holdMs: 10_000 }));
      // Invocations of 2 s: a cut-off attempt is retried once its lease (the invocation) ended.
      const [job] = await slow.runUntilTerminal([jobId], { remainingMs: 2_000 });

      expect(job).to.deep.include({ status: "FAILED", attempts: 2 });
      expect(job!.error).to.include({ code: "TIMED_OUT", retryable: true });
      expect(executions.get("always-slow")).to.equal(2);
    } finally {
      await slow.close();
    }
  });

  it("leaves a malformed message for the DLQ and still processes the rest of the batch", async () => {
    const jobId = await stack.submit(counted("beside-poison"));
    await stack.sendRaw("{not json");
    await stack.sendRaw(JSON.stringify({ jobId: "not-a-uuid" }));
    const messages = await stack.events.receive(10, 0);
    const response = await stack.worker()(stack.events.toEvent(messages), lambdaContext());

    const poison = messages.filter((message) => !message.Body!.includes(jobId)).map((message) => message.MessageId);
    expect(response.batchItemFailures.map((failure) => failure.itemIdentifier)).to.have.members(poison);
    expect(response.batchItemFailures).to.have.length(2);
    expect(await stack.job(jobId)).to.include({ status: "SUCCEEDED" });
  });
});
