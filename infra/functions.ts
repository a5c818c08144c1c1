import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { createApiLambda, createSweeperLambda, createWorkerLambda } from "../handlers/lambda";
import { DEFAULTS, ENV } from "../handlers/settings";
import { API_TIMEOUT_SECONDS, SWEEPER_TIMEOUT_SECONDS, type CloudQueueConfig, type StackAuth } from "./config";
import type { IdKey } from "./idKey";
import type { JobQueues } from "./queues";
import { ServiceFunction } from "./serviceFunction";
import type { JobTable } from "./table";

export interface JobFunctionsArgs {
  config: CloudQueueConfig;
  table: JobTable;
  queues: JobQueues;
  /** The CloudWatch namespace the handlers emit their metrics in: the stack's own (`metricNamespace(stack)`). */
  metricsNamespace: string;
  /** The KMS HMAC key the api derives its id secret from. */
  idKey: IdKey;
}

/**
 * What the api alone reads about callers and key-derived ids (`handlers/auth/authSettings.ts`):
 * the mode, the id key's ARN (a name, not the secret) and generation, and in `iam` mode the
 * admins, comma-joined (left out when there are none: the api reads that as none).
 */
export function apiAuthEnvironment(auth: StackAuth, idKeyArn: pulumi.Input<string>, idKeyGeneration: number): Record<string, pulumi.Input<string>> {
  const admins = auth.mode === "iam" ? auth.adminArns : [];
  return {
    [ENV.authMode]: auth.mode,
    [ENV.idKeyArn]: idKeyArn,
    [ENV.idKeyGeneration]: String(idKeyGeneration),
    ...(auth.mode === "jwt" && { [ENV.jwtRequireScopes]: String(auth.requireScopes) }),
    ...(admins.length > 0 && { [ENV.adminPrincipals]: admins.join(",") }),
  };
}

/** The sweeper's schedule: every `DEFAULTS.sweepIntervalSeconds` (one minute). */
export const SWEEP_SCHEDULE = `rate(${Math.max(1, Math.round(DEFAULTS.sweepIntervalSeconds / 60))} minute${DEFAULTS.sweepIntervalSeconds >= 120 ? "s" : ""})`;

/** Oldest sweep event Lambda still runs (its minimum, 60 s): one schedule interval. */
export const SWEEP_MAX_EVENT_AGE_SECONDS = 60;

/**
 * The three Lambdas (api, worker, sweeper), the worker's SQS event source mapping and the
 * sweeper's schedule. Each callback factory only calls a `handlers/lambda.ts` factory: the
 * closure serializer then packages the handler modules by value and requires npm packages, and
 * no Pulumi object or Output is captured (names reach the code as environment variables).
 */
export class JobFunctions extends pulumi.ComponentResource {
  public readonly api: ServiceFunction<any, any>;
  public readonly worker: ServiceFunction<any, any>;
  public readonly sweeper: ServiceFunction<any, any>;
  public readonly workerMapping: aws.lambda.EventSourceMapping;
  public readonly sweepRule: aws.cloudwatch.EventRule;
  public readonly sweepTarget: aws.cloudwatch.EventTarget;
  public readonly sweepPermission: aws.lambda.Permission;
  public readonly sweepInvokeConfig: aws.lambda.FunctionEventInvokeConfig;

