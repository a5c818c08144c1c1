import { DynamoDBDocumentClient, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { expect } from "chai";
import type { JobQueue } from "../../handlers/adapters/sqsJobQueue";
import { JobStatus } from "../../handlers/domain/job";
import { silentLogger } from "../../handlers/log";
import { recoverActiveJobs } from "../../local/recovery";
import { scanJobs, scanSweepIndex } from "../../local/sweepIndexRepair";
import { TestStack } from "../helpers/stack";

// dynalite's own module: its actions call `db.updateIndexes` through it, so a test can stand in.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynaliteDb = require("dynalite/db") as { updateIndexes: (...args: any[]) => void };

/**
 * Runs `write` as if the process died right after dynalite wrote the index entries of each item
 * write and before it wrote the item: the index changes, the item does not (what a `kill -9`
 * between the two LevelDB writes leaves).
 */
async function killedAfterIndexWrite(write: () => Promise<unknown>): Promise<void> {
  const original = dynaliteDb.updateIndexes;
  // An error dynalite answers (statusCode and body), as a 500: the SDK's retries meet the same fate.
  const killed = { statusCode: 500, body: { __type: "com.amazonaws.dynamodb.v20120810#InternalServerError", message: "killed after the index write" } };
  dynaliteDb.updateIndexes = (store: unknown, table: unknown, existing: unknown, item: unknown, cb: (error?: unknown) => void) =>
    original(store, table, existing, item, (error?: unknown) => cb(error ?? killed));
  try {
    await write().then(
      () => expect.fail("the write should not have landed"),
      () => undefined,
    );
  } finally {
    dynaliteDb.updateIndexes = original;
  }
}

const TEXT = { type: "text.transform", payload: { text: "recover me" } };

describe("local startup recovery against the DynamoDB and SQS emulators", () => {
  let stack: TestStack;
  let documents: DynamoDBDocumentClient;
  beforeEach(async () => {
    stack = await TestStack.start();
    documents = DynamoDBDocumentClient.from(stack.emulators.dynamo);
  });
  afterEach(() => stack.close());

  const recover = (queue: JobQueue = stack.queue, now?: () => number) =>
    recoverActiveJobs({ dynamo: stack.emulators.dynamo, tableName: stack.emulators.tableName, queue, logger: silentLogger, sweepGraceSeconds: stack.storeSettings.sweepGraceSeconds, now });

  /** The index as the sweeper sees it, and what it should be: one entry per active job at its own keys. */
  async function indexAndExpected() {
    const entries = (await scanSweepIndex(documents, stack.emulators.tableName)).map((entry) => `${entry.jobId} ${entry.sweepShard} ${entry.sweepAt}`).sort();
    const expected = (await scanJobs(documents, stack.emulators.tableName))
      .filter((job) => job.status === JobStatus.QUEUED || job.status === JobStatus.IN_PROGRESS)
      .map((job) => `${job.jobId} ${job.sweepShard} ${job.sweepAt}`)
      .sort();
    return { entries, expected };
  }

  it("finds and resumes a running job whose terminal commit lost its index entry but not its item", async () => {
    const jobId = await stack.submit(TEXT);
    const nowMs = Date.now();
    await stack.store.claim(jobId, { claimToken: "crashed-worker", nowMs, leaseExpiresAtMs: nowMs - 1 });
    await killedAfterIndexWrite(() => stack.store.commit(jobId, "crashed-worker", { status: "SUCCEEDED", result: { done: true } }, nowMs));
    // The state the black-box run found: active in the table, absent from the index.
    expect((await stack.job(jobId)).status).to.equal(JobStatus.IN_PROGRESS);
    expect((await stack.store.findDue(Number.MAX_SAFE_INTEGER, 100)).map((due) => due.jobId)).to.not.include(jobId);

    const report = await recover();

    expect(report).to.include({ scanned: 1, active: 1, enqueued: 1, indexRestored: 1, indexRemoved: 0, errors: 0 });
    expect((await stack.store.findDue(Number.MAX_SAFE_INTEGER, 100)).map((due) => due.jobId)).to.include(jobId);
    const [job] = await stack.runUntilTerminal([jobId]);
    expect(job).to.deep.include({ status: JobStatus.SUCCEEDED, attempts: 2 });
  });

  it("removes index entries that name no job, or keys the job does not have, and restores the job's own", async () => {
    const orphanId = "0b4f8c8e-6a8e-4e8e-9a8e-0b4f8c8e6a8e";
    await killedAfterIndexWrite(() =>
      stack.store.create({ jobId: orphanId, type: "text.transform", payload: { text: "never stored" }, status: JobStatus.QUEUED, attempts: 0, maxAttempts: 3, delaySeconds: 0, createdAt: new Date().toISOString(), updatedAt: new Date().toISOString() } as any),
    );
    const moved = await stack.submit(TEXT);
    const [entry] = (await scanSweepIndex(documents, stack.emulators.tableName)).filter((candidate) => candidate.jobId === moved);
    await killedAfterIndexWrite(() => stack.store.deferSweep(moved, { sweepAtMs: entry!.sweepAt, status: JobStatus.QUEUED }, entry!.sweepAt + 60_000));
    const canceled = await stack.submit(TEXT);
    await killedAfterIndexWrite(() => stack.store.cancel(canceled, Date.now()));
    const healthy = await stack.submit(TEXT);
    const before = await indexAndExpected();
    expect(before.entries, "the kills left the index out of step").to.not.deep.equal(before.expected);

    const report = await recover();

    expect(report).to.include({ scanned: 3, active: 3, enqueued: 3, indexRestored: 2, indexRemoved: 2, errors: 0 });
    const after = await indexAndExpected();
    expect(after.entries).to.deep.equal(after.expected);
    expect(after.entries.map((line) => line.split(" ")[0]).sort()).to.deep.equal([moved, canceled, healthy].sort());
    expect(await stack.itemCount(), "the orphan's bare item is gone again").to.equal(3);
    // A second pass finds nothing more to do.
    expect(await recover()).to.include({ indexRestored: 0, indexRemoved: 0 });
  });

  it("clears a finished job's stray entry even when the start repairing it was killed between its two writes", async () => {
    const jobId = await stack.submit(TEXT);
    await stack.store.cancel(jobId, Date.now());
    // A retry killed after its index put: the entry is there, the item is still CANCELED without keys.
    await killedAfterIndexWrite(() => stack.store.retry(jobId, Date.now()));
    const [stray] = await scanSweepIndex(documents, stack.emulators.tableName);
    expect(stray?.jobId).to.equal(jobId);
    // A first repair killed after its first write: the item now carries the stray entry's keys.
    await documents.send(
      new UpdateCommand({
        TableName: stack.emulators.tableName,
        Key: { jobId },
        UpdateExpression: "SET sweepShard = :shard, sweepAt = :sweepAt",
        ExpressionAttributeValues: { ":shard": stray!.sweepShard, ":sweepAt": stray!.sweepAt },
      }),
    );

    expect(await recover()).to.include({ active: 0, indexRemoved: 1, errors: 0 });

    expect(await scanSweepIndex(documents, stack.emulators.tableName)).to.deep.equal([]);
    const [job] = await scanJobs(documents, stack.emulators.tableName);
    expect(job).to.deep.include({ status: JobStatus.CANCELED, sweepShard: undefined, sweepAt: undefined });
    expect(await recover()).to.include({ indexRestored: 0, indexRemoved: 0 });
  });

  it("enqueues a queued job for when it was due, and a running one for one second after its lease ends", async () => {
    const nowMs = Date.now();
    const queued = await stack.submit({ ...TEXT, delaySeconds: 40 });
    const running = await stack.submit(TEXT);
    await stack.store.claim(running, { claimToken: "dead-worker", nowMs, leaseExpiresAtMs: nowMs + 30_000 });
    const sent: Array<[string, number]> = [];
    const queue: JobQueue = {
      enqueue: async (jobId, delaySeconds) => void sent.push([jobId, delaySeconds ?? 0]),
      enqueueBatch: async (entries) => (entries.forEach((entry) => sent.push([entry.jobId, entry.delaySeconds])), { failed: [] }),
      delayRedelivery: stack.queue.delayRedelivery.bind(stack.queue),
    };

    await recover(queue, () => nowMs);

    expect(new Map(sent).get(running)).to.equal(31);
    expect(new Map(sent).get(queued)).to.be.within(39, 41);
  });

  it("enqueues at once a never-claimed job the sweeper already re-enqueued twice (its sweepAt backed off past its due time)", async () => {
    const overdue = await stack.submit(TEXT);
    await stack.purge(); // its message is lost: only the sweeper knows of it
    const graceMs = stack.storeSettings.sweepGraceSeconds * 1000;
    for (const later of [graceMs + 1_000, 3 * graceMs + 2_000]) {
      stack.sweeperClockOffsetMs = later;
      expect((await stack.sweeper()).requeued).to.equal(1);
      await stack.purge();
    }
    const [job] = (await scanJobs(documents, stack.emulators.tableName)).filter((candidate) => candidate.jobId === overdue);
    expect(job!.sweeps).to.equal(2);
    expect(job!.sweepAt! - graceMs, "what sweepAt alone would say is far in the future").to.be.above(Date.now() + graceMs);
    const sent: Array<[string, number]> = [];
    const queue: JobQueue = {
      enqueue: async (jobId, delaySeconds) => void sent.push([jobId, delaySeconds ?? 0]),
      enqueueBatch: async (entries) => (entries.forEach((entry) => sent.push([entry.jobId, entry.delaySeconds])), { failed: [] }),
      delayRedelivery: stack.queue.delayRedelivery.bind(stack.queue),
    };

    await recover(queue);

    expect(sent).to.deep.equal([[overdue, 0]]);
  });
});
