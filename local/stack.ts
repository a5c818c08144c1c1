import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SQSClient } from "@aws-sdk/client-sqs";
import { SqsJobQueue } from "../handlers/adapters/sqsJobQueue";
import type { AuthMode } from "../handlers/auth/authMode";
import type { IdSecretSource } from "../handlers/auth/idSecret";
import { createApiLambda, createSweeperLambda, createWorkerLambda, type LambdaClients } from "../handlers/lambda";
import { jsonLogger, type Logger } from "../handlers/log";
import { DEFAULTS, ENV, settingsFromEnv } from "../handlers/settings";
import { awsEnvironmentFor, LOCAL_AWS, startEmulators, type Emulators } from "./emulators";
import { DataDirError, lockDataDir, type DataDirLock } from "./dataDir";
import { createHttpFront, type FrontAuth, type HttpFront } from "./httpFront";
import { IamCredentialsError, inMemoryIamCredentials, LOCAL_ADMIN_ARN, openIamCredentials } from "./iamCredentials";
import { LocalAuthFileError, memoryIdSecret, openIdSecretFile } from "./idSecretFile";
import { createJwtAuthorizer } from "./jwtAuthorizer";
import { LocalMetrics } from "./localMetrics";
import { METRICS_PATH } from "./metricsEndpoint";
import { openOrCreateIssuer, type LocalIssuer } from "./oidcIssuer";
import type { LocalStackOptions } from "./options";
import { EventSourcePoller } from "./poller";
import { recoverActiveJobs, type RecoveryReport } from "./recovery";
import { createSigV4Authorizer } from "./sigv4Authorizer";
import { SqsEventSource } from "./sqsEvents";
import { SweeperSchedule } from "./sweeperSchedule";
import { LocalSchedules, type ScheduleStatus } from "./schedules";
import { loadScheduleFile, ScheduleFileError } from "./scheduleFile";
import { createBuiltInJobTypes } from "../handlers/domain/jobTypes";
import type { ScheduleConfig } from "../handlers/domain/scheduleConfig";

/** A startup problem the user can fix (busy port, unwritable data dir): printed as one line. */
export class LocalStackError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "LocalStackError";
  }
}

/** The running local stack. */
export interface LocalStack {
  /** The page, e.g. `http://127.0.0.1:8080/`. */
  pageUrl: string;
  /** The API's base URL (the same origin as the page). */
  apiUrl: string;
  /** The metrics registry in the Prometheus text format (JSON when asked), e.g. `http://127.0.0.1:8080/metrics`. */
  metricsUrl: string;
  emulators: Pick<Emulators, "dynamoEndpoint" | "sqsEndpoint" | "tableName" | "queueUrl" | "dlqUrl">;
  /** Absolute data folder, `undefined` in memory. */
  dataDir: string | undefined;
  recovery: RecoveryReport;
  auth: LocalAuthInfo;
  /** The schedules the stack fires: the next fires, and the one missed fire each caught up at start. */
  schedules: ScheduleStatus[];
  /** Worker invocations running now. */
  inFlight(): number;
  /** Stops taking requests and messages, drains in-flight batches, stops the emulators. */
  close(): Promise<void>;
}

/** How the stack admits callers, and where a developer finds the credentials. */
export interface LocalAuthInfo {
  mode: AuthMode;
  /**
   * `jwt`, `iam`: the folder whose `auth/` holds the issuer key or the IAM users: the data
   * folder, or with `inMemory` a fresh one under `os.tmpdir()` (deleted at close). What
   * `npm run token -- --data-dir` reads.
   */
  keyDir?: string;
  /** `jwt`: the local OIDC issuer, whose tokens the API takes. */
  issuer?: LocalIssuer;
  /** `iam`: the file with the local IAM users' access keys. */
  iamCredentialsFile?: string;
}

