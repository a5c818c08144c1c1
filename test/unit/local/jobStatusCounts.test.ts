import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { expect } from "chai";
import { JobStatusCounts } from "../../../local/jobStatusCounts";

describe("local metrics: jobs by status", () => {
  /** A DynamoDB client answering scans with `pages`, counting the calls; `release` lets a held scan finish. */
  function fakeDynamo(pages: { Items: Record<string, { S: string }>[]; LastEvaluatedKey?: Record<string, { S: string }> }[]) {
    let scans = 0;
    let hold: Promise<void> | undefined;
    let release = () => {};
    const client = {
      async send() {
        const page = pages[scans++ % pages.length]!;
        if (hold) await hold;
        return page;
      },
    };
    return {
      client: client as unknown as DynamoDBClient,
      scans: () => scans,
      holdNext() {
        hold = new Promise((resolve) => (release = resolve));
      },
      release: () => release(),
    };
  }

  it("counts every page of the table by status, skipping items without one", async () => {
    const dynamo = fakeDynamo([
      { Items: [{ status: { S: "QUEUED" } }, { status: { S: "SUCCEEDED" } }, {}], LastEvaluatedKey: { jobId: { S: "b" } } },
      { Items: [{ status: { S: "SUCCEEDED" } }, { status: { S: "FAILED" } }] },
    ]);
    const counts = new JobStatusCounts({ dynamo: dynamo.client, tableName: "jobs" });
    const { counts: byStatus } = await counts.read();
    expect(byStatus).to.deep.equal({ QUEUED: 1, IN_PROGRESS: 0, SUCCEEDED: 2, FAILED: 1, CANCELED: 0 });
    expect(dynamo.scans()).to.equal(2);
  });

  it("scans once for scrapes at the same time, and not again while the result is fresh", async () => {
    let nowMs = 0;
    const dynamo = fakeDynamo([{ Items: [{ status: { S: "QUEUED" } }] }]);
    const counts = new JobStatusCounts({ dynamo: dynamo.client, tableName: "jobs", minAgeMs: 1_000, now: () => nowMs });
    dynamo.holdNext();
    const together = [counts.read(), counts.read(), counts.read()];
    dynamo.release();
    await Promise.all(together);
    expect(dynamo.scans(), "concurrent scrapes").to.equal(1);

    nowMs = 999;
    await counts.read();
    expect(dynamo.scans(), "within the minimum age").to.equal(1);
    nowMs = 1_000;
    await counts.read();
    expect(dynamo.scans(), "once it is a second old").to.equal(2);
  });

  it("serves a slow scan's result for five times as long as the scan took", async () => {
    let nowMs = 0;
    const dynamo = fakeDynamo([{ Items: [] }]);
    const counts = new JobStatusCounts({ dynamo: dynamo.client, tableName: "jobs", minAgeMs: 1_000, costFactor: 5, now: () => nowMs });
    const original = dynamo.client.send.bind(dynamo.client);
    // The scan takes 2 s of the fake clock.
    (dynamo.client as unknown as { send: () => Promise<unknown> }).send = async () => {
      nowMs += 2_000;
      return original(undefined as never);
    };
    await counts.read();
    expect(dynamo.scans()).to.equal(1);
    nowMs += 9_999;
    await counts.read();
    expect(dynamo.scans(), "younger than 5 x 2 s").to.equal(1);
    nowMs += 1;
    await counts.read();
    expect(dynamo.scans()).to.equal(2);
  });
});
