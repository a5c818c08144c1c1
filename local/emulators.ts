import type { Server } from "node:http";
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, UpdateTableCommand } from "@aws-sdk/client-dynamodb";
import { CreateQueueCommand, GetQueueAttributesCommand, SetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import dynalite from "dynalite";
import { createSqsServer } from "local-aws-sqs";
import { freePort } from "./ports";
import { deadLetterQueueAttributes, DEFAULT_QUEUE_PAIR, jobQueueAttributes, jobTableInput, type QueuePairSettings } from "./resources";

/** Region and credentials the emulators accept (they check neither). */
export const LOCAL_AWS = { region: "us-east-1", credentials: { accessKeyId: "local", secretAccessKey: "local" } } as const;

/**
 * The standard AWS variables that point an SDK client (or the AWS CLI) at the emulators: what a
 * deployed function's environment holds on AWS, here aimed at this machine.
 */
export function awsEnvironmentFor(endpoints: Pick<Emulators, "dynamoEndpoint" | "sqsEndpoint">): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamoEndpoint,
    AWS_ENDPOINT_URL_SQS: endpoints.sqsEndpoint,
    AWS_REGION: LOCAL_AWS.region,
    AWS_ACCESS_KEY_ID: LOCAL_AWS.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
  };
}

export interface EmulatorOptions extends Partial<QueuePairSettings> {
  /** LevelDB folder for DynamoDB's data; in memory when absent. */
  dataDir?: string;
  tableName?: string;
  host?: string;
  dynamoPort?: number;
  sqsPort?: number;
}

/** Running DynamoDB and SQS emulators with CloudQueue's table and queues created. */
export interface Emulators {
  dynamoEndpoint: string;
  sqsEndpoint: string;
  tableName: string;
  queueUrl: string;
  queueArn: string;
  dlqUrl: string;
  dlqArn: string;
  /** Clients for the emulators, for setup and inspection (handlers build their own). */
  dynamo: DynamoDBClient;
  sqs: SQSClient;
  close(): Promise<void>;
}

/**
 * Starts dynalite and local-aws-sqs on free (or given) ports and creates the jobs table with its
 * sweep index, the queue and its DLQ, from the same definitions the Pulumi program declares.
 * An existing table (a persisted data dir) is kept.
 */
export async function startEmulators(options: EmulatorOptions = {}): Promise<Emulators> {
  const host = options.host ?? "127.0.0.1";
  const queues = { ...DEFAULT_QUEUE_PAIR, ...definedOnly(options) };
  const tableName = options.tableName ?? "cloudqueue-jobs";

  const dynamoServer = dynalite({ path: options.dataDir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const dynamoPort = options.dynamoPort ?? (await freePort(host));
  await listen(dynamoServer, dynamoPort, host);
  const sqsPort = options.sqsPort ?? (await freePort(host));
  const sqsServer = await createSqsServer({ port: sqsPort, hostname: host, region: LOCAL_AWS.region });

  const dynamoEndpoint = `http://${host}:${dynamoPort}`;
  const sqsEndpoint = `http://${host}:${sqsPort}`;
  const dynamo = new DynamoDBClient({ ...LOCAL_AWS, endpoint: dynamoEndpoint });
  const sqs = new SQSClient({ ...LOCAL_AWS, endpoint: sqsEndpoint });

  const close = async () => {
    dynamo.destroy();
    sqs.destroy();
    await Promise.all([closeServer(sqsServer), closeServer(dynamoServer)]);
  };
  try {
    await ensureTable(dynamo, tableName);
    const dlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: queues.dlqName }))).QueueUrl!;
    const dlqArn = await queueArn(sqs, dlqUrl);
    const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: queues.queueName, Attributes: jobQueueAttributes(queues, dlqArn) }))).QueueUrl!;
    const arn = await queueArn(sqs, queueUrl);
    
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl: dlqUrl, Attributes: deadLetterQueueAttributes(arn) }));
    return { dynamoEndpoint, sqsEndpoint, tableName, queueUrl, queueArn: arn, dlqUrl, dlqArn, dynamo, sqs, close };
  } catch (error) {
    await close();
    throw error;
  }
}

async function ensureTable(dynamo: DynamoDBClient, tableName: string): Promise<void> {
  try {
    const { Table } = await dynamo.send(new DescribeTableCommand({ TableName: tableName }));
    // A data folder of an earlier version: add the indexes it lacks (its jobs stay unlisted).
    const present = new Set((Table?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName));
    const input = jobTableInput(tableName);
    for (const index of input.GlobalSecondaryIndexes!.filter((candidate) => !present.has(candidate.IndexName))) {
      await dynamo.send(new UpdateTableCommand({ TableName: tableName, AttributeDefinitions: input.AttributeDefinitions, GlobalSecondaryIndexUpdates: [{ Create: index }] }));
      await waitActive(dynamo, tableName);
    }
  } catch (error) {
    if ((error as Error).name !== "ResourceNotFoundException") throw error;
    await dynamo.send(new CreateTableCommand(jobTableInput(tableName)));
  }
  await waitActive(dynamo, tableName);
}

async function waitActive(dynamo: DynamoDBClient, tableName: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const { Table } = await dynamo.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === "ACTIVE" && (Table.GlobalSecondaryIndexes ?? []).every((index) => index.IndexStatus === "ACTIVE")) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`table ${tableName} did not become ACTIVE`);
}

async function queueArn(sqs: SQSClient, queueUrl: string): Promise<string> {
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }));
  return Attributes!.QueueArn!;
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections?.();
    server.close(() => resolve());
  });
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as Partial<T>;
}