/** Optional hooks for tools built on the local stack (the benchmark); `npm start` passes none. */
export interface LocalStackHooks {
  /**
   * The SDK clients each part should use instead of its defaults (still configured by the
   * standard environment variables): the benchmark adds counting middleware to them.
   */
  clients?: (role: "api" | "worker" | "sweeper" | "recovery" | "poller") => LambdaClients;
  /** Each JSON line the handlers write, besides printing it: the benchmark counts their bytes. */
  logLine?: (line: string) => void;
  /** Keep the handlers' lines off stdout (the benchmark's stack process). */
  quietHandlerLogs?: boolean;
}

/**
 * Starts CloudQueue on this machine: the emulators with the deployed table and queues, the
 * handlers built by the same Lambda factories as on AWS (real SDK, endpoints from the standard
 * env vars), the event source poller, the sweeper's schedule and the HTTP front.
 */
export async function startLocalStack(options: LocalStackOptions, logger: Logger = jsonLogger(), hooks: LocalStackHooks = {}): Promise<LocalStack> {
  const clientsFor = (role: Parameters<NonNullable<LocalStackHooks["clients"]>>[0]): LambdaClients => hooks.clients?.(role) ?? {};
  // The schedules first: a bad entry fails the start before anything runs, as it fails `pulumi preview`.
  const scheduleConfigs = readSchedules(options);
  const lock = options.dataDir === undefined ? undefined : lockOrExplain(options.dataDir);
  // The port first: a busy one fails in milliseconds, before anything else starts. Until the
  // handlers exist, every request is answered 503 with Retry-After (the stack is starting).
  const front = createHttpFront({ logger, corsOrigins: options.corsOrigins });
  const cleanups: (() => Promise<void> | void)[] = [() => lock?.release(), () => front.close()];
  const cleanUp = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  };
  try {
    await listen(front, options);
    let emulators: Emulators;
    try {
      emulators = await startEmulators({ dataDir: lock?.dir, host: "127.0.0.1", dynamoPort: options.dynamodbPort || undefined, sqsPort: options.sqsPort || undefined });
    } catch (error) {
      throw explainEmulatorError(error, options);
    }
    cleanups.push(() => emulators.close());

    const auth = await openLocalAuth(options.auth ?? "none", lock?.dir);
    if (auth.info.keyDir && !lock) cleanups.push(() => rmSync(auth.info.keyDir!, { recursive: true, force: true }));

    configureLambdaEnvironment(emulators, auth.info.mode);
    const settings = settingsFromEnv(process.env);
    const metrics = new LocalMetrics({
      namespace: settings.metricsNamespace,
      // The emulators' own clients: scrape-time reads are not the system's calls, which the
      // benchmark counts through the clients its hooks give the handlers.
      dynamo: emulators.dynamo,
      sqs: emulators.sqs,
      tableName: emulators.tableName,
      queues: { jobs: emulators.queueUrl, dlq: emulators.dlqUrl },
      // The poller is built below, after the worker it invokes: the gauge asks it only when scraped.
      worker: { inFlight: () => poller.inFlight, maxConcurrency: options.concurrency },
      logger,
    });
    const lambdaOptions = { writeLog: handlerLogWriter(metrics, hooks) };
    const worker = createWorkerLambda(process.env, clientsFor("worker"), lambdaOptions);
    const sweeper = createSweeperLambda(process.env, clientsFor("sweeper"), lambdaOptions);

    // The table outlives the in-memory queue: re-enqueue what was active before the restart.
    const recoveryClients = clientsFor("recovery");
    const recovery = await recoverActiveJobs({
      dynamo: recoveryClients.dynamo ?? new DynamoDBClient({}),
      tableName: settings.tableName,
      queue: new SqsJobQueue(recoveryClients.sqs ?? new SQSClient({}), settings),
      logger,
      sweepGraceSeconds: settings.sweepGraceSeconds,
    });

    const poller = new EventSourcePoller({
      events: new SqsEventSource(clientsFor("poller").sqs ?? emulators.sqs, emulators.queueUrl, emulators.queueArn),
      handler: worker,
      functionName: "cloudqueue-worker",
      timeoutSeconds: DEFAULTS.workerTimeoutSeconds,
      batchSize: options.batchSize,
      maxBatchingWindowSeconds: DEFAULTS.maxBatchingWindowSeconds,
      maxConcurrency: options.concurrency,
      logger,
    });
    const schedule = new SweeperSchedule(sweeper, options.sweepIntervalSeconds, logger);
    const api = createApiLambda(process.env, clientsFor("api"), { ...lambdaOptions, idSecret: auth.idSecret });
    front.ready(api, metrics, auth.front);
    poller.start();
    schedule.start();
    // Each fire enters through the api function's entry, as Scheduler's invocation does on AWS.
    const schedules = new LocalSchedules({ schedules: scheduleConfigs, fire: (event) => api(event), logger, dataDir: lock?.dir });
    cleanups.push(() => schedules.stop());
    const scheduleStatuses = await schedules.start();

    const port = (front.server.address() as AddressInfo).port;
    const shownHost = options.host === "0.0.0.0" || options.host === "::" ? "127.0.0.1" : options.host;
    const origin = `http://${shownHost.includes(":") ? `[${shownHost}]` : shownHost}:${port}`;
    lock?.announce({ apiUrl: origin, pageUrl: `${origin}/`, metricsUrl: `${origin}${METRICS_PATH}`, auth: auth.info.mode });
    return {
      pageUrl: `${origin}/`,
      apiUrl: origin,
      metricsUrl: `${origin}${METRICS_PATH}`,
      emulators,
      dataDir: lock?.dir,
      recovery,
      auth: auth.info,
      schedules: scheduleStatuses,
      inFlight: () => poller.inFlight,
      async close() {
        // The front first (no new jobs), then the poller (drain), then what they use.
        await Promise.all([front.close(), schedules.stop()]);
        await Promise.all([poller.stop(), schedule.stop()]);
        await emulators.close();
        if (auth.info.keyDir && !lock) rmSync(auth.info.keyDir, { recursive: true, force: true });
        lock?.release();
      },
    };
  } catch (error) {
    await cleanUp();
    throw error;
  }
}

