import { expect } from "chai";
import type { SQSClient } from "@aws-sdk/client-sqs";
import { SqsJobQueue, type BatchEnqueueEntry, type JobQueue } from "../../handlers/adapters/sqsJobQueue";
import { QueueUnavailableError } from "../../handlers/errors";
import { matchRoute } from "../../handlers/routes";
import { TestStack } from "../helpers/stack";

const text = (n: number | string) => ({ type: "text.transform", payload: { text: `batch ${n}` } });

/** SQS calls the api's queue made, by command name. */
const sqsCalls = new Map<string, number>();
/** How the SendMessageBatch calls fail: SQS refuses the first entry of each, or the call throws. */
const faults = { refuseFirst: false, throwAll: false };

/** The api's queue over a client that counts its calls and injects the faults above. */
function countingQueue(queue: JobQueue): JobQueue {
  const client = (queue as unknown as { client: SQSClient }).client;
  const counting = {
    send: async (command: { constructor: { name: string }; input: { Entries?: { Id?: string; MessageBody?: string }[] } }) => {
      const name = command.constructor.name.replace(/Command$/, "");
      sqsCalls.set(name, (sqsCalls.get(name) ?? 0) + 1);
      if (name !== "SendMessageBatch") return client.send(command as never);
      if (faults.throwAll) throw Object.assign(new Error("injected outage"), { name: "ServiceUnavailable" });
      const entries = command.input.Entries ?? [];
      const refused = faults.refuseFirst ? entries.slice(0, 1) : [];
      const sent = entries.filter((entry) => !refused.includes(entry));
      const output = sent.length > 0 ? await client.send(Object.assign(Object.create(Object.getPrototypeOf(command)), command, { input: { ...command.input, Entries: sent } })) : { Successful: [], Failed: [] };
      return { ...output, Failed: [...((output as { Failed?: unknown[] }).Failed ?? []), ...refused.map((entry) => ({ Id: entry.Id, Code: "InternalError", Message: "injected", SenderFault: false }))] };
    },
  };
  return new SqsJobQueue(counting as unknown as SQSClient, { queueUrl: (queue as unknown as { settings: { queueUrl: string } }).settings.queueUrl });
}

