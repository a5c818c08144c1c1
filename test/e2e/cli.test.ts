import { readFileSync } from "node:fs";
import { spawn } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { GetQueueAttributesCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { expect } from "chai";
import { EXIT } from "../../cli/exitCodes";
import { awsEnvironmentFor, LOCAL_AWS } from "../../local/emulators";
import { freePort } from "../../local/ports";
import { SpawnedStack } from "./helpers/localStack";

const REPO = resolve(__dirname, "..", "..");
const BIN = join(REPO, "cli", "cloudqueue.js");

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The `cloudqueue` bin as a script runs it: a child process on pipes (no terminal). */
function cloudqueue(args: string[], options: { env?: NodeJS.ProcessEnv; stdin?: string } = {}): Promise<CliRun> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
  for (const name of ["CLOUDQUEUE_API_URL", "CLOUDQUEUE_TOKEN", "CLOUDQUEUE_DATA_DIR"]) if (!options.env || !(name in options.env)) delete env[name];
  const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO, env, stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  child.stdin.end(options.stdin ?? "");
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  return new Promise((done) =>
    child.on("close", (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    }),
  );
}

/** The CLI against the stack, with --json: its parsed stdout, after checking its exit code. */
async function jsonOf<T>(run: Promise<CliRun>, code: number = EXIT.ok): Promise<T> {
  const result = await run;
  expect(result.code, `exit code; stderr: ${result.stderr}`).to.equal(code);
  return JSON.parse(result.stdout) as T;
}

interface Job {
  jobId: string;
  type: string;
  status: string;
  result?: { uppercase?: string };
  error?: { code: string };
  attemptHistory?: { outcome: string }[];
}

/** A job submitted over HTTP: fixtures the CLI acts on, not what it is tested for. */
async function submitOverHttp(apiUrl: string, submission: { type: string; payload: unknown; delaySeconds?: number }): Promise<Job> {
  const response = await fetch(`${apiUrl}/jobs`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(submission) });
  expect(response.status).to.equal(202);
  return (await response.json()) as Job;
}