/**
 * Where the handlers' log lines go: printed on stdout as Lambda writes them (one JSON line each,
 * EMF metadata included, exactly what CloudWatch Logs would store), then read by the metrics
 * registry, so `/metrics` counts the same records CloudWatch extracts its metrics from. A line the
 * registry cannot read never fails the handler that wrote it.
 */
function handlerLogWriter(metrics: LocalMetrics, hooks: LocalStackHooks): (line: string) => void {
  return (line) => {
    if (!hooks.quietHandlerLogs) process.stdout.write(`${line}\n`);
    hooks.logLine?.(line);
    metrics.ingestLine(line);
  };
}

/**
 * The stack's auth: the front's authorizer for a closed stack (`jwt`: the local issuer's tokens;
 * `iam`: the local IAM users' signatures), and the api's id secret. Kept in the data folder, so
 * that tokens, access keys and key-derived job ids outlive a restart; in memory, the id secret is
 * new each start and the issuer key or the IAM users go to a fresh folder, for a developer to
 * read them from.
 */
async function openLocalAuth(mode: AuthMode, dataDir: string | undefined): Promise<{ info: LocalAuthInfo; front?: FrontAuth; idSecret: IdSecretSource }> {
  try {
    const idSecret = dataDir === undefined ? memoryIdSecret() : openIdSecretFile(dataDir);
    if (mode === "none") return { info: { mode }, idSecret };
    const keyDir = dataDir ?? mkdtempSync(join(tmpdir(), "cloudqueue-auth-"));
    if (mode === "jwt") {
      const issuer = await openOrCreateIssuer(keyDir);
      const authorizer = createJwtAuthorizer({ issuer: issuer.issuer, audience: issuer.audience, jwks: issuer.jwks });
      return { info: { mode, keyDir, issuer }, front: { mode, authorizer, issuer }, idSecret };
    }
    const credentials = dataDir === undefined ? inMemoryIamCredentials(keyDir) : openIamCredentials(keyDir);
    const authorizer = createSigV4Authorizer(credentials, { region: LOCAL_AWS.region });
    return { info: { mode, keyDir, iamCredentialsFile: credentials.file }, front: { mode, authorizer }, idSecret };
  } catch (error) {
    if (error instanceof LocalAuthFileError || error instanceof IamCredentialsError) throw new LocalStackError(error.message, { cause: error });
    throw error;
  }
}