  constructor(name: string, args: JobFunctionsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cloudqueue:infra:JobFunctions", name, {}, opts);
    const { config, table, queues } = args;
    const environment = {
      [ENV.tableName]: table.name,
      [ENV.queueUrl]: queues.queue.url,
      [ENV.sweepShards]: String(config.sweepShards),
      [ENV.sweepGraceSeconds]: String(config.sweepGraceSeconds),
      [ENV.retentionDays]: String(config.retentionDays),
      [ENV.maxBodyBytes]: String(config.maxBodyBytes),
      [ENV.sweepMaxJobsPerRun]: String(config.sweepMaxJobsPerRun),
      [ENV.metricsNamespace]: args.metricsNamespace,
    };
    // One environment and one log level for all three: a job's records and metrics come from each
    // of them. Only the api, which meets the callers, also reads the auth settings.
    const common = { memoryMb: config.lambdaMemoryMb, logRetentionDays: config.logRetentionDays, applicationLogLevel: config.logLevel, environment };

    this.api = new ServiceFunction(
      `${name}-api`,
      {
        ...common,
        environment: { ...environment, ...apiAuthEnvironment(config.auth, args.idKey.arn, config.idKeyGeneration) },
        description: "CloudQueue HTTP API (API Gateway payload 2.0)",
        callbackFactory: () => createApiLambda(),
        timeoutSeconds: API_TIMEOUT_SECONDS,
        grants: [
          // BatchGetItem: the items of a listing page; PutItem/UpdateItem also keep bulk calls' request records.
          { actions: ["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:BatchGetItem"], resources: [table.arn] },
          // The listings and the summary read the two listing indexes, never the sweep index, never a scan.
          { actions: ["dynamodb:Query"], resources: table.listingIndexArns },
          { actions: ["sqs:SendMessage"], resources: [queues.queue.arn] },
          // The id secret: one MAC per container (handlers/auth/kmsIdSecret.ts), nothing else on the key.
          { actions: ["kms:GenerateMac"], resources: [args.idKey.arn] },
        ],
      },
      { parent: this },
    );

    this.worker = new ServiceFunction(
      `${name}-worker`,
      {
        ...common,
        description: "CloudQueue worker (SQS event source, partial batch responses)",
        callbackFactory: () => createWorkerLambda(),
        timeoutSeconds: config.workerTimeoutSeconds,
        grants: [
          { actions: ["dynamodb:GetItem", "dynamodb:UpdateItem"], resources: [table.arn] },
          // ChangeMessageVisibility: the backoff; the other three: what the event source mapping does.
          { actions: ["sqs:ChangeMessageVisibility", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"], resources: [queues.queue.arn] },
        ],
      },
      { parent: this },
    );

    this.sweeper = new ServiceFunction(
      `${name}-sweeper`,
      {
        ...common,
        description: "CloudQueue sweeper (re-enqueues stuck jobs, times out expired leases)",
        callbackFactory: () => createSweeperLambda(),
        timeoutSeconds: SWEEPER_TIMEOUT_SECONDS,
        grants: [
          { actions: ["dynamodb:Query"], resources: [table.sweepIndexArn] },
          { actions: ["dynamodb:GetItem", "dynamodb:UpdateItem"], resources: [table.arn] },
          { actions: ["sqs:SendMessage"], resources: [queues.queue.arn] },
        ],
      },
      { parent: this },
    );

    this.workerMapping = new aws.lambda.EventSourceMapping(
      `${name}-worker-mapping`,
      {
        eventSourceArn: queues.queue.arn,
        functionName: this.worker.function.arn,
        batchSize: config.batchSize,
        maximumBatchingWindowInSeconds: config.maxBatchingWindowSeconds,
        scalingConfig: { maximumConcurrency: config.maxConcurrency },
        functionResponseTypes: ["ReportBatchItemFailures"],
      },
      { parent: this, dependsOn: [this.worker.policy] },
    );

    // EventBridge invokes the sweeper asynchronously. Lambda would retry a failed run twice (after
    // 1 and 2 minutes), on top of the next scheduled run: a failed run is simply left to the next
    // minute's, and an event that waited past a minute is dropped, never run late.
    this.sweepInvokeConfig = new aws.lambda.FunctionEventInvokeConfig(
      `${name}-sweeper-async`,
      { functionName: this.sweeper.function.name, maximumRetryAttempts: 0, maximumEventAgeInSeconds: SWEEP_MAX_EVENT_AGE_SECONDS },
      { parent: this },
    );

    this.sweepRule = new aws.cloudwatch.EventRule(`${name}-sweep-schedule`, { scheduleExpression: SWEEP_SCHEDULE }, { parent: this });
    this.sweepPermission = new aws.lambda.Permission(
      `${name}-sweep-invoke`,
      { action: "lambda:InvokeFunction", function: this.sweeper.function.name, principal: "events.amazonaws.com", sourceArn: this.sweepRule.arn },
      { parent: this },
    );
    this.sweepTarget = new aws.cloudwatch.EventTarget(
      `${name}-sweep-target`,
      { rule: this.sweepRule.name, arn: this.sweeper.function.arn },
      { parent: this, dependsOn: [this.sweepPermission] },
    );
    this.registerOutputs({});
  }
}
