import { expect } from "chai";
import { ApiError } from "../../../site/api.js";
import { CALL_ATTEMPTS, runBulk } from "../../../site/bulkRun.js";

interface Call {
  action: string;
  request: Record<string, unknown>;
  idempotencyKey: string | undefined;
}

/** A client whose bulk calls answer `answers` in turn (an Error is thrown), recording each call. */
function fakeApi(answers: Array<Record<string, unknown> | Error>) {
  const calls: Call[] = [];
  const api = {
    async bulk(action: string, request: Record<string, unknown>, options: { idempotencyKey?: string } = {}) {
      calls.push({ action, request: { ...request }, idempotencyKey: options.idempotencyKey });
      const answer = answers.shift();
      if (!answer) throw new Error("no more answers");
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
  return { api: api as never, calls };
}

const page = (changed: number, nextCursor?: string, skippedJobs: unknown[] = []) => ({
  action: "retry",
  dryRun: false,
  examined: changed + skippedJobs.length,
  changed,
  skipped: skippedJobs.length,
  changedJobIds: [],
  skippedJobs,
  ...(nextCursor && { nextCursor }),
});

const noWait = async () => {};

describe("site runBulk", () => {
  it("follows nextCursor call by call with the same filter, one Idempotency-Key per call, and adds up the counts", async () => {
    const skipped = { jobId: "j9", status: "SUCCEEDED", reason: "changed" };
    const { api, calls } = fakeApi([page(100, "c1"), page(40, "c2", [skipped]), page(3)]);
    const progress: number[] = [];

    const totals = await runBulk(api, "retry", { filter: { status: ["FAILED"] } }, { operationId: "op", onProgress: (t) => progress.push(t.changed), sleep: noWait });

    expect(calls.map((call) => call.request)).to.deep.equal([
      { filter: { status: ["FAILED"] }, dryRun: false },
      { filter: { status: ["FAILED"] }, dryRun: false, cursor: "c1" },
      { filter: { status: ["FAILED"] }, dryRun: false, cursor: "c2" },
    ]);
    expect(calls.map((call) => call.idempotencyKey)).to.deep.equal(["op-0", "op-1", "op-2"]);
    expect(progress).to.deep.equal([100, 140, 143]);
    expect(totals).to.deep.include({ calls: 3, examined: 144, changed: 143, skipped: 1, done: true, stopped: false });
    expect(totals.skippedJobs).to.deep.equal([skipped]);
    expect(totals.failure).to.equal(undefined);
  });

  it("acts on job ids in one call", async () => {
    const { api, calls } = fakeApi([page(2)]);

    const totals = await runBulk(api, "cancel", { jobIds: ["a", "b"] }, { sleep: noWait });

    expect(calls).to.have.length(1);
    expect(calls[0]!.action).to.equal("cancel");
    expect(calls[0]!.request).to.deep.equal({ jobIds: ["a", "b"], dryRun: false });
    expect(calls[0]!.idempotencyKey).to.match(/^[0-9a-f-]{32,36}-0$/);
    expect(totals).to.deep.include({ calls: 1, changed: 2, done: true });
  });

  it("sends a call that failed in passing again with the same key and body, waiting what Retry-After asks", async () => {
    const waits: number[] = [];
    const { api, calls } = fakeApi([page(5, "c1"), new ApiError(503, { title: "busy" }, 2), new ApiError(0, { title: "Network error" }), new ApiError(409, { title: "still running" }), page(1)]);

    const totals = await runBulk(api, "retry", { filter: {} }, { operationId: "op", sleep: async (ms) => void waits.push(ms) });

    expect(calls.map((call) => call.idempotencyKey)).to.deep.equal(["op-0", "op-1", "op-1", "op-1", "op-1"]);
    expect(new Set(calls.slice(1).map((call) => JSON.stringify(call.request))).size).to.equal(1);
    expect(waits).to.deep.equal([2000, 2000, 4000]);
    expect(totals).to.deep.include({ calls: 2, changed: 6, done: true });
  });

  it("ends with the totals so far and the failure when a call fails for good", async () => {
    const refused = new ApiError(400, { title: "Bad Request", detail: "cursor does not match" });
    const { api, calls } = fakeApi([page(7, "c1"), refused]);

    const totals = await runBulk(api, "retry", { filter: {} }, { sleep: noWait });

    expect(calls).to.have.length(2);
    expect(totals).to.deep.include({ calls: 1, changed: 7, done: false, stopped: false });
    expect(totals.failure).to.equal(refused);
  });

  it(`gives up on a call after ${CALL_ATTEMPTS} tries`, async () => {
    const { api, calls } = fakeApi(Array.from({ length: CALL_ATTEMPTS + 1 }, () => new ApiError(500, { title: "boom" })));

    const totals = await runBulk(api, "cancel", { filter: {} }, { sleep: noWait });

    expect(calls).to.have.length(CALL_ATTEMPTS);
    expect(totals.calls).to.equal(0);
    expect((totals.failure as ApiError).status).to.equal(500);
  });

  it("stops between calls when asked, saying it did not reach the end", async () => {
    const { api, calls } = fakeApi([page(100, "c1"), page(100, "c2")]);
    let stop = false;

    const totals = await runBulk(api, "retry", { filter: {} }, { sleep: noWait, onProgress: () => (stop = true), shouldStop: () => stop });

    expect(calls).to.have.length(1);
    expect(totals).to.deep.include({ changed: 100, done: false, stopped: true });
  });
});