/**
 * The variables a deployed function gets from its configuration, here pointing at the emulators:
 * the handler factories read them exactly as on AWS. Optional `CLOUDQUEUE_*` settings already in
 * the environment (e.g. `CLOUDQUEUE_SWEEP_GRACE_SECONDS`) are kept; the auth mode is the stack's,
 * and in `iam` mode the local admin user is the admin principal.
 */
function configureLambdaEnvironment(emulators: Emulators, authMode: AuthMode): void {
  Object.assign(process.env, {
    ...awsEnvironmentFor(emulators),
    // Never look for instance credentials, which would stall the first call off EC2.
    AWS_EC2_METADATA_DISABLED: "true",
    [ENV.tableName]: emulators.tableName,
    [ENV.queueUrl]: emulators.queueUrl,
    [ENV.authMode]: authMode,
    ...(authMode === "iam" && { [ENV.adminPrincipals]: LOCAL_ADMIN_ARN }),
    // The local front checks every route's scope, as a stack with jwtRequireScopes (the default) does.
    ...(authMode === "jwt" && { [ENV.jwtRequireScopes]: "true" }),
  });
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
}

/** The schedules of `options.schedulesFile`, validated as `pulumi preview` validates them; a bad one is a {@link LocalStackError} naming it. */
function readSchedules(options: LocalStackOptions): ScheduleConfig[] {
  const file = options.schedulesFile;
  if (file === undefined || file === "none") return [];
  try {
    return loadScheduleFile(file, createBuiltInJobTypes(), { optional: options.schedulesFileIsDefault });
  } catch (error) {
    if (error instanceof ScheduleFileError) throw new LocalStackError(error.message);
    throw error;
  }
}

function lockOrExplain(path: string): DataDirLock {
  try {
    return lockDataDir(path);
  } catch (error) {
    if (error instanceof DataDirError) throw new LocalStackError(error.message);
    throw error;
  }
}

function explainEmulatorError(error: unknown, options: LocalStackOptions): Error {
  const text = describe(error);
  if (/EADDRINUSE/.test(text)) {
    return new LocalStackError(`an emulator port is in use (--dynamodb-port ${options.dynamodbPort}, --sqs-port ${options.sqsPort}); choose others, or 0 for any free port`);
  }
  return new LocalStackError(`the emulators did not start: ${text}`, { cause: error });
}

function describe(error: unknown): string {
  const parts: string[] = [];
  for (let current = error; current instanceof Error; current = current.cause) parts.push(`${current.name}: ${current.message}${"code" in current ? ` (${String(current.code)})` : ""}`);
  return parts.join(" <- ") || String(error);
}

function listen(front: HttpFront, options: LocalStackOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    front.server.once("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EADDRINUSE") reject(new LocalStackError(`port ${options.port} on ${options.host} is in use; stop what uses it or choose another with --port or PORT`));
      else if (error.code === "EACCES") reject(new LocalStackError(`port ${options.port} on ${options.host} needs privileges; choose one above 1023 with --port or PORT`));
      else if (error.code === "EADDRNOTAVAIL" || error.code === "ENOTFOUND") reject(new LocalStackError(`host ${options.host} is not an address of this machine; check --host or CLOUDQUEUE_HOST`));
      else reject(error);
    });
    front.server.listen(options.port, options.host, () => resolve());
  });
}
