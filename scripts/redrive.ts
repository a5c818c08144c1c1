import { execFileSync } from "node:child_process";
import { parseArgs } from "node:util";
import { GetQueueAttributesCommand, ListMessageMoveTasksCommand, SQSClient, StartMessageMoveTaskCommand } from "@aws-sdk/client-sqs";
import * as v from "valibot";

/** What to move: from a dead-letter queue back to where its messages came from (or elsewhere). */
export interface RedriveRequest {
  dlqArn: string;
  /** Defaults to each message's original source queue (SQS's own redrive). */
  destinationArn?: string;
  /** Throttle, messages per second; SQS's maximum when absent. */
  maxPerSecond?: number;
  /** Wait until the move task ends, polling every `pollMs`. @default true */
  wait?: boolean;
  pollMs?: number;
}

/** How a move task ended (or stood, when not waited for). */
export interface RedriveResult {
  taskHandle: string;
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

const ArgsSchema = v.object({
  stack: v.optional(v.pipe(v.string(), v.minLength(1))),
  "dlq-arn": v.optional(v.pipe(v.string(), v.startsWith("arn:", "--dlq-arn must be an ARN"))),
  "destination-arn": v.optional(v.pipe(v.string(), v.startsWith("arn:", "--destination-arn must be an ARN"))),
  "max-per-second": v.optional(v.pipe(v.string(), v.regex(/^\d+$/), v.transform(Number), v.minValue(1), v.maxValue(500))),
  "no-wait": v.optional(v.boolean()),
});

const USAGE = `usage: npm run redrive -- [--stack NAME | --dlq-arn ARN] [--destination-arn ARN] [--max-per-second N] [--no-wait]
  Moves every message of CloudQueue's dead-letter queue back to the job queue (SQS StartMessageMoveTask).
  --stack NAME   read the stack's dlqUrl with \`pulumi stack output\` (default: the selected stack)
  --dlq-arn ARN  the dead-letter queue's ARN, instead of asking Pulumi
  Credentials and region come from the usual AWS environment (AWS_PROFILE, AWS_REGION, ...).`;

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      stack: { type: "string" },
      "dlq-arn": { type: "string" },
      "destination-arn": { type: "string" },
      "max-per-second": { type: "string" },
      "no-wait": { type: "boolean" },
      help: { type: "boolean" },
    },
  });
  if (values.help) return console.log(USAGE);
  const parsed = v.safeParse(ArgsSchema, values);
  if (!parsed.success) throw new Error(`${parsed.issues.map((issue) => issue.message).join("; ")}\n${USAGE}`);
  const args = parsed.output;
  const sqs = new SQSClient({});
  let dlqArn = args["dlq-arn"];
  if (!dlqArn) {
    const stackArgs = args.stack ? ["--stack", args.stack] : [];
    const dlqUrl = execFileSync("pulumi", ["stack", "output", "dlqUrl", ...stackArgs], { encoding: "utf8" }).trim();
    dlqArn = await queueArnOf(sqs, dlqUrl);
  }
  console.log(`moving messages out of ${dlqArn}…`);
  const result = await redrive(sqs, { dlqArn, destinationArn: args["destination-arn"], maxPerSecond: args["max-per-second"], wait: !args["no-wait"] });
  console.log(`${result.status}: ${result.moved} moved${result.toMove !== undefined ? ` of ${result.toMove}` : ""}${result.failureReason ? ` (${result.failureReason})` : ""}`);
  sqs.destroy();
  if (result.status === "FAILED") process.exitCode = 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
