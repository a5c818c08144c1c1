import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort } from "../../../local/ports";

const REPO = resolve(__dirname, "..", "..", "..");

/** A `job.transition` log line of the stack. */
export interface TransitionLine {
  jobId: string;
  from: string | null;
  to: string;
  attempt?: number;
}

/** What the stack printed when it became ready. */
export interface ReadyInfo {
  pageUrl: string;
  apiUrl: string;
  metricsUrl: string;
  dynamoEndpoint: string;
  sqsEndpoint: string;
  tableName: string;
  queueUrl: string;
  dlqUrl: string;
}

/**
 * The local stack as a person starts it: the `npm start` script in the repository, in its own
 * process group, stopped with SIGINT to the group, as Ctrl-C in a terminal does.
 */
export class SpawnedStack {
  private constructor(
    private readonly child: ChildProcess,
    readonly ready: ReadyInfo,
    readonly dataDir: string,
    /** Every stdout line so far (the banner, then one JSON line per log event). */
    readonly lines: string[],
    readonly stderr: string[],
    private readonly exited: Promise<number | null>,
  ) {}

  /** Starts the `start` script with `--port <free> --data-dir <dataDir>` and waits for its banner. */
  static async start(options: { dataDir?: string; readyTimeoutMs?: number; extraArgs?: string[] } = {}): Promise<SpawnedStack> {
    const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "cloudqueue-e2e-"));
    const port = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.PORT;
    delete env.CLOUDQUEUE_IN_MEMORY;
    const child = spawnStartScript(["--port", String(port), "--data-dir", dataDir, ...(options.extraArgs ?? [])], env);
    const lines: string[] = [];
    const stderr: string[] = [];
    const exited = new Promise<number | null>((done) => child.on("close", (code) => done(code)));
    let buffered = "";
    let onLine = () => {};
    child.stdout!.on("data", (chunk: Buffer) => {
      buffered += chunk.toString("utf8");
      const parts = buffered.split("\n");
      buffered = parts.pop() ?? "";
      lines.push(...parts);
      onLine();
    });
    child.stderr!.on("data", (chunk: Buffer) => stderr.push(chunk.toString("utf8")));
    const ready = new Promise<ReadyInfo>((resolveReady, reject) => {
      const timer = setTimeout(() => reject(new Error(`npm start was not ready in time:\n${lines.join("\n")}\n${stderr.join("")}`)), options.readyTimeoutMs ?? 30_000);
      onLine = () => {
        const info = parseBanner(lines);
        if (!info) return;
        clearTimeout(timer);
        resolveReady(info);
      };
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`npm start exited with ${code} before it was ready:\n${stderr.join("")}`));
      });
    });
    try {
      return new SpawnedStack(child, await ready, dataDir, lines, stderr, exited);
    } catch (error) {
      killGroup(child, "SIGKILL");
      throw error;
    }
  }

  /** The `job.transition` lines logged so far. */
  transitions(): TransitionLine[] {
    const found: TransitionLine[] = [];
    for (const line of this.lines) {
      if (!line.startsWith("{")) continue;
      try {
        const parsed = JSON.parse(line) as Record<string, unknown>;
        if (parsed.event === "job.transition" && typeof parsed.jobId === "string" && typeof parsed.to === "string") {
          found.push({ jobId: parsed.jobId, from: typeof parsed.from === "string" ? parsed.from : null, to: parsed.to, attempt: typeof parsed.attempt === "number" ? parsed.attempt : undefined });
        }
      } catch {
        // Not a log line.
      }
    }
    return found;
  }

  /** Ctrl-C: SIGINT to the process group; resolves with the exit code once every process is gone. */
  async stop(signal: NodeJS.Signals = "SIGINT"): Promise<number | null> {
    killGroup(this.child, signal);
    return this.exited;
  }

  /** Stops the stack if it still runs, and deletes its data dir. */
  async dispose(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      killGroup(this.child, "SIGKILL");
      await this.exited;
    }
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // Already gone.
  }
}

/** The URLs and endpoints of the banner, once it has all been printed. */
function parseBanner(lines: string[]): ReadyInfo | undefined {
  const text = lines.join("\n");
  const page = /^\s+Page\s+(\S+)/m.exec(text);
  const api = /^\s+API\s+(\S+)/m.exec(text);
  const metrics = /^\s+Metrics\s+(\S+)/m.exec(text);
  const dynamo = /^\s+DynamoDB\s+(\S+)\s+table\s+(\S+)/m.exec(text);
  const sqs = /^\s+SQS\s+(\S+)\s+queue\s+(\S+)/m.exec(text);
  const dlq = /^\s+DLQ\s+(\S+)/m.exec(text);
  if (!page || !api || !metrics || !dynamo || !sqs || !dlq || !/Press Ctrl-C/.test(text)) return undefined;
  return { pageUrl: page[1]!, apiUrl: api[1]!, metricsUrl: metrics[1]!, dynamoEndpoint: dynamo[1]!, tableName: dynamo[2]!, sqsEndpoint: sqs[1]!, queueUrl: sqs[2]!, dlqUrl: dlq[1]! };
}

/**
 * The `npm start` script of package.json with `args`, run the way npm runs it (`sh -c`), but with
 * `exec`, so the exit code and the signals are the stack's own rather than npm's. In its own
 * process group, so that a signal can reach it as Ctrl-C does.
 */
export function spawnStartScript(args: string[], env: NodeJS.ProcessEnv = process.env): ChildProcess {
  const script = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")).scripts.start as string;
  return spawn("sh", ["-c", `exec ${script} "$@"`, "sh", ...args], { cwd: REPO, detached: true, stdio: ["ignore", "pipe", "pipe"], env });
}

/** Runs the start script to its end (for the ways it refuses to start). */
export function runStartScript(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawnStartScript(args, env);
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  // Should it start after all, it must not hang the suite.
  const timer = setTimeout(() => killGroup(child, "SIGKILL"), 20_000);
  return new Promise((resolve) =>
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}
