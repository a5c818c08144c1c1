import { DeleteMessageBatchCommand, ReceiveMessageCommand, type Message, type SQSClient } from "@aws-sdk/client-sqs";
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { LOCAL_AWS } from "./emulators";

/**
 * What Lambda's SQS event source mapping does around one invocation, for the local stack and the
 * tests: receive a batch, build the event Lambda would build, and after the handler returns,
 * delete every message it did not report as failed (`ReportBatchItemFailures`).
 */
export class SqsEventSource {
  constructor(private readonly sqs: SQSClient, private readonly queueUrl: string, private readonly queueArn: string) {}

  /** Receives up to `batchSize` messages, long-polling up to `waitSeconds`. */
  async receive(batchSize: number, waitSeconds: number, abortSignal?: AbortSignal): Promise<Message[]> {
    const { Messages } = await this.sqs.send(
      // "All" rather than MessageSystemAttributeNames: local-aws-sqs only returns
      // ApproximateReceiveCount for it (AWS accepts both).
      new ReceiveMessageCommand({
        QueueUrl: this.queueUrl,
        MaxNumberOfMessages: batchSize,
        WaitTimeSeconds: waitSeconds,
        AttributeNames: ["All"],
        // Lambda's event source mapping passes every message attribute on in the event.
        MessageAttributeNames: ["All"],
      }),
      { abortSignal },
    );
    return Messages ?? [];
  }

  /** The event Lambda would pass for these messages. */
  toEvent(messages: Message[]): SQSEvent {
    return { Records: messages.map((message) => this.toRecord(message)) };
  }

  /**
   * Deletes what the invocation finished with: all of the batch but its reported failures, or
   * nothing when the invocation failed as a whole (`response` undefined) or reported an id that
   * is not in the batch, as Lambda does.
   */
  async settle(messages: Message[], response: SQSBatchResponse | void | undefined): Promise<{ deleted: number; kept: number }> {
    if (!response) return { deleted: 0, kept: messages.length };
    const failed = new Set((response.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
    if ([...failed].some((id) => !messages.some((message) => message.MessageId === id))) return { deleted: 0, kept: messages.length };
    const done = messages.filter((message) => !failed.has(message.MessageId!));
    for (let start = 0; start < done.length; start += 10) {
      const chunk = done.slice(start, start + 10);
      await this.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: chunk.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle! })),
        }),
      );
    }
    return { deleted: done.length, kept: messages.length - done.length };
  }

  private toRecord(message: Message): SQSRecord {
    const attributes = message.Attributes ?? {};
    return {
      messageId: message.MessageId!,
      receiptHandle: message.ReceiptHandle!,
      body: message.Body ?? "",
      attributes: {
        ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? "1",
        SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
        SenderId: attributes.SenderId ?? "local",
        ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      },
      messageAttributes: Object.fromEntries(
        Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
          name,
          // The event's shape for a message attribute (camel-cased, as Lambda writes it).
          { dataType: value.DataType ?? "String", ...(value.StringValue !== undefined && { stringValue: value.StringValue }), stringListValues: [], binaryListValues: [] },
        ]),
      ),
      md5OfBody: message.MD5OfBody ?? "",
      eventSource: "aws:sqs",
      eventSourceARN: this.queueArn,
      awsRegion: LOCAL_AWS.region,
    };
  }
}
