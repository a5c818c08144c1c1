import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import { expect } from "chai";
import { indexEntry, indexWriteCost, IndexWriteMeter, type Image, type IndexDefinition } from "../../../bench/indexWrites";
import { itemSize } from "../../../bench/itemSize";
import { JOB_TABLE } from "../../../handlers/settings";

const TABLE_KEY = [JOB_TABLE.hashKey];
const sweep = JOB_TABLE.sweepIndex;
const created = JOB_TABLE.listIndex;
const done = JOB_TABLE.doneIndex;
const everything: IndexDefinition = { name: "all", hashKey: "listShard", rangeKey: "listKey", projection: "ALL" };

const unmarshalled = (item: Record<string, AttributeValue>): Record<string, unknown> => unmarshall(item);
const image = (attributes: Record<string, unknown>): Record<string, AttributeValue> => marshall(attributes);
/** A job as the put stores it: queued, in the sweep index and the all-jobs index. */
const queued = image({ jobId: "a1b2c3d4-0000-4000-8000-000000000000", type: "text.transform", status: "QUEUED", attempts: 0, payload: { text: "hi" }, sweepShard: 1, sweepAt: 1_000, listShard: 1, listKey: "owner#0000000001000" });
/** The same job after its claim: status, attempts, token and lease change; no index key does. */
const claimed = image({ ...unmarshalled(queued), status: "IN_PROGRESS", attempts: 1, claimToken: "t", leaseExpiresAt: 5_000, previousStatus: "QUEUED" });
/** After its commit: out of the sweep index, into the finished jobs' index. */
const succeeded = (() => {
  const { sweepShard: _shard, sweepAt: _at, leaseExpiresAt: _lease, ...rest } = unmarshalled(claimed);
  return image({ ...rest, status: "SUCCEEDED", result: { ok: true }, doneShard: "SUCCEEDED#1" });
})();

describe("bench/indexWrites: DynamoDB's GSI write rules", () => {
  it("puts an item that gains the index's key attributes: 1 unit (the put enters the sweep and all-jobs indexes, not the finished jobs')", () => {
    expect(indexWriteCost(sweep, TABLE_KEY, undefined, queued)).to.deep.equal({ change: "put", units: 1 });
    expect(indexWriteCost(created, TABLE_KEY, undefined, queued)).to.deep.equal({ change: "put", units: 1 });
    expect(indexWriteCost(done, TABLE_KEY, undefined, queued)).to.deep.equal({ change: "none", units: 0 });
  });

  it("writes nothing when a claim changes status: 0 on KEYS_ONLY and on INCLUDE[type], whose keys and type stay", () => {
    expect(indexWriteCost(sweep, TABLE_KEY, queued, claimed)).to.deep.equal({ change: "none", units: 0 });
    expect(indexWriteCost(created, TABLE_KEY, queued, claimed)).to.deep.equal({ change: "none", units: 0 });
    expect(indexWriteCost(done, TABLE_KEY, queued, claimed)).to.deep.equal({ change: "none", units: 0 });
  });

  it("writes the same claim once to an ALL index, where every attribute is projected", () => {
    expect(indexWriteCost(everything, TABLE_KEY, queued, claimed)).to.deep.equal({ change: "update", units: 1 });
  });

  it("deletes an item that loses the index's key attributes: 1 unit (the commit leaves the sweep index), and puts the one that gains them", () => {
    expect(indexWriteCost(sweep, TABLE_KEY, claimed, succeeded)).to.deep.equal({ change: "delete", units: 1 });
    expect(indexWriteCost(done, TABLE_KEY, claimed, succeeded)).to.deep.equal({ change: "put", units: 1 });
    expect(indexWriteCost(created, TABLE_KEY, claimed, succeeded)).to.deep.equal({ change: "none", units: 0 });
  });

  it("counts a changed key attribute value as a delete and a put: 2 units (a retryable failure moves sweepAt)", () => {
    const retrying = image({ ...unmarshalled(claimed), status: "QUEUED", sweepAt: 9_000 });

    expect(indexWriteCost(sweep, TABLE_KEY, claimed, retrying)).to.deep.equal({ change: "replace", units: 2 });
  });

  it("writes 1 unit when only a projected attribute changes: INCLUDE's nonKeyAttributes, never another attribute", () => {
    const retyped = image({ ...unmarshalled(queued), type: "hash.digest" });
    const repaid = image({ ...unmarshalled(queued), payload: { text: "other" } });

    expect(indexWriteCost(created, TABLE_KEY, queued, retyped)).to.deep.equal({ change: "update", units: 1 });
    expect(indexWriteCost(sweep, TABLE_KEY, queued, retyped)).to.deep.equal({ change: "none", units: 0 });
    expect(indexWriteCost(created, TABLE_KEY, queued, repaid)).to.deep.equal({ change: "none", units: 0 });
  });

  it("treats an item with only part of the index's key as outside the index (sparse)", () => {
    const { sweepAt: _at, ...rest } = unmarshalled(queued);

    expect(indexWriteCost(sweep, TABLE_KEY, undefined, image(rest))).to.deep.equal({ change: "none", units: 0 });
  });

  it("writes nothing for an item absent before and after (a put that failed its condition leaves no trace either)", () => {
    expect(indexWriteCost(created, TABLE_KEY, undefined, undefined)).to.deep.equal({ change: "none", units: 0 });
    expect(indexWriteCost(created, TABLE_KEY, queued, queued)).to.deep.equal({ change: "none", units: 0 });
  });

  it("costs 1 unit per KB of the index entry, rounded up: the entry's table key, index keys and projected attributes only", () => {
    const bigType = image({ ...unmarshalled(queued), type: "t".repeat(1_500) });
    const bigPayload = image({ ...unmarshalled(queued), payload: { text: "p".repeat(4_500) } });
    const entry = indexEntry(created, TABLE_KEY, bigType);

    expect(Object.keys(entry).sort()).to.deep.equal(["jobId", "listKey", "listShard", "type"]);
    expect(itemSize(entry)).to.be.within(1_025, 2_048);
    expect(indexWriteCost(created, TABLE_KEY, undefined, bigType)).to.deep.equal({ change: "put", units: 2 });
    expect(indexWriteCost(created, TABLE_KEY, undefined, bigPayload)).to.deep.equal({ change: "put", units: 1 });
    expect(indexWriteCost(everything, TABLE_KEY, undefined, bigPayload)).to.deep.equal({ change: "put", units: 5 });
  });

  it("sizes a replace as the old entry deleted plus the new one put", () => {
    const bigBefore = image({ ...unmarshalled(queued), type: "t".repeat(1_500) });
    const moved = image({ ...unmarshalled(queued), listKey: "owner#0000000002000" });

    expect(indexWriteCost(created, TABLE_KEY, bigBefore, moved)).to.deep.equal({ change: "replace", units: 3 });
  });
});

