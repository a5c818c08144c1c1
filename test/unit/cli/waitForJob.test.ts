import { expect } from "chai";
import { ApiError, type Job } from "../../../cli/client";
import { MAX_FAILED_READS, waitForJob } from "../../../cli/waitForJob";
import { job, NOW } from "./fakes";

/** A reader answering the given jobs (or throwing the given errors) in turn. */
function reader(answers: (Job | Error)[]) {
  const reads: string[] = [];
  return {
    reads,
    get: async (jobId: string) => {
      reads.push(jobId);
      const next = answers.shift();
      if (!next) throw new Error("read past the script");
      if (next instanceof Error) throw next;
      return next;
    },
  };
}

const unreachable = () => new ApiError(0, { title: "Network error" });

describe("cli/waitForJob", () => {
  it("reads until the job is terminal, with the page's backoff, reporting every read", async () => {
    const sleeps: number[] = [];
    const seen: string[] = [];
    const client = reader([job({ status: "QUEUED" }), job({ status: "IN_PROGRESS", attempts: 1 }), job({ status: "IN_PROGRESS", attempts: 1 }), job({ status: "SUCCEEDED", attempts: 1 })]);
    const final = await waitForJob(client, job(), { sleep: async (ms) => void sleeps.push(ms), now: () => NOW, onUpdate: (current) => seen.push(current.status) });
    expect(final.status).to.equal("SUCCEEDED");
    expect(sleeps).to.deep.equal([250, 500, 1_000, 2_000]);
    expect(seen).to.deep.equal(["QUEUED", "QUEUED", "IN_PROGRESS", "IN_PROGRESS", "SUCCEEDED"]);
  });

  it("does not read a terminal job at all", async () => {
    const client = reader([]);
    const final = await waitForJob(client, job({ status: "CANCELED" }), { sleep: async () => {} });
    expect(final.status).to.equal("CANCELED");
    expect(client.reads).to.deep.equal([]);
  });

  it("does not read a delayed job before it can run", async () => {
    const sleeps: number[] = [];
    const delayed = job({ delaySeconds: 10, createdAt: new Date(NOW).toISOString() });
    await waitForJob(reader([job({ status: "SUCCEEDED" })]), delayed, { sleep: async (ms) => void sleeps.push(ms), now: () => NOW });
    expect(sleeps).to.deep.equal([10_250]);
  });

  it("rides out reads the API could not answer, waiting at least their Retry-After", async () => {
    const sleeps: number[] = [];
    const failures: number[] = [];
    const busy = new ApiError(503, { title: "Service Unavailable" }, 3);
    const client = reader([unreachable(), busy, job({ status: "SUCCEEDED" })]);
    const final = await waitForJob(client, job(), { sleep: async (ms) => void sleeps.push(ms), now: () => NOW, onReadFailure: (_error, inARow) => failures.push(inARow) });
    expect(final.status).to.equal("SUCCEEDED");
    expect(failures).to.deep.equal([1, 2]);
    expect(sleeps).to.deep.equal([250, 500, 3_000]);
  });

  it(`gives up after ${MAX_FAILED_READS} failed reads in a row`, async () => {
    const client = reader(Array.from({ length: MAX_FAILED_READS }, unreachable));
    const error = await waitForJob(client, job(), { sleep: async () => {} }).catch((caught: unknown) => caught);
    expect((error as ApiError).status).to.equal(0);
    expect(client.reads).to.have.length(MAX_FAILED_READS);
  });

  it("ends at once when a read is refused (the job is gone, the token expired)", async () => {
    const client = reader([new ApiError(404, { title: "Not Found" }), job({ status: "SUCCEEDED" })]);
    const error = await waitForJob(client, job(), { sleep: async () => {} }).catch((caught: unknown) => caught);
    expect((error as ApiError).status).to.equal(404);
    expect(client.reads).to.have.length(1);
  });
});
