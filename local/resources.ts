import type { CreateTableCommandInput } from "@aws-sdk/client-dynamodb";
import type { GlobalSecondaryIndex } from "@aws-sdk/client-dynamodb";
import { DEFAULTS, JOB_TABLE, jobTableIndexes, jobTableKeyAttributes, visibilityTimeoutSeconds, type JobTableIndex } from "../handlers/settings";

/**
 * The jobs table and the queues as the Pulumi program declares them, in the shape the AWS APIs
 * take: the local stack and the tests create exactly these.
 */
export function jobTableInput(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: "PAY_PER_REQUEST",
    AttributeDefinitions: jobTableKeyAttributes().map(({ name, type }) => ({ AttributeName: name, AttributeType: type })),
    KeySchema: [{ AttributeName: JOB_TABLE.hashKey, KeyType: "HASH" }],
    GlobalSecondaryIndexes: jobTableIndexes().map(indexInput),
  };
}

/** One index of the jobs table as CreateTable and UpdateTable take it. */
export function indexInput(index: JobTableIndex): GlobalSecondaryIndex {
  return {
    IndexName: index.name,
    KeySchema: [
      { AttributeName: index.hashKey, KeyType: "HASH" },
      { AttributeName: index.rangeKey, KeyType: "RANGE" },
    ],
    Projection: { ProjectionType: index.projection, ...("nonKeyAttributes" in index && { NonKeyAttributes: [...index.nonKeyAttributes] }) },
  };
}

/** Settings of the queue pair that the local stack and the tests need. */
export interface QueuePairSettings {
  queueName: string;
  dlqName: string;
  workerTimeoutSeconds: number;
  maxReceiveCount: number;
}

export const DEFAULT_QUEUE_PAIR: QueuePairSettings = {
  queueName: "cloudqueue-jobs",
  dlqName: "cloudqueue-jobs-dlq",
  workerTimeoutSeconds: DEFAULTS.workerTimeoutSeconds,
  maxReceiveCount: DEFAULTS.maxReceiveCount,
};

/** The queue's attributes given the DLQ's ARN, as `CreateQueue` takes them. */
export function jobQueueAttributes(settings: QueuePairSettings, dlqArn: string): Record<string, string> {
  return {
    VisibilityTimeout: String(visibilityTimeoutSeconds(settings.workerTimeoutSeconds)),
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: settings.maxReceiveCount }),
  };
}

/** The DLQ's attributes given the queue's ARN. */
export function deadLetterQueueAttributes(sourceQueueArn: string): Record<string, string> {
  return {
    MessageRetentionPeriod: String(DEFAULTS.dlqRetentionSeconds),
    RedriveAllowPolicy: JSON.stringify({ redrivePermission: "byQueue", sourceQueueArns: [sourceQueueArn] }),
  };
}
