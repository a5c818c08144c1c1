import { QueryCommand } from "@aws-sdk/client-dynamodb";
import { expect } from "chai";
import type { JobQueue } from "../../handlers/adapters/sqsJobQueue";
import { QueueUnavailableError } from "../../handlers/errors";
import { JOB_TABLE } from "../../handlers/settings";
import { TestStack } from "../helpers/stack";

const counted = (key: string, extra: Record<string, unknown> = {}) => ({ type: "test.counted", payload: { key, ...extra } });

describe("sweeper handler against DynamoDB and SQS emulators", function () {
  let stack: TestStack;
  let sendFails = false;
  before(async () => {
    stack = await TestStack.start({
      sweepGraceSeconds: 30,
      apiQueue: (queue): JobQueue => ({
        enqueue: (jobId, delay) => (sendFails ? Promise.reject(new QueueUnavailableError("SendMessage", { cause: new Error("injected") })) : queue.enqueue(jobId, delay)),
        enqueueBatch: (entries, requestId) => (sendFails ? Promise.reject(new QueueUnavailableError("SendMessageBatch", { cause: new Error("injected") })) : queue.enqueueBatch(entries, requestId)),
        delayRedelivery: (handle, seconds) => queue.delayRedelivery(handle, seconds),
      }),
    });
  });
  after(async () => stack.close());
  beforeEach(async () => {
    sendFails = false;
    stack.sweeperClockOffsetMs = 0;
    await stack.purge();
    // Push whatever earlier tests left active a day ahead, out of this test's way.
    stack.sweeperClockOffsetMs = 86_400_000;
    await stack.sweeper();
    stack.sweeperClockOffsetMs = 0;
    await stack.purge();
  });

  it("enqueues a job whose SendMessage failed once its grace period passed, and the job completes", async () => {
    sendFails = true;
    const jobId = await stack.submit(counted("lost-send"));
    expect(await stack.queueDepth()).to.equal(0);

    const early = await stack.sweeper();
    expect(early.requeued).to.equal(0);

    stack.sweeperClockOffsetMs = 31_000;
    const report = await stack.sweeper();
    expect(report).to.include({ requeued: 1, errors: 0 });

    const [job] = await stack.runUntilTerminal([jobId]);
    expect(job).to.include({ status: "SUCCEEDED", attempts: 1 });
    expect(stack.executions.get("lost-send")).to.equal(1);
  });

  it("fails TIMED_OUT a job whose lease expired with no attempts left", async () => {
    const jobId = await stack.submit(counted("expired-last"));
    await stack.purge();
    for (let attempt = 1; attempt <= 3; attempt++) {
      await stack.store.claim(jobId, { claimToken: `t${attempt}`, nowMs: Date.now(), leaseExpiresAtMs: Date.now() + 1 });
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    stack.sweeperClockOffsetMs = 31_000;
    const report = await stack.sweeper();

    expect(report).to.include({ timedOut: 1, requeued: 0 });
    const job = await stack.job(jobId);
    expect(job).to.deep.include({ status: "FAILED", attempts: 3 });
    expect(job.error).to.include({ code: "TIMED_OUT", retryable: false });
    expect(await stack.queueDepth()).to.equal(0);
  });

  it("enqueues again a job whose worker died holding it, and a worker reclaims and completes it", async () => {
    const jobId = await stack.submit(counted("crashed-worker"));
    await stack.purge(); // the message is gone, as after a crash past maxReceiveCount
    await stack.store.claim(jobId, { claimToken: "dead", nowMs: Date.now(), leaseExpiresAtMs: Date.now() + 1 });
    stack.sweeperClockOffsetMs = 31_000;

    expect(await stack.sweeper()).to.include({ requeued: 1 });
    const [job] = await stack.runUntilTerminal([jobId]);
    expect(job).to.include({ status: "SUCCEEDED", attempts: 2 });
  });

  it("leaves a job held by a live lease alone, and looks again when the lease ends", async () => {
    const jobId = await stack.submit(counted("live-lease"));
    await stack.purge();
    const leaseEnd = Date.now() + 120_000;
    await stack.store.claim(jobId, { claimToken: "live", nowMs: Date.now(), leaseExpiresAtMs: leaseEnd });
    stack.sweeperClockOffsetMs = 31_000;

    expect(await stack.sweeper()).to.include({ deferred: 1, requeued: 0 });
    expect(await stack.sweeper()).to.include({ examined: 0 });
    expect(await stack.job(jobId)).to.include({ status: "IN_PROGRESS", claimToken: "live" });
    stack.sweeperClockOffsetMs = 121_000;
    expect(await stack.sweeper()).to.include({ requeued: 1 });
  });

  it("enqueues once when two sweepers run at the same time", async () => {
    sendFails = true;
    await stack.submit(counted("two-sweepers"));
    stack.sweeperClockOffsetMs = 31_000;
    const [a, b] = await Promise.all([stack.sweeper(), stack.sweeper()]);

    expect(a.requeued + b.requeued).to.equal(1);
    expect(await stack.queueDepth()).to.equal(1);
  });

  it("keeps only active jobs in the sweep index (sparse)", async () => {
    const done = await stack.submit(counted("sparse-done"));
    await stack.runUntilTerminal([done]);
    const canceled = (await stack.request({ method: "POST", path: "/jobs", body: { ...counted("sparse-canceled"), delaySeconds: 900 } })).json.jobId;
    await stack.request({ method: "DELETE", path: `/jobs/${canceled}` });
    const queued = (await stack.request({ method: "POST", path: "/jobs", body: { ...counted("sparse-queued"), delaySeconds: 900 } })).json.jobId;

    const indexed = new Set<string>();
    for (let shard = 0; shard < stack.storeSettings.sweepShards; shard++) {
      const { Items } = await stack.emulators.dynamo.send(
        new QueryCommand({
          TableName: stack.emulators.tableName,
          IndexName: JOB_TABLE.sweepIndex.name,
          KeyConditionExpression: "sweepShard = :s",
          ExpressionAttributeValues: { ":s": { N: String(shard) } },
        }),
      );
      for (const item of Items ?? []) indexed.add(item.jobId!.S!);
    }
    expect(indexed.has(queued)).to.equal(true);
    expect(indexed.has(done)).to.equal(false);
    expect(indexed.has(canceled)).to.equal(false);
    const finished = await stack.job(done);
    expect(finished).to.include({ status: "SUCCEEDED" });
  });

  it("backs off each further re-enqueue of the same job, so a backlogged queue is not flooded", async () => {
    sendFails = true;
    await stack.submit(counted("backlogged"));
    stack.sweeperClockOffsetMs = 31_000;
    expect(await stack.sweeper()).to.include({ requeued: 1 }); // next look: grace (30 s) later
    await stack.purge(); // as if the message sat in a backlog the worker has not reached
    stack.sweeperClockOffsetMs = 62_000;
    expect(await stack.sweeper()).to.include({ requeued: 1 }); // next look: 2 × grace later
    await stack.purge();
    stack.sweeperClockOffsetMs = 100_000;
    expect(await stack.sweeper()).to.include({ requeued: 0 });
    stack.sweeperClockOffsetMs = 123_000;
    expect(await stack.sweeper()).to.include({ requeued: 1 });
  });

  it("does not enqueue a delayed job before its delay and grace have passed", async () => {
    sendFails = true;
    await stack.request({ method: "POST", path: "/jobs", body: { ...counted("delayed"), delaySeconds: 600 } });
    stack.sweeperClockOffsetMs = 600_000;
    expect(await stack.sweeper()).to.include({ requeued: 0 });
    stack.sweeperClockOffsetMs = 631_000;
    expect(await stack.sweeper()).to.include({ requeued: 1 });
  });
});
