import { randomBytes } from "node:crypto";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SQSClient } from "@aws-sdk/client-sqs";
import * as v from "valibot";
import { DynamoJobListing } from "../../handlers/adapters/dynamoJobListing";
import { DynamoJobStore } from "../../handlers/adapters/dynamoJobStore";
import { DynamoRequestRecords } from "../../handlers/adapters/requestRecords";
import type { JobStore } from "../../handlers/adapters/jobStore";
import { SqsJobQueue } from "../../handlers/adapters/sqsJobQueue";
import { staticIdSecret } from "../../handlers/auth/kmsIdSecret";
import { createApiHandler } from "../../handlers/api/handler";
import { isTerminal, type Job } from "../../handlers/domain/job";
import { builtInJobTypes, createRegistry, JobFailure, sleep, type JobType } from "../../handlers/domain/jobTypes";
import { silentLogger } from "../../handlers/log";
import { DEFAULTS, type StoreSettings } from "../../handlers/settings";
import { createSweeperHandler } from "../../handlers/sweeper/handler";
import { createWorkerHandler } from "../../handlers/worker/handler";
import { LOCAL_AWS, startEmulators, type Emulators } from "../../local/emulators";
import { EventSourcePoller } from "../../local/poller";
import { SqsEventSource } from "../../local/sqsEvents";
import { AwsFaults } from "../helpers/awsFaults";
import { apiEvent } from "../helpers/events";

/** Payload of the probe job type: its result is checkable, its executions are counted. */
export interface ProbePayload {
  n: number;
  failTimes?: number;
  holdMs?: number;
  permanent?: boolean;
}

export interface ClusterOptions {
  /** Worker Lambda timeout; the lease and (×6) the visibility timeout follow. @default 3 */
  workerTimeoutSeconds?: number;
  /** @default 2 */
  sweepGraceSeconds?: number;
  /** Event source mapping concurrency. @default 4 */
  pollers?: number;
  /** Sweeper period. @default 500 */
  sweepEveryMs?: number;
  /** Probe job type timeout. @default 5 */
  probeTimeoutSeconds?: number;
  /** Wraps the worker's job store (to stall or crash commits). */
  workerStore?: (store: JobStore) => JobStore;
}

/**
 * CloudQueue's handlers wired as on AWS — api, worker behind an event source mapping, sweeper on
 * a schedule — over fresh emulators, with a fault injector in every AWS SDK client. The checks
 * read through a separate client that no fault touches.
 */
export class Cluster {
  readonly faults = new AwsFaults();
  /** Runs of the probe job type, by job id. */
  readonly executions = new Map<string, number>();
  /** The attempt numbers each job's executions ran as (an attempt whose claim answer was lost runs none). */
  readonly attemptsRun = new Map<string, number[]>();
  readonly events: SqsEventSource;
  readonly check: DynamoJobStore;
  private readonly api;
  private readonly poller: EventSourcePoller;
  private readonly sweep;
  private sweeping: Promise<void> | undefined;
  private stopped = false;
  private readonly clients: (DynamoDBClient | SQSClient)[] = [];

