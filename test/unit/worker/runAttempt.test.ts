import { expect } from "chai";
import * as v from "valibot";
import type { Job } from "../../../handlers/domain/job";
import { builtInJobTypes, createRegistry, JobFailure, sleep, type JobType } from "../../../handlers/domain/jobTypes";
import { runAttempt } from "../../../handlers/worker/runAttempt";

const job = (type: string, payload: unknown): Job => ({
  jobId: "0b4f8c8e-6a8e-4e8e-9a8e-0b4f8c8e6a8e",
  type,
  status: "IN_PROGRESS",
  payload,
  attempts: 1,
  maxAttempts: 3,
  delaySeconds: 0,
  createdAt: "2026-01-01T00:00:00.000Z",
  updatedAt: "2026-01-01T00:00:00.000Z",
});

const type = (run: JobType["run"]): JobType => ({
  type: "t",
  description: "",
  schema: v.unknown(),
  example: {},
  timeoutSeconds: 1,
  maxAttempts: 3,
  run,
});

describe("worker/runAttempt", () => {
  it("returns the job type's result", async () => {
    expect(await runAttempt(job("text.transform", { text: "a b" }), builtInJobTypes, 1000)).to.deep.equal({
      ok: true,
      result: { originalLength: 3, uppercase: "A B", wordCount: 2 },
    });
  });

  it("cuts a run off at its budget as a retryable TIMED_OUT, aborting its signal", async () => {
    let aborted = false;
    const registry = createRegistry([type(async (_payload, { signal }) => sleep(60_000, signal).catch((error) => ((aborted = true), Promise.reject(error))))]);
    const result = await runAttempt(job("t", {}), registry, 20);
    expect(result).to.deep.include({ ok: false });
    if (!result.ok) expect(result.error).to.include({ code: "TIMED_OUT", retryable: true });
    expect(aborted).to.equal(true);
  });

  it("keeps a JobFailure's code and retryability", async () => {
    const registry = createRegistry([type(async () => { throw new JobFailure("BAD_INPUT", "no", { retryable: false }); })]);
    expect(await runAttempt(job("t", {}), registry, 1000)).to.deep.equal({ ok: false, error: { code: "BAD_INPUT", message: "no", retryable: false } });
  });

  it("treats any other error as retryable JOB_ERROR, message cut to 1000 characters", async () => {
    const registry = createRegistry([type(async () => { throw new Error("x".repeat(5000)); })]);
    const result = await runAttempt(job("t", {}), registry, 1000);
    if (result.ok) throw new Error("expected a failure");
    expect(result.error).to.include({ code: "JOB_ERROR", retryable: true });
    expect(result.error.message).to.have.length(1000);
  });

  it("fails, without running, a job whose type is unknown or whose stored payload is invalid", async () => {
    const unknown = await runAttempt(job("gone", {}), builtInJobTypes, 1000);
    const invalid = await runAttempt(job("text.transform", { text: 5 }), builtInJobTypes, 1000);
    expect(unknown).to.deep.include({ ok: false });
    expect(invalid).to.deep.include({ ok: false });
    if (!unknown.ok) expect(unknown.error).to.include({ code: "UNKNOWN_TYPE", retryable: false });
    if (!invalid.ok) expect(invalid.error).to.include({ code: "INVALID_PAYLOAD", retryable: false });
  });
});
