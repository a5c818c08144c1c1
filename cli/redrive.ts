import { GetQueueAttributesCommand, ListMessageMoveTasksCommand, StartMessageMoveTaskCommand, type SQSClient } from "@aws-sdk/client-sqs";

/** What to move: from a dead-letter queue back to where its messages came from (or elsewhere). */
export interface RedriveRequest {
  dlqArn: string;
  /** Defaults to each message's original source queue (SQS's own redrive). */
  destinationArn?: string;
  /** Throttle, messages per second; SQS's maximum when absent. */
  maxPerSecond?: number;
  /** Wait until the move task ends, polling every `pollMs`. @default true */
  wait?: boolean;
  /** @default 2000 */
  pollMs?: number;
  /** Called with every reading of the task while it runs. */
  onProgress?(result: RedriveResult): void;
}

/** How a move task ended (or stood, when not waited for). */
export interface RedriveResult {
  taskHandle: string;
  /** SQS's: `RUNNING`, `COMPLETED`, `CANCELLING`, `CANCELLED`, `FAILED`. */
  status: string;
  moved: number;
  toMove?: number;
  failureReason?: string;
}

/**
 * Moves the DLQ's messages back with SQS `StartMessageMoveTask` (the DLQ's redrive-allow policy
 * names the job queue, so SQS knows the way back), then follows the task to its end.
 */
export async function redrive(sqs: SQSClient, request: RedriveRequest): Promise<RedriveResult> {
  const started = await sqs.send(
    new StartMessageMoveTaskCommand({ SourceArn: request.dlqArn, DestinationArn: request.destinationArn, MaxNumberOfMessagesPerSecond: request.maxPerSecond }),
  );
  const taskHandle = started.TaskHandle ?? "";
  for (;;) {
    const { Results } = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: request.dlqArn, MaxResults: 10 }));
    const task = (Results ?? []).find((candidate) => candidate.TaskHandle === taskHandle) ?? Results?.[0];
    const result: RedriveResult = {
      taskHandle,
      status: task?.Status ?? "UNKNOWN",
      moved: task?.ApproximateNumberOfMessagesMoved ?? 0,
      toMove: task?.ApproximateNumberOfMessagesToMove,
      failureReason: task?.FailureReason,
    };
    if (request.wait === false || result.status !== "RUNNING") return result;
    request.onProgress?.(result);
    await new Promise((resolve) => setTimeout(resolve, request.pollMs ?? 2_000));
  }
}

/** The DLQ's ARN from its URL. */
export async function queueArnOf(sqs: SQSClient, queueUrl: string): Promise<string> {
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }));
  const arn = Attributes?.QueueArn;
  if (!arn) throw new Error(`no QueueArn for ${queueUrl}`);
  return arn;
}
