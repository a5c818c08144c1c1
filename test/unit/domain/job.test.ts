import { expect } from "chai";
import { canTransition, isClaimable, isTerminal, JobStatus, toJobView, type Job } from "../../../handlers/domain/job";

const job = (overrides: Partial<Job> = {}): Job => ({
  jobId: "0b4f8c8e-6a8e-4e8e-9a8e-0b4f8c8e6a8e",
  type: "text.transform",
  status: JobStatus.QUEUED,
  payload: { text: "x" },
  attempts: 0,
  maxAttempts: 3,
  delaySeconds: 0,
  createdAt: "2026-01-01T00:00:00.000Z",
  updatedAt: "2026-01-01T00:00:00.000Z",
  ...overrides,
});

describe("domain/job", () => {
  describe("canTransition", () => {
    const legal: [JobStatus, JobStatus][] = [
      ["QUEUED", "IN_PROGRESS"],
      ["QUEUED", "CANCELED"],
      ["IN_PROGRESS", "SUCCEEDED"],
      ["IN_PROGRESS", "FAILED"],
      ["IN_PROGRESS", "QUEUED"],
      ["FAILED", "QUEUED"],
      ["CANCELED", "QUEUED"],
    ];
    const all = Object.values(JobStatus);

    it("allows exactly the transitions of the lifecycle", () => {
      for (const from of all) {
        for (const to of all) {
          const expected = legal.some(([a, b]) => a === from && b === to);
          expect(canTransition(from, to), `${from} → ${to}`).to.equal(expected);
        }
      }
    });

    it("lets nothing leave SUCCEEDED", () => {
      expect(all.filter((to) => canTransition("SUCCEEDED", to))).to.deep.equal([]);
    });
  });

  it("calls SUCCEEDED, FAILED and CANCELED terminal, and only those", () => {
    expect(Object.values(JobStatus).filter(isTerminal)).to.deep.equal(["SUCCEEDED", "FAILED", "CANCELED"]);
  });

  describe("isClaimable", () => {
    const now = 1_000_000;
    it("claims a queued job with attempts left", () => expect(isClaimable(job(), now)).to.equal(true));
    it("refuses a queued job out of attempts", () => expect(isClaimable(job({ attempts: 3 }), now)).to.equal(false));
    it("refuses a job held by a live lease", () => {
      expect(isClaimable(job({ status: "IN_PROGRESS", attempts: 1, leaseExpiresAt: now + 1 }), now)).to.equal(false);
    });
    it("reclaims a job whose lease expired", () => {
      expect(isClaimable(job({ status: "IN_PROGRESS", attempts: 1, leaseExpiresAt: now - 1 }), now)).to.equal(true);
    });
    it("refuses terminal jobs", () => {
      for (const status of ["SUCCEEDED", "FAILED", "CANCELED"] as const) expect(isClaimable(job({ status }), now)).to.equal(false);
    });
  });

  it("strips protocol bookkeeping from the client's view", () => {
    const view = toJobView(job({ claimToken: "t", leaseExpiresAt: 5, idempotencyKey: "k", requestHash: "h", result: { ok: 1 } }));
    expect(view).to.not.have.any.keys("claimToken", "leaseExpiresAt", "idempotencyKey", "requestHash");
    expect(view.result).to.deep.equal({ ok: 1 });
  });
});
