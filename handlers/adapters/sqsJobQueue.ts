import { ChangeMessageVisibilityCommand, SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import * as v from "valibot";
import { QueueUnavailableError } from "../errors";
import type { QueueSettings } from "../settings";

/** The body of every message: the job id only; DynamoDB is the one source of truth. */
export const JobMessageSchema = v.strictObject({ jobId: v.pipe(v.string(), v.uuid()) });
export type JobMessage = v.InferOutput<typeof JobMessageSchema>;

/**
 * The message attribute that carries the id of the API request that submitted (or retried) the
 * job, so that the worker's records of the job name the request its story began with.
 */
export const REQUEST_ID_ATTRIBUTE = "cloudqueue-request-id";

/** The port to the job queue. */
export interface JobQueue {
  /** Enqueues a job's id, visible after `delaySeconds` (0–900), tagged with the API request it comes from. */
  enqueue(jobId: string, delaySeconds?: number, requestId?: string): Promise<void>;
  /** Makes a received message visible again after `seconds` (the retry backoff). */
  delayRedelivery(receiptHandle: string, seconds: number): Promise<void>;
}

/** The job queue over SQS; SDK errors become `QueueUnavailableError` here. */
export class SqsJobQueue implements JobQueue {
  constructor(private readonly client: SQSClient, private readonly settings: QueueSettings) {}

  async enqueue(jobId: string, delaySeconds = 0, requestId?: string): Promise<void> {
    const body: JobMessage = { jobId };
    try {
      await this.client.send(
        new SendMessageCommand({
          QueueUrl: this.settings.queueUrl,
          MessageBody: JSON.stringify(body),
          DelaySeconds: delaySeconds,
          ...(requestId && { MessageAttributes: { [REQUEST_ID_ATTRIBUTE]: { DataType: "String", StringValue: requestId } } }),
        }),
      );
    } catch (error) {
      throw new QueueUnavailableError("SendMessage", { cause: error });
    }
  }

  async delayRedelivery(receiptHandle: string, seconds: number): Promise<void> {
    try {
      await this.client.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: this.settings.queueUrl,
          ReceiptHandle: receiptHandle,
          VisibilityTimeout: Math.min(43_200, Math.max(0, Math.round(seconds))),
        }),
      );
    } catch (error) {
      throw new QueueUnavailableError("ChangeMessageVisibility", { cause: error });
    }
  }
}