describe("POST /jobs/batch against DynamoDB and SQS emulators", function () {
  let stack: TestStack;
  before(async () => (stack = await TestStack.start({ apiQueue: countingQueue })));
  after(async () => stack.close());
  beforeEach(async () => {
    await stack.purge();
    sqsCalls.clear();
    faults.refuseFirst = false;
    faults.throwAll = false;
  });

  const batch = (jobs: unknown, headers?: Record<string, string>) => stack.request({ method: "POST", path: "/jobs/batch", body: { jobs }, headers });

  /** Every message on the queue now (settled, so the next test starts with an empty queue). */
  async function drainMessages(expected: number): Promise<string[]> {
    const jobIds: string[] = [];
    for (let round = 0; round < 40 && jobIds.length < expected; round++) {
      const messages = await stack.events.receive(10, 0);
      jobIds.push(...messages.map((message) => JSON.parse(message.Body!).jobId as string));
      if (messages.length > 0) await stack.events.settle(messages, { batchItemFailures: [] });
    }
    return jobIds;
  }

  it("accepts 100 jobs: 100 results in order, all stored QUEUED, enqueued in at most 10 SendMessageBatch calls", async () => {
    const response = await batch(Array.from({ length: 100 }, (_, n) => text(n)));

    expect(response.statusCode).to.equal(200);
    const results = response.json.results as { index: number; status: number; jobId: string; job: { jobId: string; status: string } }[];
    expect(results.map((result) => result.index)).to.deep.equal([...Array(100).keys()]);
    expect(results.every((result) => result.status === 202 && result.job.jobId === result.jobId && result.job.status === "QUEUED")).to.equal(true);
    expect(new Set(results.map((result) => result.jobId)).size).to.equal(100);
    expect(sqsCalls.get("SendMessageBatch")).to.be.at.most(10).and.at.least(1);
    expect(sqsCalls.get("SendMessage") ?? 0).to.equal(0);
    const stored = await Promise.all(results.map((result) => stack.job(result.jobId)));
    expect(stored.map((job) => (job.payload as { text: string }).text)).to.deep.equal(results.map((_, n) => `batch ${n}`));
    expect(new Set(stored.map((job) => job.status))).to.deep.equal(new Set(["QUEUED"]));
    expect((await drainMessages(100)).sort()).to.deep.equal(results.map((result) => result.jobId).sort());
  });

  it("answers a bad item 400 with paths relative to it and stores nothing for it; the good items are stored", async () => {
    const items = await stack.itemCount();
    const response = await batch([text("a"), { type: "text.transform", payload: { text: 5 } }, 7, { ...text("b"), idempotencyKey: "" }, { type: "nope", payload: {} }, text("c")]);

    expect(response.statusCode).to.equal(200);
    const [a, badPayload, notObject, badKey, badType, c] = response.json.results;
    expect([a.status, c.status]).to.deep.equal([202, 202]);
    expect(badPayload).to.deep.include({ index: 1, status: 400 });
    expect(badPayload.errors.map((error: { path: string }) => error.path)).to.deep.equal(["payload.text"]);
    expect(notObject).to.include({ index: 2, status: 400 });
    expect(badKey.errors.map((error: { path: string }) => error.path)).to.deep.equal(["idempotencyKey"]);
    expect(badType.errors.map((error: { path: string }) => error.path)).to.deep.equal(["type"]);
    expect(await stack.itemCount()).to.equal(items + 2);
    expect((await stack.job(a.jobId)).payload).to.deep.equal({ text: "batch a" });
    expect((await stack.job(c.jobId)).payload).to.deep.equal({ text: "batch c" });
    await drainMessages(2);
  });

  it("replays an item's key with the same body (200, the job as it is) and refuses it with another body (422); nothing new stored", async () => {
    const key = `batch-replay-${Date.now()}`;
    const first = await batch([{ ...text("x"), idempotencyKey: key }]);
    expect(first.json.results[0].status).to.equal(202);
    const items = await stack.itemCount();

    const again = await batch([{ idempotencyKey: key, payload: { text: "batch x" }, type: "text.transform" }, { ...text("other"), idempotencyKey: key }]);

    expect(again.json.results[0]).to.deep.include({ index: 0, status: 200, jobId: first.json.results[0].jobId });
    expect(again.json.results[0].job).to.include({ jobId: first.json.results[0].jobId, status: "QUEUED" });
    expect(again.json.results[1]).to.deep.include({ index: 1, status: 422, jobId: first.json.results[0].jobId });
    expect(await stack.itemCount()).to.equal(items);
    // The same key as POST /jobs's header: one job for both.
    const single = await stack.request({ method: "POST", path: "/jobs", body: text("x"), headers: { "Idempotency-Key": key } });
    expect(single.statusCode).to.equal(200);
    expect(single.json.jobId).to.equal(first.json.results[0].jobId);
    await drainMessages(1);
  });

  it("makes in-batch duplicate keys deterministic: the first is stored, a later same body is a replay, another body a 422", async () => {
    const key = `batch-dup-${Date.now()}`;
    const other = `batch-dup-other-${Date.now()}`;
    const items = await stack.itemCount();
    const response = await batch([
      { ...text("one"), idempotencyKey: key },
      { ...text("two"), idempotencyKey: other },
      { ...text("one"), idempotencyKey: key },
      { ...text("changed"), idempotencyKey: key },
      { ...text("two"), idempotencyKey: other },
    ]);

    expect(response.json.results.map((result: { status: number }) => result.status)).to.deep.equal([202, 202, 200, 422, 200]);
    const [first, second, replay, conflict, replayOther] = response.json.results;
    expect([replay.jobId, conflict.jobId]).to.deep.equal([first.jobId, first.jobId]);
    expect(replayOther.jobId).to.equal(second.jobId);
    expect(await stack.itemCount()).to.equal(items + 2);
    expect(await drainMessages(2)).to.have.members([first.jobId, second.jobId]);
  });

  it("refuses an envelope that is not {jobs: [1 to 100 items]} as a 400 problem, storing nothing", async () => {
    const items = await stack.itemCount();
    for (const body of [{ jobs: Array.from({ length: 101 }, (_, n) => text(n)) }, { jobs: [] }, { jobs: "x" }, [text(1)], { jobs: [text(1)], extra: 1 }, {}]) {
      const response = await stack.request({ method: "POST", path: "/jobs/batch", body });
      expect(response.statusCode, JSON.stringify(body).slice(0, 80)).to.equal(400);
      expect(response.json.type).to.equal("urn:cloudqueue:problem:validation");
    }
    expect(await stack.itemCount()).to.equal(items);
    expect(sqsCalls.get("SendMessageBatch") ?? 0).to.equal(0);
  });

  it("jobs due past 900 s get no message; the others are sent with their own DelaySeconds", async () => {
    const response = await batch([text("now"), { ...text("later"), delaySeconds: 3_600 }, { ...text("soon"), delaySeconds: 2 }]);
    const [now, later, soon] = response.json.results;
    expect([now.status, later.status, soon.status]).to.deep.equal([202, 202, 202]);
    const item = await stack.rawItem(later.jobId);
    expect(item.status).to.equal("QUEUED");
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(await drainMessages(2)).to.have.members([now.jobId, soon.jobId]);
  });

  it("keeps jobs accepted and QUEUED when the SendMessageBatch call fails: left to the sweeper", async () => {
    faults.throwAll = true;
    const outage = await batch([text("o1"), text("o2")]);
    expect(outage.statusCode).to.equal(200);
    expect(outage.json.results.map((result: { status: number }) => result.status)).to.deep.equal([202, 202]);
    for (const result of outage.json.results) expect((await stack.job(result.jobId)).status).to.equal("QUEUED");
    expect(sqsCalls.get("SendMessageBatch")).to.equal(1);
    expect(await stack.queueDepth()).to.equal(0);
  });

  it("sends what SQS did not refuse when SendMessageBatch fails in part (the SQS adapter reads `Failed`)", async () => {
    faults.refuseFirst = true;
    const response = await batch([text("f1"), text("f2"), text("f3")]);
    expect(response.json.results.map((result: { status: number }) => result.status)).to.deep.equal([202, 202, 202]);
    const ids: string[] = response.json.results.map((result: { jobId: string }) => result.jobId);
    for (const jobId of ids) expect((await stack.job(jobId)).status).to.equal("QUEUED");
    const sent = await drainMessages(2);
    expect(sent).to.have.length(2);
    expect(ids).to.include.members(sent);
  });

  it("leaves the entries SendMessageBatch refused to the sweeper, and sends the rest", async () => {
    const refusing = (queue: JobQueue): JobQueue => ({
      enqueue: (jobId, delaySeconds, requestId) => queue.enqueue(jobId, delaySeconds, requestId),
      delayRedelivery: (handle, seconds) => queue.delayRedelivery(handle, seconds),
      enqueueBatch: async (entries: readonly BatchEnqueueEntry[], requestId?: string) => {
        const [refused, ...rest] = entries;
        const { failed } = await queue.enqueueBatch(rest, requestId);
        return { failed: [...failed, { jobId: refused!.jobId, code: "InternalError", message: "injected" }] };
      },
    });
    const partial = await TestStack.start({ apiQueue: refusing, sweepGraceSeconds: 1 });
    try {
      const response = await partial.request({ method: "POST", path: "/jobs/batch", body: { jobs: [text("r1"), text("r2"), text("r3")] } });
      const ids: string[] = response.json.results.map((result: { status: number; jobId: string }) => (expect(result.status).to.equal(202), result.jobId));
      for (const jobId of ids) expect((await partial.job(jobId)).status).to.equal("QUEUED");
      const messages = await partial.events.receive(10, 0);
      const sent = messages.map((message) => JSON.parse(message.Body!).jobId);
      expect(sent).to.have.members(ids.slice(1));
      await partial.events.settle(messages, { batchItemFailures: [] });
      // The sweeper sends the refused one once its grace period has passed.
      partial.sweeperClockOffsetMs = 60_000;
      await partial.sweeper();
      const swept = await partial.events.receive(10, 0);
      expect(swept.map((message) => JSON.parse(message.Body!).jobId)).to.include(ids[0]);
    } finally {
      await partial.close();
    }
  });

  it("a queue whose enqueueBatch throws QueueUnavailableError still accepts every job", async () => {
    const down: JobQueue = {
      enqueue: async () => undefined,
      delayRedelivery: async () => undefined,
      enqueueBatch: async () => {
        throw new QueueUnavailableError("SendMessageBatch", { cause: new Error("injected") });
      },
    };
    const failing = await TestStack.start({ apiQueue: () => down });
    try {
      const response = await failing.request({ method: "POST", path: "/jobs/batch", body: { jobs: [text("d1"), text("d2")] } });
      expect(response.json.results.map((result: { status: number }) => result.status)).to.deep.equal([202, 202]);
      for (const result of response.json.results) expect((await failing.job(result.jobId)).status).to.equal("QUEUED");
    } finally {
      await failing.close();
    }
  });

  it("is routed as its own route, not as /jobs/{jobId}", async () => {
    expect(matchRoute("POST", "/jobs/batch")?.route.operation).to.equal("submitJobBatch");
    const response = await batch([text("route")]);
    expect(response.json.results[0].status).to.equal(202);
    await drainMessages(1);
  });
});
