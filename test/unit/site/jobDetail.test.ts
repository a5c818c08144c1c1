import { expect } from "chai";
import { attemptDuration, timelineOf } from "../../../site/jobDetail.js";
import { viewOfHash } from "../../../site/views.js";

const base = { jobId: "j1", type: "demo.unreliable", maxAttempts: 4, delaySeconds: 0, createdAt: "2024-05-01T10:00:00.000Z", updatedAt: "2024-05-01T10:00:05.000Z" };

describe("site job detail", () => {
  it("tells a failed job's life from submission through each attempt to its end", () => {
    const job = {
      ...base,
      status: "FAILED",
      attempts: 2,
      finishedAt: "2024-05-01T10:00:05.000Z",
      attemptHistory: [
        { attempt: 1, startedAt: "2024-05-01T10:00:01.000Z", finishedAt: "2024-05-01T10:00:02.000Z", outcome: "RETRYING", errorCode: "DEMO_TRANSIENT" },
        { attempt: 2, startedAt: "2024-05-01T10:00:04.000Z", finishedAt: "2024-05-01T10:00:05.000Z", outcome: "FAILED", errorCode: "DEMO_PERMANENT" },
      ],
    };

    expect(timelineOf(job as never).map((entry) => [entry.text, entry.at])).to.deep.equal([
      ["Submitted", "2024-05-01T10:00:00.000Z"],
      ["Attempt 1 started", "2024-05-01T10:00:01.000Z"],
      ["Attempt 1 failed, to be retried (DEMO_TRANSIENT)", "2024-05-01T10:00:02.000Z"],
      ["Attempt 2 started", "2024-05-01T10:00:04.000Z"],
      ["Attempt 2 failed (DEMO_PERMANENT)", "2024-05-01T10:00:05.000Z"],
      ["Finished: FAILED", "2024-05-01T10:00:05.000Z"],
    ]);
  });

  it("shows a delayed job waiting, a running attempt without an end, and a cancel at its update time", () => {
    expect(timelineOf({ ...base, status: "QUEUED", attempts: 0, delaySeconds: 600, attemptHistory: [] } as never).map((entry) => entry.text)).to.deep.equal([
      "Submitted, to run after a 600 s delay",
      "Waiting for its first attempt",
    ]);
    expect(timelineOf({ ...base, status: "IN_PROGRESS", attempts: 1, attemptHistory: [{ attempt: 1, startedAt: "2024-05-01T10:00:01.000Z", outcome: "RUNNING" }] } as never).map((entry) => entry.text)).to.deep.equal([
      "Submitted",
      "Attempt 1 started",
    ]);
    expect(timelineOf({ ...base, status: "CANCELED", attempts: 0 } as never).at(-1)).to.deep.equal({ at: base.updatedAt, text: "Canceled", kind: "end" });
  });

  it("gives an attempt's duration, none while it runs", () => {
    expect(attemptDuration({ attempt: 1, startedAt: "2024-05-01T10:00:01.000Z", finishedAt: "2024-05-01T10:00:01.250Z", outcome: "SUCCEEDED" })).to.equal("250 ms");
    expect(attemptDuration({ attempt: 1, startedAt: "2024-05-01T10:00:01.000Z", finishedAt: "2024-05-01T10:00:03.500Z", outcome: "FAILED" })).to.equal("2.5 s");
    expect(attemptDuration({ attempt: 1, startedAt: "2024-05-01T10:00:01.000Z", outcome: "RUNNING" })).to.equal("—");
  });
});

describe("site views", () => {
  it("chooses the view a hash names, the Submit view without one, and keeps the view for any other fragment", () => {
    expect(viewOfHash("#operations", "submit")).to.equal("operations");
    expect(viewOfHash("#submit", "operations")).to.equal("submit");
    expect(viewOfHash("", "operations")).to.equal("submit");
    expect(viewOfHash("#main", "operations")).to.equal("operations");
    expect(viewOfHash("#operations?status=FAILED", "submit")).to.equal("operations");
  });
});