  private constructor(readonly emulators: Emulators, options: ClusterOptions) {
    const settings: StoreSettings = {
      tableName: emulators.tableName,
      sweepShards: DEFAULTS.sweepShards,
      sweepGraceSeconds: options.sweepGraceSeconds ?? 2,
      retentionDays: DEFAULTS.retentionDays,
    };
    const jobTypes = createRegistry([...builtInJobTypes.values(), this.probeType(options.probeTimeoutSeconds ?? 5)]);
    const store = () => new DynamoJobStore(this.faulty(new DynamoDBClient({ ...LOCAL_AWS, endpoint: emulators.dynamoEndpoint })), settings);
    const queue = () => new SqsJobQueue(this.faulty(new SQSClient({ ...LOCAL_AWS, endpoint: emulators.sqsEndpoint })), { queueUrl: emulators.queueUrl });
    this.check = new DynamoJobStore(emulators.dynamo, settings);
    this.events = new SqsEventSource(emulators.sqs, emulators.queueUrl, emulators.queueArn);

    const dynamo = this.faulty(new DynamoDBClient({ ...LOCAL_AWS, endpoint: emulators.dynamoEndpoint }));
    this.api = createApiHandler({
      store: new DynamoJobStore(dynamo, settings),
      listing: new DynamoJobListing(dynamo, settings),
      records: new DynamoRequestRecords(dynamo, settings),
      queue: queue(),
      jobTypes,
      logger: silentLogger,
      maxBodyBytes: DEFAULTS.maxBodyBytes,
      auth: { mode: "none", adminPrincipals: [], requireScopes: false },
      idSecret: staticIdSecret(randomBytes(32)),
    });
    const workerStore = options.workerStore ? options.workerStore(store()) : store();
    const worker = createWorkerHandler({
      store: workerStore,
      queue: queue(),
      jobTypes,
      logger: silentLogger,
      commitReserveMs: 500,
      backoff: { baseSeconds: 1, maxSeconds: 2 },
    });
    const workerTimeoutSeconds = options.workerTimeoutSeconds ?? 3;
    const pollerEvents = new SqsEventSource(this.faulty(new SQSClient({ ...LOCAL_AWS, endpoint: emulators.sqsEndpoint })), emulators.queueUrl, emulators.queueArn);
    this.poller = new EventSourcePoller({
      events: pollerEvents,
      handler: worker,
      functionName: "worker",
      timeoutSeconds: workerTimeoutSeconds,
      batchSize: 10,
      maxBatchingWindowSeconds: 0,
      maxConcurrency: options.pollers ?? 4,
      waitSeconds: 1,
      logger: silentLogger,
    });
    this.sweep = createSweeperHandler({ store: store(), queue: queue(), logger: silentLogger, sweepGraceSeconds: settings.sweepGraceSeconds, maxJobsPerRun: 1_000 });
    this.sweeping = this.sweepLoop(options.sweepEveryMs ?? 500);
    this.poller.start();
  }

  static async start(options: ClusterOptions = {}): Promise<Cluster> {
    const emulators = await startEmulators({ tableName: `reliability-${Date.now()}`, workerTimeoutSeconds: options.workerTimeoutSeconds ?? 3 });
    return new Cluster(emulators, options);
  }

