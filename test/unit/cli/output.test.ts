import { expect } from "chai";
import type { JobSummary } from "../../../cli/client";
import { age, dryRunText, duration, jobDetail, jobsTable, json, summaryTable, table } from "../../../cli/output";
import { job, NOW } from "./fakes";

describe("cli/output", () => {
  describe("table", () => {
    it("pads every column but the last to its widest cell, two spaces apart", () => {
      expect(table(["ID", "STATUS", "NOTE"], [["a", "QUEUED", "x"], ["bbbb", "FAILED", ""]])).to.equal("ID    STATUS  NOTE\na     QUEUED  x\nbbbb  FAILED\n");
    });

    it("cuts a row to a terminal's width so that it does not wrap", () => {
      const text = table(["A", "B"], [["1", "a long description that goes on"]], 16);
      expect(text.split("\n").map((line) => line.length)).to.deep.equal([4, 16, 0]);
      expect(text).to.contain("1  a long descr…");
    });
  });

  it("says how long ago in the largest whole unit", () => {
    const ago = (ms: number) => age(new Date(NOW - ms).toISOString(), NOW);
    expect([ago(200), ago(42_000), ago(5 * 60_000 + 59_000), ago(3 * 3_600_000), ago(2 * 86_400_000)]).to.deep.equal(["just now", "42s ago", "5m ago", "3h ago", "2d ago"]);
    expect(age(undefined, NOW)).to.equal("-");
  });

  it("writes durations as a person reads them", () => {
    expect([duration(850), duration(4_200), duration(185_000), duration(7_800_000)]).to.deep.equal(["850ms", "4.2s", "3m05s", "2h10m"]);
  });

  it("lists jobs with status, attempts, age and error code", () => {
    const text = jobsTable([job({ jobId: "j1", status: "FAILED", attempts: 3, error: { code: "DEMO_PERMANENT", message: "no", retryable: false } }), job({ jobId: "j2" })], NOW);
    expect(text).to.equal(
      [
        "JOB ID  TYPE            STATUS  ATTEMPTS  CREATED  ERROR",
        "j1      text.transform  FAILED  3 of 3    1m ago   DEMO_PERMANENT",
        "j2      text.transform  QUEUED  0 of 3    1m ago",
        "",
      ].join("\n"),
    );
  });

  it("shows a job's error, attempt history, result and payload", () => {
    const text = jobDetail(
      job({
        status: "SUCCEEDED",
        attempts: 2,
        startedAt: "2025-05-01T11:59:10.000Z",
        finishedAt: "2025-05-01T11:59:14.200Z",
        payload: { text: "hi" },
        result: { uppercase: "HI" },
        attemptHistory: [
          { attempt: 1, startedAt: "2025-05-01T11:59:01.000Z", finishedAt: "2025-05-01T11:59:02.000Z", outcome: "RETRYING", errorCode: "DEMO_TRANSIENT" },
          { attempt: 2, startedAt: "2025-05-01T11:59:10.000Z", finishedAt: "2025-05-01T11:59:14.200Z", outcome: "SUCCEEDED" },
        ],
      }),
      NOW,
    );
    expect(text).to.contain("Status:   SUCCEEDED\n");
    expect(text).to.contain("Attempts: 2 of 3\n");
    expect(text).to.contain("Finished: 2025-05-01T11:59:14.200Z (45s ago), ran 4.2s\n");
    expect(text).to.contain("  1  RETRYING   2025-05-01T11:59:01.000Z  2025-05-01T11:59:02.000Z  DEMO_TRANSIENT\n");
    expect(text).to.contain('Result:\n  {\n    "uppercase": "HI"\n  }\n');
    expect(text).to.contain('Payload:\n  {\n    "text": "hi"\n  }\n');
    expect(text).not.to.contain("Error:");
  });

  it("counts by type and status with a total row", () => {
    const zero = { QUEUED: 0, IN_PROGRESS: 0, SUCCEEDED: 0, FAILED: 0, CANCELED: 0 };
    const summary: JobSummary = {
      scope: "owner",
      total: 5,
      byStatus: { ...zero, SUCCEEDED: 3, FAILED: 2 },
      byType: { "text.transform": { ...zero, SUCCEEDED: 3 }, "demo.unreliable": { ...zero, FAILED: 2 } },
      asOf: "2025-05-01T12:00:00.000Z",
    };
    expect(summaryTable(summary)).to.equal(
      [
        "your jobs, as of 2025-05-01T12:00:00.000Z",
        "TYPE             QUEUED  IN_PROGRESS  SUCCEEDED  FAILED  CANCELED  TOTAL",
        "demo.unreliable  0       0            0          2       0         2",
        "text.transform   0       0            3          0       0         3",
        "(all)            0       0            3          2       0         5",
        "",
      ].join("\n"),
    );
  });

  it("says how many jobs a dry run matched, 'at least' past the API's counting bound", () => {
    expect(dryRunText({ action: "retry", dryRun: true, matched: 0, matchedAtLeast: false, sample: [] }, NOW)).to.equal("0 jobs would be retried.\n");
    const many = dryRunText({ action: "cancel", dryRun: true, matched: 10_000, matchedAtLeast: true, sample: [job({ jobId: "q1" })] }, NOW);
    expect(many.split("\n")[0]).to.equal("at least 10000 jobs would be canceled (1 shown):");
    expect(many).to.contain("q1  ");
  });

  it("prints JSON with a final newline and nothing else", () => {
    expect(json({ a: [1] })).to.equal('{\n  "a": [\n    1\n  ]\n}\n');
  });
});
