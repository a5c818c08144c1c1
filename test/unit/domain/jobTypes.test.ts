import { expect } from "chai";
import * as v from "valibot";
import { builtInJobTypes, createRegistry, describeJobTypes, JobFailure, type JobType } from "../../../handlers/domain/jobTypes";
import { textTransform } from "../../../handlers/domain/jobTypes/textTransform";
import { hashDigest } from "../../../handlers/domain/jobTypes/hashDigest";
import { demoUnreliable } from "../../../handlers/domain/jobTypes/demoUnreliable";

const context = (attempt = 1) => ({ jobId: "j", attempt, signal: new AbortController().signal });

describe("domain/jobTypes", () => {
  it("registers the three built-in types, each with a valid example", () => {
    expect([...builtInJobTypes.keys()]).to.deep.equal(["text.transform", "hash.digest", "demo.unreliable"]);
    for (const jobType of builtInJobTypes.values()) {
      expect(v.safeParse(jobType.schema, jobType.example).success, jobType.type).to.equal(true);
    }
  });

  it("refuses a registry with a duplicate name or unusable limits", () => {
    expect(() => createRegistry([textTransform, textTransform])).to.throw(/registered twice/);
    expect(() => createRegistry([{ ...textTransform, maxAttempts: 0 } as JobType])).to.throw(/maxAttempts/);
    expect(() => createRegistry([{ ...textTransform, timeoutSeconds: 0 } as JobType])).to.throw(/timeoutSeconds/);
  });

  it("describes each type with a JSON Schema of its payload", () => {
    const [text] = describeJobTypes(builtInJobTypes);
    expect(text).to.include({ type: "text.transform", timeoutSeconds: 10, maxAttempts: 3 });
    expect(text!.payloadSchema).to.deep.include({
      type: "object",
      required: ["text"],
      properties: { text: { type: "string", minLength: 1, maxLength: 10_000 } },
    });
  });

  describe("text.transform", () => {
    it("computes the seed's example", async () => {
      expect(await textTransform.run({ text: "hello cloudqueue" }, context())).to.deep.equal({
        originalLength: 16,
        uppercase: "HELLO CLOUDQUEUE",
        wordCount: 2,
      });
    });

    it("counts code points and splits words on Unicode white space", async () => {
      const result = await textTransform.run({ text: "😀 ﬁ\u00a0naïve\u2003x" }, context());
      expect(result.originalLength).to.equal(11);
      expect(result.wordCount).to.equal(4);
      expect(result.uppercase).to.equal("😀 FI\u00a0NAÏVE\u2003X");
    });

    it("accepts 10 000 code points and refuses 10 001 or none", () => {
      expect(v.safeParse(textTransform.schema, { text: "😀".repeat(10_000) }).success).to.equal(true);
      expect(v.safeParse(textTransform.schema, { text: "a".repeat(10_001) }).success).to.equal(false);
      expect(v.safeParse(textTransform.schema, { text: "" }).success).to.equal(false);
      expect(v.safeParse(textTransform.schema, { text: "a", extra: 1 }).success).to.equal(false);
    });
  });

  it("hash.digest returns the hex digest of the UTF-8 text", async () => {
    expect(await hashDigest.run({ text: "abc", algorithm: "sha256" }, context())).to.deep.equal({
      algorithm: "sha256",
      hex: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    });
    expect((await hashDigest.run({ text: "abc", algorithm: "sha512" }, context())).hex).to.have.length(128);
    expect(v.safeParse(hashDigest.schema, { text: "abc", algorithm: "md5" }).success).to.equal(false);
  });

  describe("demo.unreliable", () => {
    it("fails its first failAttempts attempts retryably, then succeeds", async () => {
      const payload = { sleepMs: 0, failAttempts: 2, permanent: false };
      for (const attempt of [1, 2]) {
        const failure = await demoUnreliable.run(payload, context(attempt)).catch((error: unknown) => error);
        expect(failure).to.be.instanceOf(JobFailure).and.include({ retryable: true, code: "DEMO_TRANSIENT" });
      }
      expect(await demoUnreliable.run(payload, context(3))).to.deep.equal({ attempt: 3, sleptMs: 0 });
    });

    it("fails permanently when asked, not retryably", async () => {
      const failure = await demoUnreliable.run({ sleepMs: 0, failAttempts: 0, permanent: true }, context()).catch((error: unknown) => error);
      expect(failure).to.be.instanceOf(JobFailure).and.include({ retryable: false, code: "DEMO_PERMANENT" });
    });

    it("stops sleeping when its signal aborts", async () => {
      const controller = new AbortController();
      const run = demoUnreliable.run({ sleepMs: 60_000, failAttempts: 0, permanent: false }, { jobId: "j", attempt: 1, signal: controller.signal });
      controller.abort(new Error("cut off"));
      const failure = await run.catch((error: unknown) => error);
      expect(failure).to.be.instanceOf(Error).and.have.property("message", "cut off");
    });
  });
});