  /**
   * Submits as a careful client does: with an Idempotency-Key, retrying 5xx answers with the same
   * key. Returns the job id once the API accepted the job (202, or 200 on a replay), `undefined`
   * if it never did.
   */
  async submit(payload: ProbePayload, key: string, attempts = 8): Promise<string | undefined> {
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const response = await this.api(apiEvent({ method: "POST", path: "/jobs", body: { type: "test.probe", payload }, headers: { "idempotency-key": key } }));
      if (response.statusCode === 202 || response.statusCode === 200) return JSON.parse(response.body).jobId;
      if (response.statusCode < 500) throw new Error(`submit refused: ${response.statusCode} ${response.body}`);
      await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
    }
    return undefined;
  }

  async request(method: string, path: string, body?: unknown) {
    const response = await this.api(apiEvent({ method, path, body }));
    return { status: response.statusCode, json: response.body ? JSON.parse(response.body) : undefined };
  }

  /** Waits until every job is terminal or `timeoutMs` passes; returns each job's last state. */
  async waitTerminal(jobIds: string[], timeoutMs: number): Promise<Map<string, Job | undefined>> {
    const deadline = Date.now() + timeoutMs;
    const last = new Map<string, Job | undefined>();
    let pending = [...jobIds];
    while (pending.length > 0 && Date.now() < deadline) {
      const jobs = await mapLimit(pending, 32, (jobId) => this.check.get(jobId));
      pending.forEach((jobId, index) => last.set(jobId, jobs[index]));
      pending = pending.filter((jobId) => !(last.get(jobId) && isTerminal(last.get(jobId)!.status)));
      if (pending.length > 0) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    return last;
  }

  /**
   * The suite's verdict for a set of accepted jobs: how many reached a terminal state, how many
   * committed terminal more or less than once, how many results are wrong, how many are lost.
   */
  verdict(accepted: Map<string, ProbePayload>, finals: Map<string, Job | undefined>) {
    let terminal = 0, lost = 0, wrongResults = 0, notExactlyOnce = 0, executions = 0;
    for (const [jobId, payload] of accepted) {
      const job = finals.get(jobId);
      executions += this.executions.get(jobId) ?? 0;
      if (!job || !isTerminal(job.status)) {
        lost++;
        continue;
      }
      terminal++;
      if ((this.faults.terminalWrites.get(jobId) ?? 0) !== 1) notExactlyOnce++;
      const expected = expectedOutcome(payload);
      const ok = job.status === expected && (expected !== "SUCCEEDED" || JSON.stringify(job.result) === JSON.stringify({ n: payload.n, square: payload.n * payload.n }));
      if (!ok) {
        wrongResults++;
        console.log(`      [reliability] unexpected outcome for ${jobId}: ${JSON.stringify({ payload, status: job.status, attempts: job.attempts, error: job.error, result: job.result })}`);
      }
    }
    const terminalCommits = [...accepted.keys()].reduce((sum, jobId) => sum + (this.faults.terminalWrites.get(jobId) ?? 0), 0);
    return { jobs: accepted.size, terminal, terminalCommits, notExactlyOnce, wrongResults, lost, executions, faultsInjected: this.faults.total() };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.poller.stop();
    await this.sweeping;
    for (const client of this.clients) client.destroy();
    await this.emulators.close();
  }

  private probeType(timeoutSeconds: number): JobType<ProbePayload> {
    return {
      type: "test.probe",
      description: "counts its runs; result {n, square}",
      schema: v.strictObject({
        n: v.pipe(v.number(), v.integer()),
        failTimes: v.optional(v.pipe(v.number(), v.integer())),
        holdMs: v.optional(v.pipe(v.number(), v.integer())),
        permanent: v.optional(v.boolean()),
      }),
      example: { n: 1 },
      timeoutSeconds,
      maxAttempts: 3,
      run: async (payload, { jobId, attempt, signal }) => {
        this.executions.set(jobId, (this.executions.get(jobId) ?? 0) + 1);
        this.attemptsRun.set(jobId, [...(this.attemptsRun.get(jobId) ?? []), attempt]);
        if (payload.holdMs) await sleep(payload.holdMs, signal);
        if (payload.permanent) throw new JobFailure("PROBE_PERMANENT", "probe asked to fail", { retryable: false });
        if (attempt <= (payload.failTimes ?? 0)) throw new Error(`probe transient failure ${attempt}`);
        return { n: payload.n, square: payload.n * payload.n };
      },
    };
  }

  private faulty<T extends DynamoDBClient | SQSClient>(client: T): T {
    this.faults.attach(client);
    this.clients.push(client);
    return client;
  }

  private async sweepLoop(everyMs: number): Promise<void> {
    while (!this.stopped) {
      await this.sweep().catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  }
}

/** What a probe payload must end as. */
export function expectedOutcome(payload: ProbePayload): "SUCCEEDED" | "FAILED" {
  if (payload.permanent) return "FAILED";
  return (payload.failTimes ?? 0) >= 3 ? "FAILED" : "SUCCEEDED";
}

/** `items` mapped with at most `limit` in flight. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await fn(items[index]!, index);
      }
    }),
  );
  return results;
}

/** One row of the suite's report, printed for the record. */
export function report(scenario: string, row: Record<string, unknown>): void {
  console.log(`      [reliability] ${scenario}: ${Object.entries(row).map(([key, value]) => `${key}=${value}`).join(" ")}`);
}
