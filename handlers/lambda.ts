import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { KMSClient } from "@aws-sdk/client-kms";
import { SQSClient } from "@aws-sdk/client-sqs";
import { DynamoJobListing } from "./adapters/dynamoJobListing";
import { DynamoJobStore } from "./adapters/dynamoJobStore";
import { DynamoRequestRecords } from "./adapters/requestRecords";
import { SqsJobQueue } from "./adapters/sqsJobQueue";
import { createApiEntry, type ApiEntry } from "./api/handler";
import { authSettingsFromEnv } from "./auth/authSettings";
import type { IdSecretSource } from "./auth/idSecret";
import { KmsIdSecret } from "./auth/kmsIdSecret";
import { createBuiltInJobTypes } from "./domain/jobTypes";
import { jsonLogger, logLevelFromEnv, type Logger } from "./log";
import { DEFAULTS, ENV, settingsFromEnv } from "./settings";
import { createSweeperHandler, type SweeperHandler } from "./sweeper/handler";
import { createWorkerHandler, type WorkerHandler } from "./worker/handler";

/**
 * The Lambda entry points, each built once per container (a Pulumi `callbackFactory` calls
 * these): settings from the environment, SDK clients created here, never at module level.
 * Endpoints come from the standard `AWS_ENDPOINT_URL_DYNAMODB` / `AWS_ENDPOINT_URL_SQS`
 * variables, so the same code runs on AWS and against emulators.
 */
function createAdapters(env: Record<string, string | undefined>, clients: LambdaClients, options: LambdaOptions) {
  const settings = settingsFromEnv(env);
  const dynamo = clients.dynamo ?? new DynamoDBClient({});
  const store = new DynamoJobStore(dynamo, settings);
  const queue = new SqsJobQueue(clients.sqs ?? new SQSClient({}), settings);
  const logger: Logger = jsonLogger({ level: logLevelFromEnv(env), namespace: settings.metricsNamespace, write: options.writeLog });
  return { settings, dynamo, store, queue, logger };
}

/**
 * Where the log records go: stdout on Lambda (the default), where CloudWatch Logs reads them and
 * extracts their metrics; the local stack passes its own writer, which also reads the metrics.
 */
export interface LambdaOptions {
  /** Takes one JSON line, without its newline. */
  writeLog?: (line: string) => void;
  /**
   * The api's id secret, where it does not come from KMS: the local stack keeps one in its data
   * folder. On Lambda it is derived from the key `CLOUDQUEUE_ID_KEY_ARN` names.
   */
  idSecret?: IdSecretSource;
}

/**
 * Clients to use instead of the default ones (configured from the environment as on AWS): the
 * benchmark passes clients with counting middleware. Lambda never passes any.
 */
export interface LambdaClients {
  dynamo?: DynamoDBClient;
  sqs?: SQSClient;
  kms?: KMSClient;
}

/** The api function's handler: API Gateway's requests and the schedules' fires. */
export function createApiLambda(env: Record<string, string | undefined> = process.env, clients: LambdaClients = {}, options: LambdaOptions = {}): ApiEntry {
  const { settings, dynamo, store, queue, logger } = createAdapters(env, clients, options);
  const auth = authSettingsFromEnv(env);
  return createApiEntry({
    store,
    listing: new DynamoJobListing(dynamo, settings),
    records: new DynamoRequestRecords(dynamo, settings),
    queue,
    jobTypes: createBuiltInJobTypes(),
    logger,
    maxBodyBytes: settings.maxBodyBytes,
    auth,
    idSecret: options.idSecret ?? kmsIdSecret(auth.idKeyArn, auth.idKeyGeneration, clients),
  });
}

/**
 * The id secret from the stack's KMS key, derived when the first key-derived id is needed (one
 * `GenerateMac` per container). Without a key ARN there is
 * no secret, and a submission with an `Idempotency-Key` answers 503 (nothing is stored).
 */
function kmsIdSecret(keyArn: string | undefined, generation: number, clients: LambdaClients): IdSecretSource {
  if (keyArn === undefined) {
    return { get: () => Promise.reject(new Error(`${ENV.idKeyArn} is not set: this function has no id secret`)) };
  }
  return new KmsIdSecret(keyArn, generation, clients.kms);
}

/** The worker function's handler. */
export function createWorkerLambda(env: Record<string, string | undefined> = process.env, clients: LambdaClients = {}, options: LambdaOptions = {}): WorkerHandler {
  const { store, queue, logger } = createAdapters(env, clients, options);
  return createWorkerHandler({
    store,
    queue,
    jobTypes: createBuiltInJobTypes(),
    logger,
    commitReserveMs: DEFAULTS.commitReserveMs,
    backoff: DEFAULTS.backoff,
  });
}

/** The sweeper function's handler. */
export function createSweeperLambda(env: Record<string, string | undefined> = process.env, clients: LambdaClients = {}, options: LambdaOptions = {}): SweeperHandler {
  const { settings, store, queue, logger } = createAdapters(env, clients, options);
  return createSweeperHandler({
    store,
    queue,
    logger,
    sweepGraceSeconds: settings.sweepGraceSeconds,
    maxJobsPerRun: settings.sweepMaxJobsPerRun,
  });
}
