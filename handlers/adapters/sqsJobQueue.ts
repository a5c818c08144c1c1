import { ChangeMessageVisibilityCommand, SendMessageBatchCommand, SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
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

/** SQS's most entries in one `SendMessageBatch`. */
export const MAX_BATCH_ENTRIES = 10;

/** One job of {@link JobQueue.enqueueBatch}: its id and its own delay (0–900). */
export interface BatchEnqueueEntry {
  jobId: string;
  delaySeconds: number;
}

/** An entry {@link JobQueue.enqueueBatch} could not send: `code` is SQS's (or the failed call's `QueueUnavailableError` operation). */
export interface BatchEnqueueFailure {
  jobId: string;
  code: string;
  message: string;
}

/** The port to the job queue. */
export interface JobQueue {
  /** Enqueues a job's id, visible after `delaySeconds` (0–900), tagged with the API request it comes from. */
  enqueue(jobId: string, delaySeconds?: number, requestId?: string): Promise<void>;
  /**
   * Enqueues several jobs, each with its own delay and the same attributes as {@link enqueue},
   * {@link MAX_BATCH_ENTRIES} to a call. Never throws for a failed send: the entries a call
   * refused (a partial failure) or that were in a call that failed are returned.
   */
  enqueueBatch(entries: readonly BatchEnqueueEntry[], requestId?: string): Promise<{ failed: BatchEnqueueFailure[] }>;
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

  async enqueueBatch(entries: readonly BatchEnqueueEntry[], requestId?: string): Promise<{ failed: BatchEnqueueFailure[] }> {
    const failed: BatchEnqueueFailure[] = [];
    const attributes = requestId ? { MessageAttributes: { [REQUEST_ID_ATTRIBUTE]: { DataType: "String", StringValue: requestId } } } : {};
    const chunks: (readonly BatchEnqueueEntry[])[] = [];
    for (let start = 0; start < entries.length; start += MAX_BATCH_ENTRIES) chunks.push(entries.slice(start, start + MAX_BATCH_ENTRIES));
    await Promise.all(
      chunks.map(async (chunk) => {
        try {
          const output = await this.client.send(
            new SendMessageBatchCommand({
              QueueUrl: this.settings.queueUrl,
              // Ids need only be unique within the call: the entry's place in it.
              Entries: chunk.map((entry, index) => ({ Id: `m${index}`, MessageBody: JSON.stringify({ jobId: entry.jobId } satisfies JobMessage), DelaySeconds: entry.delaySeconds, ...attributes })),
            }),
          );
          for (const refused of output.Failed ?? []) {
            const entry = chunk[Number(refused.Id?.slice(1))];
            if (entry) failed.push({ jobId: entry.jobId, code: refused.Code ?? "Unknown", message: refused.Message ?? "" });
          }
        } catch (error) {
          const unavailable = new QueueUnavailableError("SendMessageBatch", { cause: error });
          for (const entry of chunk) failed.push({ jobId: entry.jobId, code: "SendMessageBatch", message: unavailable.message });
        }
      }),
    );
    return { failed };
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
