import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { DEFAULTS } from "../handlers/settings";

export interface JobQueuesArgs {
  /** Seconds a received message stays invisible; at least 6 × the worker timeout (checked in config). */
  visibilityTimeoutSeconds: number;
  /** Receives before a message moves to the DLQ. @default 5 */
  maxReceiveCount: number;
}

/**
 * The job queue and its dead-letter queue (SPEC §5, §7): both encrypted with SQS-managed keys;
 * the DLQ keeps messages 14 days and accepts them only from this queue (redrive-allow policy),
 * which also makes it a valid source for `StartMessageMoveTask` back to the queue.
 */
export class JobQueues extends pulumi.ComponentResource {
  public readonly queue: aws.sqs.Queue;
  public readonly deadLetterQueue: aws.sqs.Queue;
  public readonly redriveAllowPolicy: aws.sqs.RedriveAllowPolicy;

  constructor(name: string, args: JobQueuesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cloudqueue:infra:JobQueues", name, {}, opts);
    this.deadLetterQueue = new aws.sqs.Queue(
      `${name}-dlq`,
      { messageRetentionSeconds: DEFAULTS.dlqRetentionSeconds, sqsManagedSseEnabled: true },
      { parent: this },
    );
    this.queue = new aws.sqs.Queue(
      `${name}-queue`,
      {
        visibilityTimeoutSeconds: args.visibilityTimeoutSeconds,
        sqsManagedSseEnabled: true,
        redrivePolicy: pulumi.jsonStringify({ deadLetterTargetArn: this.deadLetterQueue.arn, maxReceiveCount: args.maxReceiveCount }),
      },
      { parent: this },
    );
    // A separate resource: the DLQ cannot name the queue at creation (the queue names the DLQ).
    this.redriveAllowPolicy = new aws.sqs.RedriveAllowPolicy(
      `${name}-dlq-allow`,
      {
        queueUrl: this.deadLetterQueue.url,
        redriveAllowPolicy: pulumi.jsonStringify({ redrivePermission: "byQueue", sourceQueueArns: [this.queue.arn] }),
      },
      { parent: this },
    );
    this.registerOutputs({ queueUrl: this.queue.url, dlqUrl: this.deadLetterQueue.url });
  }
}
