import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import { randomBytes } from "node:crypto";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import * as v from "valibot";
import { ScanCommand } from "@aws-sdk/client-dynamodb";
import { GetQueueAttributesCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import { DynamoJobListing } from "../../handlers/adapters/dynamoJobListing";
import { DynamoJobStore } from "../../handlers/adapters/dynamoJobStore";
import { DynamoRequestRecords } from "../../handlers/adapters/requestRecords";
import type { JobStore } from "../../handlers/adapters/jobStore";
import { SqsJobQueue, type JobQueue } from "../../handlers/adapters/sqsJobQueue";
import { createApiHandler } from "../../handlers/api/handler";
import type { AuthSettings } from "../../handlers/auth/authSettings";
import type { IdSecretSource } from "../../handlers/auth/idSecret";
import { staticIdSecret } from "../../handlers/auth/kmsIdSecret";
import type { HttpResponse } from "../../handlers/api/http";
import type { Job } from "../../handlers/domain/job";
import { builtInJobTypes, createRegistry, JobFailure, sleep, type JobType, type JobTypeRegistry } from "../../handlers/domain/jobTypes";
import { silentLogger, type Logger } from "../../handlers/log";
import { openApiDocument } from "../../handlers/openapi";
import { DEFAULTS, type StoreSettings } from "../../handlers/settings";
import { createSweeperHandler } from "../../handlers/sweeper/handler";
import { createWorkerHandler, type WorkerContext } from "../../handlers/worker/handler";
import { startEmulators, type Emulators } from "../../local/emulators";
import { SqsEventSource } from "../../local/sqsEvents";
import { apiEvent, lambdaContext, type ApiRequest } from "./events";
import { assertLambdaAnswerConforms, openApiChecker, type OpenApiChecker } from "./openApiCheck";

/**
 * A job type for tests that counts its executions and can be held mid-run: proves "ran once"
 * rather than assuming it. Payload `{key, failTimes?, permanent?, holdMs?}`.
 */
export function countingJobType(executions: Map<string, number>, options: { maxAttempts?: number; timeoutSeconds?: number } = {}): JobType {
  return {
    type: "test.counted",
    description: "counts executions",
    schema: v.strictObject({
      key: v.string(),
      failTimes: v.optional(v.number(), 0),
      permanent: v.optional(v.boolean(), false),
      holdMs: v.optional(v.number(), 0),
    }),
    example: { key: "example" },
    timeoutSeconds: options.timeoutSeconds ?? 10,
    maxAttempts: options.maxAttempts ?? 3,
    async run(payload: { key: string; failTimes: number; permanent: boolean; holdMs: number }, { attempt, signal }) {
      executions.set(payload.key, (executions.get(payload.key) ?? 0) + 1);
      if (payload.holdMs > 0) await sleep(payload.holdMs, signal);
      if (payload.permanent) throw new JobFailure("TEST_PERMANENT", "permanent test failure", { retryable: false });
      if (attempt <= payload.failTimes) throw new Error(`transient test failure ${attempt}`);
      return { key: payload.key, attempt };
    },
  };
}

export interface TestStackOptions {
  jobTypes?: JobTypeRegistry;
  /** Wraps the queue the API uses (to inject SendMessage failures). */
  apiQueue?: (queue: JobQueue) => JobQueue;
  /** Wraps the queue the sweeper uses (to see the delays it sends with). */
  sweeperQueue?: (queue: JobQueue) => JobQueue;
  sweepGraceSeconds?: number;
  maxBodyBytes?: number;
  /** What the api, the sweeper and every worker log to. @default silentLogger */
  logger?: Logger;
  /** How the api identifies callers. @default the public demo (`none`) */
  auth?: Pick<AuthSettings, "mode" | "adminPrincipals"> & Partial<Pick<AuthSettings, "requireScopes">>;
  /** The api's id secret. @default 32 random bytes */
  idSecret?: IdSecretSource;
}

/** The handlers wired to fresh emulators, plus the levers tests need. */
export class TestStack {
  readonly executions = new Map<string, number>();
  readonly jobTypes: JobTypeRegistry;
  readonly store: DynamoJobStore;
  readonly queue: SqsJobQueue;
  readonly events: SqsEventSource;
  readonly storeSettings: StoreSettings;
  /** Added to the real clock of the sweeper, to reach "later" without waiting. */
  sweeperClockOffsetMs = 0;
  readonly api;
  readonly sweeper;
  readonly logger: Logger;
  /** The stack's OpenAPI document (its job types, its auth mode): every answer of {@link request} is checked against it. */
  readonly openApi: OpenApiChecker;

  private constructor(readonly emulators: Emulators, options: TestStackOptions) {
    this.logger = options.logger ?? silentLogger;
    this.jobTypes = options.jobTypes ?? createRegistry([...builtInJobTypes.values(), countingJobType(this.executions)]);
    this.storeSettings = {
      tableName: emulators.tableName,
      sweepShards: DEFAULTS.sweepShards,
      sweepGraceSeconds: options.sweepGraceSeconds ?? 30,
      retentionDays: DEFAULTS.retentionDays,
    };
    this.store = new DynamoJobStore(emulators.dynamo, this.storeSettings);
    this.queue = new SqsJobQueue(emulators.sqs, { queueUrl: emulators.queueUrl });
    this.events = new SqsEventSource(emulators.sqs, emulators.queueUrl, emulators.queueArn);
    const auth = { requireScopes: true, ...(options.auth ?? { mode: "none" as const, adminPrincipals: [] }) };
    this.api = createApiHandler({
      store: this.store,
      listing: new DynamoJobListing(emulators.dynamo, this.storeSettings),
      records: new DynamoRequestRecords(emulators.dynamo, this.storeSettings),
      queue: options.apiQueue ? options.apiQueue(this.queue) : this.queue,
      jobTypes: this.jobTypes,
      logger: this.logger,
      maxBodyBytes: options.maxBodyBytes ?? DEFAULTS.maxBodyBytes,
      auth,
      idSecret: options.idSecret ?? staticIdSecret(randomBytes(32)),
    });
    this.openApi = openApiChecker(openApiDocument({ jobTypes: this.jobTypes, authMode: auth.mode, requireScopes: auth.requireScopes }));
    this.sweeper = createSweeperHandler({
      store: this.store,
      queue: options.sweeperQueue ? options.sweeperQueue(this.queue) : this.queue,
      logger: this.logger,
      sweepGraceSeconds: this.storeSettings.sweepGraceSeconds,
      maxJobsPerRun: 100,
      now: () => Date.now() + this.sweeperClockOffsetMs,
    });
  }

  static async start(options: TestStackOptions = {}): Promise<TestStack> {
    return new TestStack(await startEmulators({ tableName: `jobs-${Date.now()}` }), options);
  }

  /** A worker; several may exist at once to race. Backoff is 1 s so retries come back quickly. */
  worker(overrides: { now?: () => number; store?: JobStore } = {}) {
    return createWorkerHandler({
      store: this.store,
      queue: this.queue,
      jobTypes: this.jobTypes,
      logger: this.logger,
      commitReserveMs: 100,
      backoff: { baseSeconds: 1, maxSeconds: 1 },
      random: () => 0,
      ...overrides,
    });
  }

  /** Calls the api as API Gateway would; throws unless the answer conforms to the stack's OpenAPI document. */
  async request(request: ApiRequest): Promise<HttpResponse & { json: any }> {
    const event = apiEvent(request);
    const response = await this.api(event);
    this.assertConforms(event, response);
    return { ...response, json: response.body ? JSON.parse(response.body) : undefined };
  }

  /** Throws unless `response`, the api's answer to `event`, conforms to the stack's OpenAPI document. */
  assertConforms(event: APIGatewayProxyEventV2, response: HttpResponse): void {
    assertLambdaAnswerConforms(this.openApi, event, response);
  }

  async submit(body: unknown, headers?: Record<string, string>): Promise<string> {
    const response = await this.request({ method: "POST", path: "/jobs", body, headers });
    if (response.statusCode !== 202) throw new Error(`submit answered ${response.statusCode}: ${response.body}`);
    return response.json.jobId;
  }

  /** The job's item as stored, table-only attributes (index keys, TTL) included. */
  async rawItem(jobId: string): Promise<Record<string, unknown>> {
    const { Item } = await this.emulators.dynamo.send(new GetItemCommand({ TableName: this.emulators.tableName, Key: { jobId: { S: jobId } }, ConsistentRead: true }));
    if (!Item) throw new Error(`job ${jobId} not found`);
    return unmarshall(Item);
  }

  async job(jobId: string): Promise<Job> {
    const job = await this.store.get(jobId);
    if (!job) throw new Error(`job ${jobId} not found`);
    return job;
  }

  /**
   * Polls the queue and runs the worker until every job in `jobIds` is terminal (or `timeoutMs`
   * passes), as the event source mapping would.
   */
  async runUntilTerminal(jobIds: string[], options: { timeoutMs?: number; remainingMs?: number } = {}): Promise<Job[]> {
    const worker = this.worker();
    const deadline = Date.now() + (options.timeoutMs ?? 15_000);
    for (;;) {
      const jobs = await Promise.all(jobIds.map((jobId) => this.job(jobId)));
      if (jobs.every((job) => ["SUCCEEDED", "FAILED", "CANCELED"].includes(job.status))) return jobs;
      if (Date.now() > deadline) throw new Error(`jobs not terminal in time: ${jobs.map((job) => `${job.jobId}=${job.status}`).join(", ")}`);
      const { messages } = await this.deliverOnce(worker, { waitSeconds: 0, context: lambdaContext(options.remainingMs) });
      // Short polls: local-aws-sqs holds a long poll for its whole wait unless it fills the batch.
      if (messages.length === 0) await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Receives one batch (if any), runs `worker` on it and settles it. */
  async deliverOnce(worker = this.worker(), options: { waitSeconds?: number; context?: WorkerContext } = {}) {
    const messages = await this.events.receive(10, options.waitSeconds ?? 0);
    if (messages.length === 0) return { messages, response: undefined };
    const response = await worker(this.events.toEvent(messages), options.context ?? lambdaContext());
    await this.events.settle(messages, response);
    return { messages, response };
  }

  async sendRaw(body: string): Promise<void> {
    await this.emulators.sqs.send(new SendMessageCommand({ QueueUrl: this.emulators.queueUrl, MessageBody: body }));
  }

  async itemCount(): Promise<number> {
    const { Count } = await this.emulators.dynamo.send(new ScanCommand({ TableName: this.emulators.tableName, Select: "COUNT" }));
    return Count ?? 0;
  }

  async queueDepth(queueUrl = this.emulators.queueUrl): Promise<number> {
    const { Attributes } = await this.emulators.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"] }),
    );
    return Number(Attributes?.ApproximateNumberOfMessages ?? 0) + Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0) + Number(Attributes?.ApproximateNumberOfMessagesDelayed ?? 0);
  }

  /** Deletes every visible message (PurgeQueue is rate-limited to once a minute) and forgets executions. */
  async purge(): Promise<void> {
    for (;;) {
      const messages = await this.events.receive(10, 0);
      if (messages.length === 0) break;
      await this.events.settle(messages, { batchItemFailures: [] });
    }
    this.executions.clear();
  }

  async close(): Promise<void> {
    await this.emulators.close();
  }
}
