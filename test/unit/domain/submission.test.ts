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

  it("refuses a delay outside 0–900 or not whole", () => {
    for (const delaySeconds of [-1, 901, 1.5, "5"]) {
      const [error] = errorsOf({ type: "text.transform", payload: { text: "a" }, delaySeconds });
      expect(error, String(delaySeconds)).to.include({ path: "delaySeconds" });
    }
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
