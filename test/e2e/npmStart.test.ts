import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DescribeTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { expect } from "chai";
import { DEFAULTS, JOB_TABLE, visibilityTimeoutSeconds } from "../../handlers/settings";
import { LOCAL_AWS } from "../../local/emulators";
import { freePort } from "../../local/ports";
import { checkedFetch, openApiCheckerForMode } from "./helpers/checkedFetch";
import { runStartScript, spawnStartScript, SpawnedStack } from "./helpers/localStack";

/** `npm start`'s HTTP front, emulators and refusals, from outside its process. */
describe("npm start", function () {
  this.timeout(60_000);

  describe("a running stack", () => {
    let stack: SpawnedStack;
    const otherOrigin = "https://console.example.com";

    before(async () => {
      stack = await SpawnedStack.start({ extraArgs: ["--cors-origin", otherOrigin] });
    });
    after(async () => {
      expect(await stack.stop("SIGTERM"), "exit code after SIGTERM").to.equal(0);
      await stack.dispose();
    });

    it("serves the page and a config.json naming its own origin as the API", async () => {
      const page = await fetch(stack.ready.pageUrl);
      expect(page.status).to.equal(200);
      expect(page.headers.get("content-type")).to.match(/^text\/html/);
      expect(await page.text()).to.contain('<script type="module" src="app.js">');
      const script = await fetch(`${stack.ready.apiUrl}/app.js`);
      expect(script.headers.get("content-type")).to.match(/^text\/javascript/);
      const config = await (await fetch(`${stack.ready.apiUrl}/config.json`)).json();
      expect(config).to.deep.equal({ apiUrl: stack.ready.apiUrl, auth: "none" });
    });

    it("answers unknown API paths with a problem 404, and known ones with the wrong method with 405 and Allow", async () => {
      for (const path of ["/jobs/abc/cancel", "/job-types/x", "/jobs/a/b/c"]) {
        const response = await checkedFetch(`${stack.ready.apiUrl}${path}`);
        expect(response.status, path).to.equal(404);
        expect(response.headers.get("content-type"), path).to.equal("application/problem+json");
        expect(await response.json(), path).to.include({ status: 404, title: "Not Found" });
      }
      for (const [method, path, allow] of [["DELETE", "/jobs", "POST, GET, HEAD"], ["PUT", "/jobs", "POST, GET, HEAD"], ["GET", "/jobs/bulk/retry", "POST"], ["POST", "/job-types", "GET, HEAD"], ["PATCH", "/jobs/abc", "GET, HEAD, DELETE"]] as const) {
        const response = await checkedFetch(`${stack.ready.apiUrl}${path}`, { method });
        expect(response.status, `${method} ${path}`).to.equal(405);
        expect(response.headers.get("allow"), `${method} ${path}`).to.equal(allow);
        expect(response.headers.get("content-type"), `${method} ${path}`).to.equal("application/problem+json");
      }
    });

    it("answers a request target that is not a path with 400, and keeps a path's leading slashes", async () => {
      const { port } = new URL(stack.ready.apiUrl);
      const raw = (target: string) =>
        new Promise<string>((resolve, reject) => {
          const socket = connect(Number(port), "127.0.0.1", () => socket.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`));
          let answer = "";
          socket.on("data", (chunk) => (answer += chunk.toString("utf8")));
          socket.on("end", () => resolve(answer));
          socket.on("error", reject);
        });
      expect(await raw("http://[")).to.match(/^HTTP\/1\.1 400 /);
      // Not `/jobs` on a host named "evil": a path the site does not have, as CloudFront sees it.
      const slashes = await raw("//evil/jobs");
      expect(slashes).to.match(/^HTTP\/1\.1 404 /);
      expect(slashes).to.contain("<h1>Not found</h1>");
    });

    it("answers pages the site does not have, and files outside site/, with the site's 404 page", async () => {
      for (const path of ["/nope", "/../package.json", "/%2e%2e/package.json", "/tsconfig.json", "/index.htm"]) {
        const response = await fetch(`${stack.ready.apiUrl}${path}`);
        expect(response.status, path).to.equal(404);
        expect(response.headers.get("content-type"), path).to.match(/^text\/html/);
        expect(await response.text(), path).to.contain("<h1>Not found</h1>");
      }
    });

    it("turns requests into payload 2.0 events for the api handler: a job submitted, read, and its Location exposed to allowed origins", async () => {
      const response = await checkedFetch(`${stack.ready.apiUrl}/jobs`, {
        method: "POST",
        headers: { "content-type": "application/json", origin: otherOrigin },
        body: JSON.stringify({ type: "hash.digest", payload: { text: "abc", algorithm: "sha256" } }),
      });
      expect(response.status).to.equal(202);
      expect(response.headers.get("access-control-allow-origin")).to.equal(otherOrigin);
      expect(response.headers.get("access-control-expose-headers")).to.contain("location");
      const { jobId } = (await response.json()) as { jobId: string };
      expect(response.headers.get("location")).to.equal(`/jobs/${jobId}`);

      const deadline = Date.now() + 10_000;
      let job: { status: string; result?: { hex: string } };
      do {
        job = (await (await checkedFetch(`${stack.ready.apiUrl}/jobs/${jobId}`)).json()) as typeof job;
      } while (job.status !== "SUCCEEDED" && Date.now() < deadline && (await new Promise((resolve) => setTimeout(resolve, 100, true))));
      expect(job.result?.hex).to.equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    });

    it("answers CORS preflights for allowed origins only, as API Gateway does", async () => {
      const preflight = (origin: string) =>
        checkedFetch(`${stack.ready.apiUrl}/jobs`, { method: "OPTIONS", headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type" } });
      const allowed = await preflight(otherOrigin);
      expect(allowed.status).to.equal(204);
      expect(allowed.headers.get("access-control-allow-origin")).to.equal(otherOrigin);
      expect(allowed.headers.get("access-control-allow-methods")).to.contain("POST");
      expect(allowed.headers.get("access-control-allow-headers")).to.contain("idempotency-key");
      const refused = await preflight("https://evil.example");
      expect(refused.headers.get("access-control-allow-origin")).to.equal(null);
      const read = await checkedFetch(`${stack.ready.apiUrl}/job-types`, { headers: { origin: "https://evil.example" } });
      expect(read.headers.get("access-control-allow-origin")).to.equal(null);
    });

    it("passes malformed bodies through to the handler's problem answers", async () => {
      const notJson = await checkedFetch(`${stack.ready.apiUrl}/jobs`, { method: "POST", headers: { "content-type": "text/plain" }, body: "hello" });
      expect(notJson.status).to.equal(415);
      const binary = await checkedFetch(`${stack.ready.apiUrl}/jobs`, { method: "POST", headers: { "content-type": "application/json" }, body: Buffer.from([0xff, 0xfe, 0x7b]) });
      expect(binary.status).to.equal(400);
      expect(((await binary.json()) as { errors: { message: string }[] }).errors[0]!.message).to.equal("invalid UTF-8");
    });

    it("prints emulator endpoints that the AWS SDK (as the AWS CLI) can use, with the deployed table and queue settings", async () => {
      const dynamo = new DynamoDBClient({ ...LOCAL_AWS, endpoint: stack.ready.dynamoEndpoint });
      const sqs = new SQSClient({ ...LOCAL_AWS, endpoint: stack.ready.sqsEndpoint });
      try {
        const { Table } = await dynamo.send(new DescribeTableCommand({ TableName: stack.ready.tableName }));
        expect(Table?.GlobalSecondaryIndexes?.map((index) => index.IndexName).sort()).to.deep.equal([JOB_TABLE.sweepIndex.name, JOB_TABLE.listIndex.name, JOB_TABLE.doneIndex.name].sort());
        const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: stack.ready.queueUrl, AttributeNames: ["All"] }));
        expect(Attributes?.VisibilityTimeout).to.equal(String(visibilityTimeoutSeconds(DEFAULTS.workerTimeoutSeconds)));
        expect(JSON.parse(Attributes?.RedrivePolicy ?? "{}").maxReceiveCount).to.equal(DEFAULTS.maxReceiveCount);
      } finally {
        dynamo.destroy();
        sqs.destroy();
      }
      expect(stack.lines.join("\n")).to.contain(`dynamodb scan --table-name ${stack.ready.tableName}`);
      expect(stack.lines.join("\n")).to.contain(`sqs get-queue-attributes --queue-url ${stack.ready.queueUrl}`);
    });

    it("prints AWS CLI lines that work as printed with every AWS CLI on this machine (v1 reads only AWS_DEFAULT_REGION)", async () => {
      const printed = stack.lines.map((line) => line.trim()).filter((line) => line.startsWith("AWS_ACCESS_KEY_ID="));
      expect(printed).to.have.length(2);
      // AWS CLI v1 reads the region from AWS_DEFAULT_REGION only (AWS_REGION is v2's and the SDKs'):
      // whichever CLIs this machine has, the lines must name that one.
      for (const line of printed) expect(line, line).to.match(/^AWS_ACCESS_KEY_ID=\S+ AWS_SECRET_ACCESS_KEY=\S+ AWS_DEFAULT_REGION=us-east-1 aws /);
      const clis = [...new Set(execFileSync("sh", ["-c", "which -a aws || true"], { encoding: "utf8" }).split("\n").filter(Boolean))];
      const versions = new Map<string, string>();
      for (const cli of clis) {
        const version = spawnSync(cli, ["--version"], { encoding: "utf8" });
        if (version.status === 0) versions.set(`${version.stdout}${version.stderr}`.trim().split(" ")[0]!, cli);
      }
      console.log(`      [aws cli] ${[...versions.keys()].join(", ") || "none found"}`);
      expect(versions.size, "an AWS CLI is installed (.ci/run installs Debian's awscli)").to.be.above(0);
      // No region, profile or credentials of the caller's: only what the line itself sets.
      const home = mkdtempSync(join(tmpdir(), "cloudqueue-awscli-"));
      try {
        for (const [version, cli] of versions) {
          for (const line of printed) {
            const command = line.replace(/ aws /, ` ${cli} `);
            const run = spawnSync("sh", ["-c", command], { encoding: "utf8", env: { PATH: process.env.PATH, HOME: home }, timeout: 30_000 });
            expect(run.status, `${version}: ${line}\n${run.stderr}`).to.equal(0);
            expect(JSON.parse(run.stdout), `${version}: ${line}`).to.satisfy((out: Record<string, unknown>) => "Items" in out || "Attributes" in out);
          }
        }
      } finally {
        rmSync(home, { recursive: true, force: true });
      }
    });

    it("refuses a second stack on the same data dir, naming the first", async () => {
      const { code, stderr } = await runStartScript(["--port", "0", "--data-dir", stack.dataDir]);
      expect(code).to.equal(1);
      expect(stderr.trim().split("\n")).to.have.length(1);
      expect(stderr).to.match(/data dir .* is in use by another CloudQueue \(pid \d+\)/);
    });
  });

  describe("starting", () => {
    it("never answers a 5xx other than 503 + Retry-After while it starts: requests hammered from the instant the port accepts", async () => {
      const port = await freePort();
      const dataDir = mkdtempSync(join(tmpdir(), "cloudqueue-startup-"));
      const child = spawnStartScript(["--port", String(port), "--data-dir", dataDir]);
      const closed = new Promise((resolve) => child.once("close", resolve));
      const statuses = new Map<string, number>();
      const count = (key: string) => statuses.set(key, (statuses.get(key) ?? 0) + 1);
      const deadline = Date.now() + 30_000;
      let ready = false;
      try {
        while (!ready && Date.now() < deadline) {
          const answers = await Promise.all(
            ["/job-types", "/", "/metrics"].map(async (path) => {
              try {
                return { path, response: await fetch(`http://127.0.0.1:${port}${path}`) };
              } catch {
                return undefined; // not accepting connections yet
              }
            }),
          );
          for (const answer of answers) {
            if (!answer) continue;
            const { path, response } = answer;
            count(`${path} ${response.status}`);
            if (path === "/job-types") openApiCheckerForMode("none").assertConforms("GET", path, response.status, response.headers, await response.clone().text());
            if (response.status === 503) {
              expect(response.headers.get("retry-after"), path).to.equal("1");
              expect(response.headers.get("content-type"), path).to.equal("application/problem+json");
              expect(await response.json(), path).to.include({ status: 503, type: "urn:cloudqueue:problem:starting" });
            } else {
              expect(response.status, `${path} while starting`).to.equal(200);
              await response.arrayBuffer();
              if (path === "/job-types") ready = true;
            }
          }
        }
        console.log(`      [startup] answers while starting: ${JSON.stringify(Object.fromEntries(statuses))}`);
        expect(ready, "the stack became ready").to.equal(true);
      } finally {
        try {
          process.kill(-child.pid!, "SIGKILL");
        } catch {
          // gone
        }
        await closed;
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  });

  describe("stopping", () => {
    it("drains on Ctrl-C and prints that it stopped, while `npm start` itself ends by the interrupt (130 in a shell)", async () => {
      const port = await freePort();
      const dataDir = mkdtempSync(join(tmpdir(), "cloudqueue-stop-"));
      // `npm start` itself, as a person runs it, in its own process group (a terminal's foreground group).
      const npm = spawn("npm", ["start", "--", "--port", String(port), "--data-dir", dataDir], { cwd: join(__dirname, "..", ".."), detached: true, stdio: ["ignore", "pipe", "pipe"] });
      let output = "";
      npm.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
      const exited = new Promise<string>((resolve) => npm.on("close", (code, signal) => resolve(signal ?? String(code))));
      try {
        const deadline = Date.now() + 30_000;
        while (!/Press Ctrl-C/.test(output) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
        expect(output).to.match(/Press Ctrl-C/);
        process.kill(-npm.pid!, "SIGINT");
        const ended = await Promise.race([exited, new Promise<string>((resolve) => setTimeout(resolve, 30_000, "still running 30 s after Ctrl-C"))]);
        expect(output).to.contain("CloudQueue stopped.");
        // npm ends by the signal itself (a shell shows 130), or exits 130: what the README says.
        expect(ended, "how npm ends a script stopped by Ctrl-C").to.be.oneOf(["SIGINT", "130"]);
      } finally {
        try {
          process.kill(-npm.pid!, "SIGKILL");
        } catch {
          // gone
        }
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  });

  describe("stopping on a Ctrl-C that arrives twice", () => {
    it("drains once when the same Ctrl-C comes twice within milliseconds (the terminal's, and the one npm forwards)", async () => {
      const port = await freePort();
      const dataDir = mkdtempSync(join(tmpdir(), "cloudqueue-stop-twice-"));
      const child = spawnStartScript(["--port", String(port), "--data-dir", dataDir]);
      let output = "";
      child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
      const exited = new Promise<string>((resolve) => child.on("close", (code, signal) => resolve(signal ?? String(code))));
      try {
        const deadline = Date.now() + 30_000;
        while (!/Press Ctrl-C/.test(output) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
        expect(output).to.match(/Press Ctrl-C/);
        // A job running for a second and a half, so the drain is still going when the second signal lands.
        const base = `http://127.0.0.1:${port}`;
        const submitted = await checkedFetch(`${base}/jobs`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ type: "demo.unreliable", payload: { sleepMs: 1500, failAttempts: 0, permanent: false } }) });
        const { jobId } = (await submitted.json()) as { jobId: string };
        const running = Date.now() + 10_000;
        while (Date.now() < running && ((await (await checkedFetch(`${base}/jobs/${jobId}`)).json()) as { status: string }).status !== "IN_PROGRESS") await new Promise((resolve) => setTimeout(resolve, 50));
        process.kill(child.pid!, "SIGINT");
        await new Promise((resolve) => setTimeout(resolve, 20));
        process.kill(child.pid!, "SIGINT");
        const ended = await Promise.race([exited, new Promise<string>((resolve) => setTimeout(resolve, 30_000, "still running 30 s after Ctrl-C"))]);
        expect(ended, output.slice(-500)).to.equal("0");
        expect(output).to.contain("CloudQueue stopped.");
        expect(output, "the running job finished in the drain").to.match(new RegExp(`"jobId":"${jobId}"[^\\n]*"to":"SUCCEEDED"`));
      } finally {
        try {
          process.kill(-child.pid!, "SIGKILL");
        } catch {
          // gone
        }
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  });

  describe("refusing to start", () => {
    let scratch: string;
    before(() => {
      scratch = mkdtempSync(join(tmpdir(), "cloudqueue-refusals-"));
    });
    after(() => rmSync(scratch, { recursive: true, force: true }));

    it("exits 2 with one line for a bad option", async () => {
      for (const args of [["--port", "http"], ["--frobnicate"], ["--batch-size", "11"], ["--cors-origin", "https://example.com/path"]]) {
        const { code, stderr } = await runStartScript(args);
        expect(code, args.join(" ")).to.equal(2);
        expect(stderr.trim().split("\n"), args.join(" ")).to.have.length(1);
        expect(stderr, args.join(" ")).to.match(/^cloudqueue: /);
      }
    });

    it("exits 1 with one line for a data dir that is not a writable directory", async () => {
      const file = join(scratch, "a-file");
      writeFileSync(file, "");
      const { code, stderr } = await runStartScript(["--port", "0", "--data-dir", join(file, "data")]);
      expect(code).to.equal(1);
      expect(stderr.trim().split("\n")).to.have.length(1);
      expect(stderr).to.contain("is not usable (a file is in the way: not a directory)");
    });

    it("exits 1 with one line for a busy port", async () => {
      const blocker: Server = createServer();
      await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
      const port = (blocker.address() as { port: number }).port;
      try {
        const { code, stderr } = await runStartScript(["--port", String(port), "--in-memory"]);
        expect(code).to.equal(1);
        expect(stderr.trim()).to.equal(`cloudqueue: port ${port} on 127.0.0.1 is in use; stop what uses it or choose another with --port or PORT`);
      } finally {
        blocker.close();
      }
    });
  });
});
