import { expect } from "chai";
import type { JobQueue } from "../../handlers/adapters/sqsJobQueue";
import { JOB_TABLE } from "../../handlers/settings";
import { recoverActiveJobs } from "../../local/recovery";
import { TestStack } from "../helpers/stack";

const HOUR_MS = 3_600_000;
const counted = (key: string, timing: Record<string, unknown>) => ({ type: "test.counted", payload: { key }, ...timing });

/** A queue that records every message it is asked to send, with its delay. */
function recording(sent: { jobId: string; delaySeconds: number }[]) {
  return (queue: JobQueue): JobQueue =>
    Object.assign(Object.create(queue) as JobQueue, {
      enqueue: (jobId: string, delaySeconds = 0, requestId?: string) => {
        sent.push({ jobId, delaySeconds });
        return queue.enqueue(jobId, delaySeconds, requestId);
      },
      enqueueBatch: (entries: readonly { jobId: string; delaySeconds: number }[], requestId?: string) => {
        sent.push(...entries.map(({ jobId, delaySeconds }) => ({ jobId, delaySeconds })));
        return queue.enqueueBatch(entries, requestId);
      },
    });
}

describe("delays past SQS's 900 s: the job waits in the sweep index and the sweeper hands it off", function () {
  let stack: TestStack;
  const apiSent: { jobId: string; delaySeconds: number }[] = [];
  const sweeperSent: { jobId: string; delaySeconds: number }[] = [];
  before(async () => {
    stack = await TestStack.start({ sweepGraceSeconds: 30, apiQueue: recording(apiSent), sweeperQueue: recording(sweeperSent) });
  });
  after(async () => stack.close());
  beforeEach(async () => {
    stack.sweeperClockOffsetMs = 0;
    await stack.purge();
    // Push whatever earlier tests left active two years ahead (past any delay), out of this test's way.
    for (let round = 0; round < 3; round++) {
      stack.sweeperClockOffsetMs = 2 * 365 * 24 * HOUR_MS;
      await stack.sweeper();
    }
    stack.sweeperClockOffsetMs = 0;
    await stack.purge();
    apiSent.length = 0;
    sweeperSent.length = 0;
  });

  it("stores a job delayed an hour with no message, its sweep entry at its hand-off time, and GET shows runAt", async () => {
    const before = Date.now();
    const jobId = await stack.submit(counted("hour", { delaySeconds: 3600 }));
    expect(apiSent).to.deep.equal([]);
    expect(await stack.queueDepth()).to.equal(0);

    const item = await stack.rawItem(jobId);
    const dueAt = item.dueAt as number;
    expect(dueAt).to.be.within(before + HOUR_MS, Date.now() + HOUR_MS);
    expect(item[JOB_TABLE.sweepIndex.rangeKey]).to.equal(dueAt - 900_000);

    const view = (await stack.request({ method: "GET", path: `/jobs/${jobId}` })).json;
    expect(view).to.include({ status: "QUEUED", delaySeconds: 3600, runAt: new Date(dueAt).toISOString() });
  });

  it("hands the job off once it is within 900 s of due, with the exact remaining delay, once; a lost message is repaired after due", async () => {
    const jobId = await stack.submit(counted("handoff", { delaySeconds: 7200 }));
    const dueAt = (await stack.rawItem(jobId)).dueAt as number;

    // Before the hand-off time the index does not even return it.
    stack.sweeperClockOffsetMs = dueAt - Date.now() - 901_000;
    expect(await stack.sweeper()).to.include({ examined: 0, handedOff: 0 });

    // 300 s before due: handed off with a delay of 300 s (rounded up, never early).
    stack.sweeperClockOffsetMs = dueAt - Date.now() - 300_000;
    expect(await stack.sweeper()).to.include({ handedOff: 1, requeued: 0, errors: 0 });
    expect(sweeperSent).to.have.length(1);
    expect(sweeperSent[0]!.jobId).to.equal(jobId);
    expect(sweeperSent[0]!.delaySeconds).to.be.within(300, 301);
    expect(await stack.queueDepth()).to.equal(1);

    // A second sweep does not send it again: its entry moved to due + grace.
    expect(await stack.sweeper()).to.include({ examined: 0 });
    const item = await stack.rawItem(jobId);
    expect(item[JOB_TABLE.sweepIndex.rangeKey]).to.equal(dueAt + 30_000);
    expect(item.sweeps ?? 0).to.equal(0);

    // Still QUEUED a grace period after due (its message lost): an ordinary repair, sent at once.
    stack.sweeperClockOffsetMs = dueAt - Date.now() + 31_000;
    expect(await stack.sweeper()).to.include({ handedOff: 0, requeued: 1 });
    expect(sweeperSent[1]).to.deep.equal({ jobId, delaySeconds: 0 });
  });

  it("runs a job handed off with a few seconds left no earlier than due", async () => {
    const jobId = await stack.submit(counted("on-time", { delaySeconds: 3600 }));
    const dueAt = (await stack.rawItem(jobId)).dueAt as number;
    // The sweeper's clock is 3 s short of due: the message waits 3 real seconds.
    const offset = dueAt - Date.now() - 3_000;
    stack.sweeperClockOffsetMs = offset;
    expect(await stack.sweeper()).to.include({ handedOff: 1 });
    expect(sweeperSent[0]!.delaySeconds).to.be.within(3, 4);

    const received = await stack.events.receive(10, 1);
    expect(received, "visible before it was due").to.have.length(0);
    const [job] = await stack.runUntilTerminal([jobId]);
    expect(job).to.include({ status: "SUCCEEDED", attempts: 1 });
    // In the sweeper's (shifted) clock the run started at or after due.
    expect(Date.parse(job!.startedAt!) + offset).to.be.at.least(dueAt);
  });

  it("takes runAt: due at that time, no message while it is past 900 s ahead", async () => {
    const runAt = new Date(Date.now() + 2 * HOUR_MS).toISOString();
    const jobId = await stack.submit(counted("run-at", { runAt }));
    expect(apiSent).to.deep.equal([]);
    const view = (await stack.request({ method: "GET", path: `/jobs/${jobId}` })).json;
    expect(view.runAt).to.equal(runAt);
    expect(view.delaySeconds).to.be.within(7199, 7200);

    const soon = new Date(Date.now() + 60_000).toISOString();
    const near = await stack.submit(counted("run-at-near", { runAt: soon }));
    expect(apiSent.map((sent) => sent.jobId)).to.deep.equal([near]);
    expect(apiSent[0]!.delaySeconds).to.be.within(59, 60);
  });

  it("refuses a delay past a year, a runAt past a year, both together, and a bad time; nothing is stored", async () => {
    const items = await stack.itemCount();
    const far = new Date(Date.now() + 366 * 24 * HOUR_MS).toISOString();
    for (const [timing, path] of [
      [{ delaySeconds: 31_536_001 }, "delaySeconds"],
      [{ runAt: far }, "runAt"],
      [{ delaySeconds: 10, runAt: new Date().toISOString() }, "runAt"],
      [{ runAt: "2027-02-30T00:00:00Z" }, "runAt"],
      [{ runAt: "tomorrow" }, "runAt"],
      [{ runAt: 1_900_000_000 }, "runAt"],
    ] as const) {
      const response = await stack.request({ method: "POST", path: "/jobs", body: counted("bad", timing) });
      expect(response.statusCode, JSON.stringify(timing)).to.equal(400);
      expect(response.json.errors.map((error: { path: string }) => error.path)).to.include(path);
    }
    expect(await stack.itemCount()).to.equal(items);
  });

  it("cancels a job while it waits, and the sweeper then leaves it alone", async () => {
    const jobId = await stack.submit(counted("cancel-waiting", { delaySeconds: 86_400 }));
    const canceled = await stack.request({ method: "DELETE", path: `/jobs/${jobId}` });
    expect(canceled.statusCode).to.equal(200);
    expect(canceled.json.status).to.equal("CANCELED");
    stack.sweeperClockOffsetMs = 86_400_000;
    expect(await stack.sweeper()).to.include({ handedOff: 0, requeued: 0 });
    expect(sweeperSent).to.deep.equal([]);
  });

  it("keeps a waiting job across a restart of the local stack: recovery sends no message for it", async () => {
    const waiting = await stack.submit(counted("restart-waiting", { delaySeconds: 86_400 }));
    const near = await stack.submit(counted("restart-near", { delaySeconds: 600 }));
    await stack.purge(); // the local SQS forgets its messages on a restart
    const sent: { jobId: string; delaySeconds: number }[] = [];
    const report = await recoverActiveJobs({
      dynamo: stack.emulators.dynamo,
      tableName: stack.emulators.tableName,
      queue: recording(sent)(stack.queue),
      logger: stack.logger,
      sweepGraceSeconds: 30,
    });
    expect(report.waiting).to.be.at.least(1);
    expect(sent.map((entry) => entry.jobId)).to.include(near).and.not.include(waiting);
    expect(sent.find((entry) => entry.jobId === near)!.delaySeconds).to.be.within(595, 600);
    expect((await stack.job(waiting)).status).to.equal("QUEUED");
    stack.sweeperClockOffsetMs = 86_400_000 - 600_000;
    expect(await stack.sweeper()).to.include({ handedOff: 1 });
  });
});