/** `cloudqueue` run as a person and as a script would, against `npm start`. */
describe("cloudqueue CLI against npm start", function () {
  this.timeout(120_000);
  let stack: SpawnedStack;
  let api: string[];

  before(async () => {
    stack = await SpawnedStack.start();
    api = ["--api", stack.ready.apiUrl];
  });
  after(async () => stack?.dispose());

  it("finds a running npm start through the file it writes into its data folder, on whatever port it took", async () => {
    const table = await cloudqueue(["--data-dir", stack.dataDir, "types"]);
    expect(table.code, table.stderr).to.equal(EXIT.ok);
    expect(table.stdout).to.contain("text.transform");
    const written = JSON.parse(readFileSync(join(stack.dataDir, "local-stack.json"), "utf8"));
    expect(written.apiUrl).to.equal(stack.ready.apiUrl);
    expect(written.pid).to.be.a("number");
  });

  it("lists the job types, finding the API through CLOUDQUEUE_API_URL", async () => {
    const table = await cloudqueue(["types"], { env: { CLOUDQUEUE_API_URL: stack.ready.apiUrl } });
    expect(table.code, table.stderr).to.equal(EXIT.ok);
    expect(table.stdout.split("\n")[0]).to.match(/^TYPE\s+TIMEOUT\s+ATTEMPTS\s+EXAMPLE PAYLOAD\s+DESCRIPTION$/);
    expect(table.stdout).to.match(/^text\.transform\s+10s\s+3\s+\{"text":"hello cloudqueue"\}\s+Returns/m);
    expect(table.stdout).to.match(/^demo\.unreliable\s+30s\s+4\s+/m);
  });

  describe("one job at a time", () => {
    let succeeded: Job;
    let failed: Job;

    it("submit --wait exits 0 for a job that succeeds, with no progress off a terminal", async () => {
      const run = await cloudqueue([...api, "--json", "submit", "text.transform", "-", "--wait"], { stdin: '{"text":"hello cli"}' });
      expect(run.code, run.stderr).to.equal(EXIT.ok);
      expect(run.stderr).to.equal("");
      succeeded = JSON.parse(run.stdout) as Job;
      expect(succeeded).to.include({ type: "text.transform", status: "SUCCEEDED" });
      expect(succeeded.result?.uppercase).to.equal("HELLO CLI");
    });

    it("submit --wait exits 1 for a job that fails permanently, showing its error", async () => {
      const run = await cloudqueue([...api, "submit", "demo.unreliable", '{"sleepMs":0,"failAttempts":0,"permanent":true}', "--wait"]);
      expect(run.code, run.stderr).to.equal(EXIT.failed);
      expect(run.stdout).to.match(/^Status:\s+FAILED$/m);
      expect(run.stdout).to.match(/^Error:\s+DEMO_PERMANENT: /m);
      failed = { jobId: /^Job:\s+(\S+)$/m.exec(run.stdout)![1]!, type: "demo.unreliable", status: "FAILED" };
    });

    it("get shows the job with its attempt history; list --status and summary count it", async () => {
      const [job, failedList, summary] = await Promise.all([
        jsonOf<Job>(cloudqueue([...api, "get", failed.jobId, "--json"])),
        cloudqueue([...api, "list", "--status", "failed", "--since", "1h"]),
        jsonOf<{ total: number; byStatus: Record<string, number>; byType: Record<string, Record<string, number>> }>(cloudqueue([...api, "summary", "--json"])),
      ]);
      expect(job).to.include({ jobId: failed.jobId, status: "FAILED" });
      expect(job.error?.code).to.equal("DEMO_PERMANENT");
      expect(job.attemptHistory?.map((attempt) => attempt.outcome)).to.deep.equal(["FAILED"]);
      expect(failedList.code, failedList.stderr).to.equal(EXIT.ok);
      const rows = failedList.stdout.trimEnd().split("\n");
      expect(rows[0]).to.match(/^JOB ID\s+TYPE\s+STATUS\s+ATTEMPTS\s+CREATED\s+ERROR$/);
      expect(rows).to.satisfy((lines: string[]) => lines.some((line) => new RegExp(`^${failed.jobId}\\s+demo\\.unreliable\\s+FAILED\\s+1 of 4\\s+.*DEMO_PERMANENT$`).test(line)));
      expect(rows.slice(1).every((line) => /\sFAILED\s/.test(line))).to.equal(true);
      expect(failedList.stdout).to.not.contain(succeeded.jobId);
      expect(summary.byStatus.FAILED).to.be.at.least(1);
      expect(summary.byStatus.SUCCEEDED).to.be.at.least(1);
      expect(summary.byType["text.transform"]?.SUCCEEDED).to.be.at.least(1);
    });

    it("retry queues a failed job again, and wait exits with its outcome", async () => {
      const retried = await cloudqueue([...api, "retry", failed.jobId]);
      expect(retried.code, retried.stderr).to.equal(EXIT.ok);
      expect(retried.stdout).to.equal(`${failed.jobId} (demo.unreliable): QUEUED again\n`);
      const waited = await cloudqueue([...api, "wait", failed.jobId, "--json"]);
      expect(waited.code, waited.stderr).to.equal(EXIT.failed);
      expect(JSON.parse(waited.stdout)).to.include({ jobId: failed.jobId, status: "FAILED" });
    });

    it("cancel cancels a queued job, and a finished one is a refusal (exit 3) with the API's reason", async () => {
      const delayed = await submitOverHttp(stack.ready.apiUrl, { type: "text.transform", payload: { text: "later" }, delaySeconds: 600 });
      const [canceled, conflict] = await Promise.all([cloudqueue([...api, "cancel", delayed.jobId]), cloudqueue([...api, "cancel", succeeded.jobId])]);
      expect(canceled.code, canceled.stderr).to.equal(EXIT.ok);
      expect(canceled.stdout).to.equal(`${delayed.jobId} (text.transform): CANCELED\n`);
      expect(conflict.code).to.equal(EXIT.refused);
      expect(conflict.stdout).to.equal("");
      expect(conflict.stderr).to.match(/^cloudqueue: .*\(409\).*SUCCEEDED/);
    });
  });

  it("bulk cancel and retry: a dry run changes nothing, off a terminal it needs --yes, then it acts page by page", async () => {
    // hash.digest jobs of this test alone, held QUEUED by their delay.
    const submissions = await Promise.all([1, 2, 3].map((n) => submitOverHttp(stack.ready.apiUrl, { type: "hash.digest", payload: { text: `bulk ${n}`, algorithm: "sha256" }, delaySeconds: 600 })));
    const ids = submissions.map((job) => job.jobId).sort();
    const filter = ["--type", "hash.digest", "--since", "1h"];

    const [dryRun, refused] = await Promise.all([
      jsonOf<{ dryRun: boolean; matched: number; sample: Job[] }>(cloudqueue([...api, "--json", "bulk", "cancel", ...filter, "--dry-run"])),
      cloudqueue([...api, "bulk", "cancel", ...filter]),
    ]);
    expect(dryRun).to.include({ dryRun: true, matched: 3 });
    expect(dryRun.sample.map((job) => job.jobId).sort()).to.deep.equal(ids);
    expect(refused.code).to.equal(EXIT.usage);
    expect(refused.stderr).to.match(/pass --yes/);
    const statuses = async () => Promise.all(ids.map(async (id) => ((await (await fetch(`${stack.ready.apiUrl}/jobs/${id}`)).json()) as Job).status));
    expect(await statuses()).to.deep.equal(["QUEUED", "QUEUED", "QUEUED"]);

    const canceled = await jsonOf<{ changed: number; skipped: number; calls: number; changedJobIds: string[] }>(cloudqueue([...api, "--json", "bulk", "cancel", ...filter, "--yes", "--batch", "2"]));
    expect(canceled).to.include({ changed: 3, skipped: 0 });
    expect(canceled.calls).to.be.at.least(2);
    expect([...canceled.changedJobIds].sort()).to.deep.equal(ids);
    expect(await statuses()).to.deep.equal(["CANCELED", "CANCELED", "CANCELED"]);

    const retried = await cloudqueue([...api, "bulk", "retry", "--status", "canceled", ...filter, "--yes"]);
    expect(retried.code, retried.stderr).to.equal(EXIT.ok);
    expect(retried.stdout).to.match(/^3 jobs would be retried:$/m);
    expect(retried.stdout).to.match(/^3 jobs retried, 0 skipped \(3 examined in 1 call\)\.$/m);
    expect(retried.stderr).to.equal("");
    expect(await statuses()).to.not.include("CANCELED");
  });

  it("submit-batch sends a JSON-lines file 100 to a request, one result per line: accepted, replayed, invalid (exit 3)", async () => {
    const lines = Array.from({ length: 148 }, (_, n) => JSON.stringify({ type: "text.transform", payload: { text: `batch line ${n + 1}` } }));
    lines.splice(4, 0, JSON.stringify({ type: "text.transform", payload: {} }));
    const keyed = JSON.stringify({ type: "text.transform", payload: { text: "keyed" }, idempotencyKey: `e2e-batch-${Date.now()}` });
    lines.push(keyed, "", keyed);
    const run = await cloudqueue([...api, "--json", "submit-batch", "-"], { stdin: `${lines.join("\n")}\n` });
    expect(run.code, run.stderr).to.equal(EXIT.refused);
    const totals = JSON.parse(run.stdout) as { accepted: number; replayed: number; invalid: number; conflict: number; lines: Array<{ line: number; status: number; jobId?: string }> };
    expect(totals).to.include({ accepted: 149, replayed: 1, invalid: 1, conflict: 0 });
    expect(totals.lines.filter((line) => line.status === 400).map((line) => line.line)).to.deep.equal([5]);
    const [first, second] = totals.lines.filter((line) => line.line === 150 || line.line === 152);
    expect([first?.status, second?.status]).to.deep.equal([202, 200]);
    expect(second!.jobId).to.equal(first!.jobId);
    const job = await jsonOf<Job>(cloudqueue([...api, "--json", "wait", totals.lines[0]!.jobId!]));
    expect(job).to.include({ status: "SUCCEEDED" });
    expect(job.result?.uppercase).to.equal("BATCH LINE 1");
  });

  it("exits 2 for bad usage, without a request", async () => {
    const runs = await Promise.all([cloudqueue([...api, "list", "--status", "done"]), cloudqueue([...api, "submit", "text.transform", "{not json"])]);
    expect(runs.map((run) => run.code)).to.deep.equal([EXIT.usage, EXIT.usage]);
    expect(runs[0]!.stderr).to.match(/^cloudqueue: option '--status <statuses>' argument 'done' is invalid/);
    expect(runs[1]!.stderr).to.match(/^cloudqueue: PAYLOAD is not JSON/);
  });

  it("exits 4 when nothing answers at the API's address, and 5 when --stack needs a pulumi CLI that is not installed", async () => {
    const closedPort = await freePort();
    const [unreachable, noPulumi] = await Promise.all([
      cloudqueue(["--api", `http://127.0.0.1:${closedPort}`, "types"]),
      // Only node's own folder on PATH: no pulumi.
      cloudqueue(["--stack", "dev", "list"], { env: { PATH: dirname(process.execPath) } }),
    ]);
    expect(unreachable.code).to.equal(EXIT.unavailable);
    expect(unreachable.stderr).to.equal(`cloudqueue: cannot reach the API at http://127.0.0.1:${closedPort}/ (connect ECONNREFUSED 127.0.0.1:${closedPort})\n`);
    expect(noPulumi.code).to.equal(EXIT.noTarget);
    expect(noPulumi.stderr).to.match(/^cloudqueue: the pulumi CLI is not installed \(no pulumi on PATH\)/);
  });

  it("redrive moves the dead letters back to the job queue (SQS StartMessageMoveTask against the stack's emulator)", async () => {
    const sqs = new SQSClient({ endpoint: stack.ready.sqsEndpoint, ...LOCAL_AWS });
    try {
      const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: stack.ready.queueUrl, AttributeNames: ["QueueArn"] }));
      // Sent straight to the DLQ, they carry no source queue: name the destination.
      for (const jobId of ["gone-1", "gone-2"]) await sqs.send(new SendMessageCommand({ QueueUrl: stack.ready.dlqUrl, MessageBody: JSON.stringify({ jobId }) }));
      const env = awsEnvironmentFor({ dynamoEndpoint: "http://127.0.0.1:1", sqsEndpoint: stack.ready.sqsEndpoint });
      const result = await jsonOf<{ status: string; moved: number }>(cloudqueue(["--json", "redrive", "--dlq-url", stack.ready.dlqUrl, "--destination-arn", Attributes!.QueueArn!], { env }));
      expect(result).to.include({ status: "COMPLETED", moved: 2 });
    } finally {
      sqs.destroy();
    }
  });

  it("npm run redrive is the CLI's redrive", async () => {
    const child = spawn("npm", ["run", "-s", "redrive", "--", "--help"], { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    const code = await new Promise<number | null>((done) => child.on("close", done));
    expect(code).to.equal(0);
    expect(stdout).to.match(/^Usage: cloudqueue redrive \[options\]$/m);
  });
});
