import { expect } from "chai";
import { ApiError } from "../../../cli/client";
import { EXIT } from "../../../cli/exitCodes";
import { harness, job, NOW, runCli } from "./fakes";

const page = (ids: string[], nextCursor?: string) => ({ jobs: ids.map((jobId) => job({ jobId })), ...(nextCursor && { nextCursor }) });
const dryRun = (matched: number, action = "retry") => ({ action, dryRun: true, matched, matchedAtLeast: false, sample: [job({ jobId: "s1", status: "FAILED" })] });
const acted = (changed: string[], nextCursor?: string, skipped: { jobId: string; status?: string; reason: string }[] = []) => ({
  action: "retry",
  dryRun: false,
  examined: changed.length + skipped.length,
  changed: changed.length,
  skipped: skipped.length,
  changedJobIds: changed,
  skippedJobs: skipped,
  ...(nextCursor && { nextCursor }),
});

describe("cli/program", () => {
  describe("target and token", () => {
    it("connects to --api with the token from CLOUDQUEUE_TOKEN and the --timeout in ms", async () => {
      const h = harness({ listJobTypes: [[]] }, { env: { CLOUDQUEUE_TOKEN: "t0k" } });
      expect(await runCli(h, ["types", "--api", "http://127.0.0.1:9000", "--timeout", "5"])).to.equal(EXIT.ok);
      expect(h.connections).to.deep.equal([{ apiUrl: "http://127.0.0.1:9000/", token: "t0k", timeoutMs: 5_000 }]);
    });

    it("prefers --token to CLOUDQUEUE_TOKEN, and takes global options before the command too", async () => {
      const h = harness({ listJobTypes: [[]] }, { env: { CLOUDQUEUE_TOKEN: "from-env" } });
      await runCli(h, ["--token", "from-flag", "--api", "http://h:1", "types"]);
      expect(h.connections[0]).to.include({ token: "from-flag", timeoutMs: 30_000 });
    });

    it("refuses --api with --stack as a usage error, before any request", async () => {
      const h = harness({});
      expect(await runCli(h, ["list", "--api", "http://h:1", "--stack", "dev"])).to.equal(EXIT.usage);
      expect(h.stderr.text).to.equal("cloudqueue: option '--api <url>' cannot be used with option '--stack <name>'\n");
      expect(h.calls).to.deep.equal([]);
    });

    it("exits with the no-target code when --stack needs a pulumi CLI that is missing", async () => {
      const h = harness({});
      expect(await runCli(h, ["types", "--stack", "dev"])).to.equal(EXIT.noTarget);
      expect(h.stderr.text).to.match(/^cloudqueue: the pulumi CLI is not installed/);
    });
  });

  describe("usage", () => {
    for (const argv of [[], ["frobnicate"], ["get"], ["list", "--status", "done"], ["list", "--since", "yesterday"], ["list", "--limit", "0"], ["list", "--all", "--limit", "5"], ["bulk", "delete"], ["bulk", "retry", "--id", "a", "--status", "FAILED"], ["submit", "text.transform", "{nope"]]) {
      it(`exits 2 without calling the API for: cloudqueue ${argv.join(" ")}`, async () => {
        const h = harness({});
        expect(await runCli(h, ["--api", "http://h:1", ...argv])).to.equal(EXIT.usage);
        expect(h.calls).to.deep.equal([]);
        expect(h.stderr.text).to.not.equal("");
        expect(h.stdout.text).to.equal("");
      });
    }

    it("answers --help and --version with 0 on stdout", async () => {
      const help = harness({});
      expect(await runCli(help, ["bulk", "--help"])).to.equal(EXIT.ok);
      expect(help.stdout.text).to.contain("Usage: cloudqueue bulk [options] <action>");
      const version = harness({});
      expect(await runCli(version, ["--version"])).to.equal(EXIT.ok);
      expect(version.stdout.text).to.match(/^\d+\.\d+\.\d+\n$/);
    });
  });

  describe("submit", () => {
    it("sends the type, the JSON payload, the delay and the given Idempotency-Key", async () => {
      const h = harness({ submit: [job({ jobId: "new" })] });
      expect(await runCli(h, ["--api", "http://h:1", "submit", "text.transform", '{"text":"hi"}', "--delay", "30", "--key", "order-7"])).to.equal(EXIT.ok);
      expect(h.calls).to.deep.equal([["submit", { type: "text.transform", payload: { text: "hi" }, delaySeconds: 30 }, { idempotencyKey: "order-7" }]]);
      expect(h.stdout.text).to.equal("Submitted new (text.transform): QUEUED\n");
    });

    it("sends a random Idempotency-Key without --key, so that the client's retry never submits twice", async () => {
      const h = harness({ submit: [job()] });
      await runCli(h, ["--api", "http://h:1", "submit", "text.transform", "@payload.json"]);
      expect(h.calls).to.deep.equal([["submit", { type: "text.transform", payload: { text: "from a file" } }, { idempotencyKey: "cloudqueue-cli-key1" }]]);
    });

    it("reads the payload from stdin with -", async () => {
      const h = harness({ submit: [job()] }, { stdin: '{"text":"piped"}' });
      await runCli(h, ["--api", "http://h:1", "submit", "text.transform", "-"]);
      expect(h.calls[0]?.[1]).to.deep.equal({ type: "text.transform", payload: { text: "piped" } });
    });

    it("with --wait, exits 0 for a job that succeeds and prints only the final job as JSON with --json", async () => {
      const done = job({ status: "SUCCEEDED", attempts: 1, result: { uppercase: "HI" } });
      const h = harness({ submit: [job()], get: [job({ status: "IN_PROGRESS", attempts: 1 }), done] });
      expect(await runCli(h, ["--api", "http://h:1", "--json", "submit", "text.transform", '{"text":"hi"}', "--wait"])).to.equal(EXIT.ok);
      expect(JSON.parse(h.stdout.text)).to.deep.equal(done);
      expect(h.sleeps).to.deep.equal([250, 500]);
      expect(h.stderr.text).to.equal("");
    });

    it("with --wait, exits 1 (not a usage error) for a job that fails, and shows its error", async () => {
      const failed = job({ status: "FAILED", attempts: 1, error: { code: "DEMO_PERMANENT", message: "asked to fail", retryable: false } });
      const h = harness({ submit: [job()], get: [failed] });
      expect(await runCli(h, ["--api", "http://h:1", "submit", "demo.unreliable", "{}", "--wait"])).to.equal(EXIT.failed);
      expect(h.stdout.text).to.contain("Error:    DEMO_PERMANENT: asked to fail\n");
    });

    it("with --wait on a terminal, keeps each change of the job's standing as a line on stderr, and clears the live line", async () => {
      const h = harness({ submit: [job()], get: [job({ status: "IN_PROGRESS", attempts: 1 }), job({ status: "QUEUED", attempts: 1, error: { code: "DEMO_TRANSIENT", message: "x", retryable: true } }), job({ status: "SUCCEEDED", attempts: 2 })] }, { tty: true });
      expect(await runCli(h, ["--api", "http://h:1", "submit", "demo.unreliable", "{}", "--wait"])).to.equal(EXIT.ok);
      const kept = h.stderr.text.split("\r\x1b[2K").filter((part) => part.endsWith("\n")).map((line) => line.trim());
      expect(kept).to.deep.equal(["0.0s  Queued", "0.0s  In progress, attempt 1 of 3", "0.0s  Queued, attempt 1 of 3 failed (DEMO_TRANSIENT): retrying", "0.0s  Succeeded after attempt 2 of 3"]);
      expect(h.stderr.text.endsWith("\r\x1b[2K")).to.equal(true);
      expect(h.stdout.text).to.match(/^Status:\s+SUCCEEDED$/m);
    });

    it("with --wait, exits 1 for a job canceled while waited for", async () => {
      const h = harness({ submit: [job()], get: [job({ status: "CANCELED" })] });
      expect(await runCli(h, ["--api", "http://h:1", "submit", "text.transform", "{}", "--wait"])).to.equal(EXIT.failed);
    });
  });

  describe("API errors", () => {
    it("exits 3 for a refusal, with the problem's title and detail, and each field error on its own line", async () => {
      const problem = { type: "urn:cloudqueue:problem:validation", title: "Bad Request", status: 400, detail: "the payload does not match text.transform", errors: [{ path: "payload.text", message: "text must not be empty" }] };
      const h = harness({ submit: [new ApiError(400, problem)] });
      expect(await runCli(h, ["--api", "http://h:1", "submit", "text.transform", '{"text":""}'])).to.equal(EXIT.refused);
      expect(h.stderr.text).to.equal("cloudqueue: Bad Request (400): the payload does not match text.transform\n  payload.text: text must not be empty\n");
      expect(h.stdout.text).to.equal("");
    });

    it("exits 3 for a job that is not there", async () => {
      const h = harness({ get: [new ApiError(404, { type: "urn:cloudqueue:problem:not-found", title: "Not Found", status: 404, detail: "no job x" })] });
      expect(await runCli(h, ["--api", "http://h:1", "get", "x"])).to.equal(EXIT.refused);
      expect(h.stderr.text).to.equal("cloudqueue: Not Found (404): no job x\n");
    });

    it("exits 4 for a 5xx", async () => {
      const h = harness({ summary: [new ApiError(503, { type: "urn:cloudqueue:problem:unavailable", title: "Service Unavailable", status: 503 })] });
      expect(await runCli(h, ["--api", "http://h:1", "summary"])).to.equal(EXIT.unavailable);
    });

    it("exits 4 when the API cannot be reached, naming the URL, the reason, and npm start for the local default", async () => {
      const h = harness({ listJobTypes: [new ApiError(0, { title: "Network error" })] });
      expect(await runCli(h, ["types"])).to.equal(EXIT.unavailable);
      expect(h.stderr.text).to.equal("cloudqueue: cannot reach the API at http://127.0.0.1:8080 (connect ECONNREFUSED 127.0.0.1:8080); is npm start running? (or pass --api URL or --stack NAME)\n");
    });

    it("says how to pass a token when a gateway answers 401", async () => {
      const h = harness({ list: [new ApiError(401, { title: "Unauthorized", status: 401, detail: "paste one under Access" })] });
      expect(await runCli(h, ["--api", "http://h:1", "list"])).to.equal(EXIT.refused);
      expect(h.stderr.text).to.match(/^cloudqueue: Unauthorized \(401\): this API needs a token: pass --token or set CLOUDQUEUE_TOKEN/);
    });
  });

  describe("list", () => {
    it("passes the filter as the API's query: statuses, type, schedule, createdAfter and createdBefore", async () => {
      const h = harness({ list: [page(["a"])] });
      await runCli(h, ["--api", "http://h:1", "list", "--status", "failed", "--status", "canceled", "--type", "demo.unreliable", "--schedule", "nightly-digest", "--since", "24h", "--until", "2025-05-01"]);
      expect(h.calls).to.deep.equal([["list", { status: ["FAILED", "CANCELED"], type: "demo.unreliable", schedule: "nightly-digest", createdAfter: new Date(NOW - 86_400_000).toISOString(), createdBefore: "2025-05-01T00:00:00.000Z", limit: 25 }]]);
    });

    it("follows nextCursor through short and empty pages until --limit, asking each page for what is left", async () => {
      const h = harness({ list: [page(["a", "b"], "c1"), page([], "c2"), page(["c", "d", "e"], "c3")] });
      expect(await runCli(h, ["--api", "http://h:1", "--json", "list", "--limit", "4"])).to.equal(EXIT.ok);
      expect(h.calls.map((call) => call[1])).to.deep.equal([{ limit: 4 }, { limit: 2, cursor: "c1" }, { limit: 2, cursor: "c2" }]);
      expect((JSON.parse(h.stdout.text) as { jobId: string }[]).map((found) => found.jobId)).to.deep.equal(["a", "b", "c", "d"]);
      expect(h.stderr.text).to.equal("More jobs match than the 4 shown: pass --limit N or --all for more.\n");
    });

    it("follows to the end with --all, 100 a page", async () => {
      const h = harness({ list: [page(["a"], "c1"), page(["b"])] });
      await runCli(h, ["--api", "http://h:1", "list", "--all"]);
      expect(h.calls.map((call) => call[1])).to.deep.equal([{ limit: 100 }, { limit: 100, cursor: "c1" }]);
      expect(h.stdout.text.split("\n")).to.have.length(4);
      expect(h.stderr.text).to.equal("");
    });

    it("stops with an error when the API gives the same cursor twice, rather than looping", async () => {
      const h = harness({ list: [page([], "same"), page([], "same")] });
      expect(await runCli(h, ["--api", "http://h:1", "list", "--all"])).to.equal(EXIT.unavailable);
      expect(h.stderr.text).to.match(/cursor it had already given/);
    });
  });

  describe("bulk", () => {
    it("with --dry-run, only counts: one dry-run call with the filter", async () => {
      const h = harness({ bulk: [dryRun(3)] });
      expect(await runCli(h, ["--api", "http://h:1", "bulk", "retry", "--status", "FAILED", "--type", "demo.unreliable", "--dry-run"])).to.equal(EXIT.ok);
      expect(h.calls).to.deep.equal([["bulk", "retry", { filter: { status: ["FAILED"], type: "demo.unreliable" }, dryRun: true }]]);
      expect(h.stdout.text.split("\n")[0]).to.equal("3 jobs would be retried (1 shown):");
    });

    it("refuses to act off a terminal without --yes, before any request", async () => {
      const h = harness({});
      expect(await runCli(h, ["--api", "http://h:1", "bulk", "cancel"])).to.equal(EXIT.usage);
      expect(h.calls).to.deep.equal([]);
      expect(h.stderr.text).to.match(/not a terminal: pass --yes/);
    });

    it("with --yes, dry-runs, then acts call by call along nextCursor, each call with its own Idempotency-Key", async () => {
      const h = harness({ bulk: [dryRun(3), acted(["a", "b"], "k1"), acted(["c"], undefined, [{ jobId: "d", status: "QUEUED", reason: "changed" }])] });
      expect(await runCli(h, ["--api", "http://h:1", "bulk", "retry", "--since", "7d", "--yes", "--batch", "2"])).to.equal(EXIT.ok);
      const filter = { createdAfter: new Date(NOW - 7 * 86_400_000).toISOString() };
      expect(h.calls).to.deep.equal([
        ["bulk", "retry", { filter, dryRun: true }],
        ["bulk", "retry", { filter, dryRun: false, limit: 2 }, { idempotencyKey: "cloudqueue-cli-bulk-key1-0" }],
        ["bulk", "retry", { filter, dryRun: false, limit: 2, cursor: "k1" }, { idempotencyKey: "cloudqueue-cli-bulk-key1-1" }],
      ]);
      expect(h.stdout.text).to.contain("3 jobs retried, 1 skipped (4 examined in 2 calls).\n");
      expect(h.stdout.text).to.contain("d       changed  QUEUED");
    });

    it("acts on --id's jobs by id", async () => {
      const h = harness({ bulk: [dryRun(2), acted(["a", "b"])] });
      await runCli(h, ["--api", "http://h:1", "--json", "bulk", "retry", "--id", "a,b", "--yes"]);
      expect(h.calls[1]).to.deep.equal(["bulk", "retry", { jobIds: ["a", "b"], dryRun: false, limit: 100 }, { idempotencyKey: "cloudqueue-cli-bulk-key1-0" }]);
      expect(JSON.parse(h.stdout.text)).to.include({ changed: 2, skipped: 0, calls: 1, matched: 2 });
    });

    it("asks on a terminal, and changes nothing when the answer is no (exit 6)", async () => {
      const h = harness({ bulk: [dryRun(3)] }, { tty: true, confirm: false });
      expect(await runCli(h, ["--api", "http://h:1", "bulk", "retry"])).to.equal(EXIT.declined);
      expect(h.questions).to.deep.equal(["Retry 3 jobs?"]);
      expect(h.calls).to.have.length(1);
      expect(h.stderr.text).to.contain("cloudqueue: bulk retry not confirmed: nothing changed\n");
    });

    it("acts after a yes on a terminal, with a progress line on stderr", async () => {
      const h = harness({ bulk: [dryRun(2), acted(["a", "b"])] }, { tty: true, confirm: true });
      expect(await runCli(h, ["--api", "http://h:1", "bulk", "retry"])).to.equal(EXIT.ok);
      expect(h.stderr.text).to.contain("retrying: 2 of 2 examined, 2 retried, 0 skipped");
      expect(h.stdout.text).to.contain("2 jobs retried, 0 skipped");
    });

    it("does not ask, nor act, when nothing matches", async () => {
      const h = harness({ bulk: [{ ...dryRun(0), sample: [] }] }, { tty: true, confirm: true });
      expect(await runCli(h, ["--api", "http://h:1", "bulk", "cancel"])).to.equal(EXIT.ok);
      expect(h.questions).to.deep.equal([]);
      expect(h.calls).to.have.length(1);
    });
  });

  describe("cancel, retry, get, summary, types", () => {
    it("calls the client's method with the id and prints the job's new status", async () => {
      const h = harness({ cancel: [job({ status: "CANCELED" })], retry: [job({ status: "QUEUED" })] });
      expect(await runCli(h, ["--api", "http://h:1", "cancel", "job-1"])).to.equal(EXIT.ok);
      expect(await runCli(h, ["--api", "http://h:1", "retry", "job-1"])).to.equal(EXIT.ok);
      expect(h.calls).to.deep.equal([["cancel", "job-1"], ["retry", "job-1"]]);
      expect(h.stdout.text).to.equal("job-1 (text.transform): CANCELED\njob-1 (text.transform): QUEUED again\n");
    });

    it("exits 3 when a cancel conflicts with the job's state", async () => {
      const h = harness({ cancel: [new ApiError(409, { type: "urn:cloudqueue:problem:state-conflict", title: "Conflict", status: 409, detail: "job job-1 is SUCCEEDED and cannot be canceled" })] });
      expect(await runCli(h, ["--api", "http://h:1", "cancel", "job-1"])).to.equal(EXIT.refused);
      expect(h.stderr.text).to.equal("cloudqueue: Conflict (409): job job-1 is SUCCEEDED and cannot be canceled\n");
    });

    it("passes --owner to summary", async () => {
      const h = harness({ summary: [{ scope: "owner", owner: "bob", total: 0, byStatus: {}, byType: {}, asOf: "x" }] });
      await runCli(h, ["--api", "http://h:1", "--json", "summary", "--owner", "bob"]);
      expect(h.calls).to.deep.equal([["summary", { owner: "bob" }]]);
      expect(JSON.parse(h.stdout.text)).to.include({ owner: "bob" });
    });
  });
});
