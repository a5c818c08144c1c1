import { expect } from "chai";
import { backoffSeconds } from "../../../handlers/domain/backoff";
import { keyedJobId } from "../../../handlers/auth/keyedJobId";
import { isJobId, newJobId } from "../../../handlers/domain/jobId";

describe("domain/backoff", () => {
  const settings = { baseSeconds: 2, maxSeconds: 300 };

  it("doubles per attempt between half and all of the exponential step", () => {
    expect([1, 2, 3, 4].map((attempts) => backoffSeconds(attempts, settings, 0))).to.deep.equal([1, 2, 4, 8]);
    expect([1, 2, 3, 4].map((attempts) => backoffSeconds(attempts, settings, 0.999999))).to.deep.equal([2, 4, 8, 16]);
  });

  it("never exceeds the cap, never drops below one second", () => {
    expect(backoffSeconds(30, settings, 0.999999)).to.equal(300);
    expect(backoffSeconds(0, { baseSeconds: 0.1, maxSeconds: 1 }, 0)).to.equal(1);
  });
});

describe("domain/jobId", () => {
  it("makes random UUIDs that validate", () => {
    const a = newJobId();
    expect(isJobId(a)).to.equal(true);
    expect(a).to.not.equal(newJobId());
  });

  it("maps an Idempotency-Key to the same valid id every time for one owner and secret, and keys, owners and secrets apart", () => {
    const secret = Buffer.alloc(32, 7);
    const id = keyedJobId(secret, "jwt:https://issuer#alice", "order-42");
    expect(isJobId(id)).to.equal(true);
    expect(keyedJobId(secret, "jwt:https://issuer#alice", "order-42")).to.equal(id);
    expect(keyedJobId(secret, "jwt:https://issuer#alice", "order-43")).to.not.equal(id);
    expect(keyedJobId(secret, "jwt:https://issuer#bob", "order-42"), "another owner").to.not.equal(id);
    expect(keyedJobId(Buffer.alloc(32, 8), "jwt:https://issuer#alice", "order-42"), "another secret").to.not.equal(id);
  });

  it("keeps owner and key apart: an owner/key pair is never read as another", () => {
    const secret = Buffer.alloc(32, 7);
    expect(keyedJobId(secret, "a\n1:b", "c")).to.not.equal(keyedJobId(secret, "a", "b\nc"));
    expect(keyedJobId(secret, "ab", "c")).to.not.equal(keyedJobId(secret, "a", "bc"));
  });

  it("rejects malformed ids", () => {
    for (const bad of ["", "abc", "0B4F8C8E-6A8E-4E8E-9A8E-0B4F8C8E6A8E", "0b4f8c8e-6a8e-4e8e-9a8e-0b4f8c8e6a8e0", "../etc/passwd"]) {
      expect(isJobId(bad), bad).to.equal(false);
    }
  });
});
