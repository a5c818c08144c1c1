import { expect } from "chai";
import { builtInJobTypes } from "../../../handlers/domain/jobTypes";
import { isIdempotencyKey, submissionHash, validateSubmission } from "../../../handlers/domain/submission";

const errorsOf = (body: unknown) => {
  const result = validateSubmission(body, builtInJobTypes);
  return result.ok ? [] : result.errors;
};

describe("domain/submission", () => {
  it("accepts a valid job and defaults delaySeconds to 0", () => {
    expect(validateSubmission({ type: "text.transform", payload: { text: "hi" } }, builtInJobTypes)).to.deep.equal({
      ok: true,
      submission: { type: "text.transform", payload: { text: "hi" }, delaySeconds: 0 },
    });
  });

  it("names the path of each payload error", () => {
    const errors = errorsOf({ type: "demo.unreliable", payload: { sleepMs: -1, failAttempts: "2", permanent: false } });
    expect(errors.map((error) => error.path)).to.deep.equal(["payload.sleepMs", "payload.failAttempts"]);
  });

  it("refuses an unknown type, naming the known ones", () => {
    const [error] = errorsOf({ type: "nope", payload: {} });
    expect(error).to.include({ path: "type" });
    expect(error!.message).to.contain("text.transform");
  });

  it("refuses a delay outside 0–31 536 000 (365 days) or not whole", () => {
    for (const delaySeconds of [-1, 31_536_001, 1.5, "5"]) {
      const [error] = errorsOf({ type: "text.transform", payload: { text: "a" }, delaySeconds });
      expect(error, String(delaySeconds)).to.include({ path: "delaySeconds" });
    }
  });

  it("takes a delay up to 365 days, or a runAt up to 365 days ahead of the injected clock", () => {
    const nowMs = Date.parse("2026-12-02T12:00:00Z");
    const check = (timing: object) => validateSubmission({ type: "text.transform", payload: { text: "a" }, ...timing }, builtInJobTypes, nowMs);
    expect(check({ delaySeconds: 31_536_000 })).to.deep.include({ ok: true });
    expect(check({ runAt: "2027-12-02T12:00:00Z" })).to.deep.equal({ ok: true, submission: { type: "text.transform", payload: { text: "a" }, runAt: "2027-12-02T12:00:00Z" } });
    expect(check({ runAt: "2027-12-02T12:00:00.001Z" })).to.deep.include({ ok: false });
    // A time already past runs the job at once: clocks of producers differ.
    expect(check({ runAt: "2026-12-01T00:00:00+01:00" })).to.deep.include({ ok: true });
    for (const runAt of ["2027-02-30T00:00:00Z", "2027-01-01", "2027-01-01T25:00:00Z", 1_800_000_000_000, ""]) {
      const result = check({ runAt });
      expect(result.ok ? [] : result.errors.map((error) => error.path), String(runAt)).to.deep.equal(["runAt"]);
    }
    const both = check({ delaySeconds: 5, runAt: "2027-01-01T00:00:00Z" });
    expect(both.ok ? [] : both.errors).to.deep.equal([{ path: "runAt", message: "give delaySeconds or runAt, not both" }]);
  });

  it("refuses a missing payload, non-object bodies and unknown fields", () => {
    expect(errorsOf({ type: "text.transform" })).to.deep.equal([{ path: "payload", message: "payload is required" }]);
    for (const body of [null, [], "x", 1]) expect(errorsOf(body), JSON.stringify(body)).to.have.length.greaterThan(0);
    expect(errorsOf({ type: "text.transform", payload: { text: "a" }, extra: true })[0]).to.include({ path: "extra" });
  });

  it("hashes a submission independently of key order", () => {
    const a = submissionHash({ type: "t", payload: { a: 1, b: [1, { c: 2, d: 3 }] }, delaySeconds: 0 });
    const b = submissionHash({ delaySeconds: 0, payload: { b: [1, { d: 3, c: 2 }], a: 1 }, type: "t" });
    const c = submissionHash({ type: "t", payload: { a: 2, b: [1, { c: 2, d: 3 }] }, delaySeconds: 0 });
    expect(a).to.equal(b);
    expect(a).to.not.equal(c);
  });

  it("accepts 1–255 printable ASCII characters as an Idempotency-Key", () => {
    expect(isIdempotencyKey("a")).to.equal(true);
    expect(isIdempotencyKey("x".repeat(255))).to.equal(true);
    expect(isIdempotencyKey("")).to.equal(false);
    expect(isIdempotencyKey("x".repeat(256))).to.equal(false);
    expect(isIdempotencyKey("tab\there")).to.equal(false);
    expect(isIdempotencyKey("ключ")).to.equal(false);
  });
});
