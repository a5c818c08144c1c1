import { fork, type ChildProcess } from "node:child_process";
import { join } from "node:path";

/** The benchmark's handle on the local stack running in its own process (`bench/stackProcess.ts`). */
export class StackProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly apiUrl: string,
    readonly pageUrl: string,
    readonly emulators: { dynamoEndpoint: string; sqsEndpoint: string; tableName: string; queueUrl: string },
  ) {}

  static async start(): Promise<StackProcess> {
    const child = fork(join(__dirname, "stackProcess.ts"), [], { execArgv: ["-r", "ts-node/register/transpile-only", ...(process.env.BENCH_PROFILE ? ["--cpu-prof", "--cpu-prof-dir=/tmp/prof"] : [])], stdio: ["ignore", "ignore", "inherit", "ipc"] });
    const ready = await new Promise<any>((resolve, reject) => {
      child.once("message", resolve);
      child.once("exit", (code) => reject(new Error(`the stack process exited with ${code}`)));
    });
    return new StackProcess(child, ready.apiUrl, ready.pageUrl, ready.emulators);
  }

  /** AWS calls the stack made since the last reset, by operation. */
  counts(): Promise<Record<string, number>> {
    return this.ask("counts").then((reply) => reply.counts);
  }

  /** The handlers' log lines since the last reset, by event (`api.request:<route>` for requests): lines and bytes. */
  logs(): Promise<Record<string, { lines: number; bytes: number }>> {
    return this.ask("counts").then((reply) => reply.logs);
  }

  async reset(): Promise<void> {
    await this.ask("reset");
  }

  async stop(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once("exit", resolve));
    this.child.send({ type: "stop" });
    await exited;
  }

  private ask(type: string): Promise<any> {
    return new Promise((resolve) => {
      const onMessage = (message: { type: string }) => {
        if (message.type !== type) return;
        this.child.off("message", onMessage);
        resolve(message);
      };
      this.child.on("message", onMessage);
      this.child.send({ type });
    });
  }
}

/** A client of the stack's HTTP API, timing each call. */
export class ApiClient {
  constructor(private readonly apiUrl: string) {}

  async submit(body: unknown): Promise<{ jobId: string; ms: number }> {
    const started = performance.now();
    const response = await fetch(`${this.apiUrl}/jobs`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    const json = (await response.json()) as { jobId: string };
    if (response.status !== 202) throw new Error(`submit answered ${response.status}: ${JSON.stringify(json)}`);
    return { jobId: json.jobId, ms: performance.now() - started };
  }

  /** `POST /jobs/batch` of `bodies` (1–100): the jobs' ids, in order. Throws unless the batch answers 200 with every item accepted (202). */
  async submitBatch(bodies: readonly unknown[]): Promise<{ jobIds: string[]; ms: number }> {
    const started = performance.now();
    const response = await fetch(`${this.apiUrl}/jobs/batch`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jobs: bodies }) });
    const json = (await response.json()) as { results?: { index: number; status: number; jobId?: string }[] };
    if (response.status !== 200) throw new Error(`batch submit answered ${response.status}: ${JSON.stringify(json)}`);
    const refused = (json.results ?? []).filter((result) => result.status !== 202);
    if (refused.length > 0 || json.results?.length !== bodies.length) throw new Error(`batch submit accepted ${(json.results?.length ?? 0) - refused.length} of ${bodies.length}: ${JSON.stringify(refused.slice(0, 3))}`);
    return { jobIds: json.results.map((result) => result.jobId!), ms: performance.now() - started };
  }

  async job(jobId: string): Promise<{ status: string; createdAt: string; finishedAt?: string; attempts: number }> {
    const response = await fetch(`${this.apiUrl}/jobs/${jobId}`);
    if (response.status !== 200) throw new Error(`GET /jobs/${jobId} answered ${response.status}`);
    return (await response.json()) as any;
  }
}

/** `count` calls of `fn` with at most `concurrency` in flight. */
export async function inParallel<T>(count: number, concurrency: number, fn: (index: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const index = next++;
        results[index] = await fn(index);
      }
    }),
  );
  return results;
}

/** The `p`-th percentile (0–100) of `values`. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