describe("bench/indexWrites: IndexWriteMeter", () => {
  const TABLE = "jobs";
  const key = { jobId: queued.jobId! };

  /** A meter whose "stored item" is `current`, which the fake write replaces with `next`. */
  function meterOver(initial: Image) {
    let current = initial;
    const reads: string[] = [];
    const meter = new IndexWriteMeter(async (asked) => {
      reads.push(JSON.stringify(asked));
      return current;
    }, TABLE);
    const write = (commandName: string, input: Record<string, unknown>, next: Image, fail = false) =>
      meter.middleware()(async () => {
        if (fail) throw new Error("ConditionalCheckFailedException");
        current = next;
        return { output: {} };
      }, { commandName })({ input: { TableName: TABLE, ...input } });
    return { meter, reads, write };
  }

  it("reads the item before and after each write and attributes the units per index: put, claim, commit make 4 index units", async () => {
    const { meter, reads, write } = meterOver(undefined);

    await write("PutItemCommand", { Item: queued }, queued);
    await write("UpdateItemCommand", { Key: key }, claimed);
    await write("UpdateItemCommand", { Key: key }, succeeded);
    const tally = meter.snapshot();

    expect(reads).to.have.length(6);
    expect(reads.every((read) => read === JSON.stringify(key))).to.equal(true);
    expect(tally.writes).to.deep.equal({ PutItem: 1, UpdateItem: 2 });
    expect(tally.tableUnits).to.equal(3);
    expect(tally.byIndex[sweep.name]).to.deep.include({ units: 2, changes: { put: 1, delete: 1, replace: 0, update: 0 } });
    expect(tally.byIndex[created.name]).to.deep.include({ units: 1, changes: { put: 1, delete: 0, replace: 0, update: 0 } });
    expect(tally.byIndex[done.name]).to.deep.include({ units: 1, byPartition: { [JSON.stringify({ S: "SUCCEEDED#1" })]: 1 } });
  });

  it("counts a write that failed as no index change, and still passes its error on", async () => {
    const { meter, write } = meterOver(queued);

    const failure = await write("UpdateItemCommand", { Key: key }, claimed, true).catch((error: Error) => error);

    expect(failure).to.be.instanceOf(Error);
    expect(meter.snapshot()).to.deep.equal({ writes: { UpdateItem: 1 }, tableUnits: 1, byIndex: {} });
  });

  it("leaves reads and other tables' writes alone", async () => {
    const { meter, reads } = meterOver(queued);
    const passed: string[] = [];
    const next = async (args: { input: { TableName?: string } }) => {
      passed.push(String(args.input.TableName));
      return { output: {} };
    };

    await meter.middleware()(next, { commandName: "GetItemCommand" })({ input: { TableName: TABLE, Key: key } });
    await meter.middleware()(next, { commandName: "PutItemCommand" })({ input: { TableName: "other", Item: queued } });

    expect(passed).to.deep.equal([TABLE, "other"]);
    expect(reads).to.deep.equal([]);
    expect(meter.snapshot().writes).to.deep.equal({});
  });
});
