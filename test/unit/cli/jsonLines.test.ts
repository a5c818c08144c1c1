import { expect } from "chai";
import { UsageError } from "../../../cli/errors";
import { addBatchResults, batchesOf, batchTotalsText, emptyBatchTotals, parseJobLines } from "../../../cli/jsonLines";

describe("cli JSON lines (submit-batch)", () => {
  it("reads one job per line, skipping blank lines, each with its 1-based line number", () => {
    const text = '{"type":"text.transform","payload":{"text":"a"}}\n\n   \r\n{"type":"hash.digest","payload":{"text":"b"},"idempotencyKey":"k"}\r\n';
    expect(parseJobLines(text)).to.deep.equal([
      { line: 1, job: { type: "text.transform", payload: { text: "a" } } },
      { line: 4, job: { type: "hash.digest", payload: { text: "b" }, idempotencyKey: "k" } },
    ]);
  });

  it("refuses a file with a line that is not JSON, or not an object, naming each line: nothing is sent", () => {
    const text = '{"type":"t","payload":{}}\n{"type": oops}\n[1]\n{"type":"t","payload":{}}\n"str"\n';
    expect(() => parseJobLines(text, "jobs.jsonl")).to.throw(UsageError, /jobs\.jsonl has 3 bad lines, nothing was sent:\n  line 2: not JSON .*\n  line 3: not a JSON object.*\n  line 5: not a JSON object/s);
  });

  it("refuses a file with no jobs", () => {
    expect(() => parseJobLines("\n\n")).to.throw(UsageError, /no jobs/);
  });

  it("cuts the jobs into batches of 100 in order", () => {
    const batches = batchesOf(Array.from({ length: 250 }, (_, n) => n));
    expect(batches.map((batch) => batch.length)).to.deep.equal([100, 100, 50]);
    expect(batches.flat()).to.deep.equal(Array.from({ length: 250 }, (_, n) => n));
  });

  it("counts accepted, replayed, invalid and conflict results and names each refused line", () => {
    const totals = emptyBatchTotals();
    const batch = [3, 5, 8, 9].map((line) => ({ line, job: { type: "t", payload: {} } }));
    addBatchResults(totals, batch, [
      { index: 0, status: 202, jobId: "a", job: { jobId: "a", type: "t", status: "QUEUED", createdAt: "x" } },
      { index: 1, status: 200, jobId: "b", job: { jobId: "b", type: "t", status: "SUCCEEDED", createdAt: "x" } },
      { index: 2, status: 400, errors: [{ path: "payload.text", message: "text is required" }] },
      { index: 3, status: 422, jobId: "d", detail: "this idempotencyKey was already used for a different job" },
    ]);
    expect(totals).to.include({ accepted: 1, replayed: 1, invalid: 1, conflict: 1 });
    expect(batchTotalsText(totals)).to.equal(
      "1 accepted, 1 replayed, 1 invalid, 1 conflict\nline 8: invalid: payload.text: text is required\nline 9: conflict: this idempotencyKey was already used for a different job (d)\n",
    );
  });
});
