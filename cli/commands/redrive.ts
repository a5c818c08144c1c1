import { InvalidArgumentError, Option, type Command } from "commander";
import { integerIn } from "../args";
import type { CliDeps, GlobalOptions, RunState } from "../context";
import { CliError } from "../errors";
import { EXIT } from "../exitCodes";
import { json } from "../output";
import { progressOn } from "../progress";
import type { RedriveResult } from "../redrive";
import { stackOutput } from "../target";

const arn = (text: string) => {
  if (!text.startsWith("arn:")) throw new InvalidArgumentError("expected an ARN (arn:aws:sqs:…).");
  return text;
};

/**
 * An AWS SDK failure as the CLI's: no credentials is no target; SQS refusing (a 4xx: access
 * denied, no such queue) is a refusal; no answer or a 5xx is unavailable.
 */
export function sqsFailure(error: unknown): CliError {
  const name = error instanceof Error ? error.name : "Error";
  const message = error instanceof Error ? (error.message.split("\n")[0] ?? "") : String(error);
  if (name === "CredentialsProviderError" || /region is missing/i.test(message)) return new CliError(`no AWS credentials or region for SQS: ${message} (set AWS_PROFILE, or AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_REGION)`, EXIT.noTarget, { cause: error });
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  const code = status !== undefined && status >= 400 && status < 500 ? EXIT.refused : EXIT.unavailable;
  return new CliError(`SQS: ${name}: ${message}`, code, { cause: error });
}

/** What a person reads at the end: `COMPLETED: 3 moved of 3`. */
export function redriveText(result: RedriveResult): string {
  return `${result.status}: ${result.moved} moved${result.toMove !== undefined ? ` of ${result.toMove}` : ""}${result.failureReason ? ` (${result.failureReason})` : ""}\n`;
}

/**
 * `redrive`: the dead-letter queue's messages back to the job queue. The one command that talks
 * to AWS rather than to the API: SQS's StartMessageMoveTask, with the usual AWS credentials and
 * region (AWS_PROFILE, AWS_REGION, …; AWS_ENDPOINT_URL_SQS for an emulator).
 */
export function addRedriveCommand(program: Command, deps: CliDeps, state: RunState): void {
  const { io } = deps;
  program
    .command("redrive")
    .description("Move every message of the dead-letter queue back to the job queue (SQS StartMessageMoveTask)")
    .addOption(new Option("--dlq-arn <arn>", "the dead-letter queue's ARN (default: the stack's dlqUrl output, from --stack or the selected Pulumi stack)").argParser(arn).conflicts("dlqUrl"))
    .option("--dlq-url <url>", "the dead-letter queue's URL, instead of its ARN")
    .option("--destination-arn <arn>", "where to move them (default: each message's source queue)", arn)
    .option("--max-per-second <n>", "messages moved per second at most (default: SQS's maximum)", integerIn(1, 500))
    .option("--no-wait", "start the move and return, without following it to its end")
    .action(async (options: { dlqArn?: string; dlqUrl?: string; destinationArn?: string; maxPerSecond?: number; wait: boolean }, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      const dlqUrl = options.dlqArn === undefined ? (options.dlqUrl ?? (await stackOutput(deps.target, globals.stack, "dlqUrl"))) : undefined;
      // Loaded only now: every other command answers without loading the AWS SDK.
      const [{ SQSClient }, { queueArnOf, redrive }] = await Promise.all([import("@aws-sdk/client-sqs"), import("../redrive")]);
      const sqs = new SQSClient({});
      try {
        const dlqArn = options.dlqArn ?? (await queueArnOf(sqs, dlqUrl!));
        if (!globals.json) io.stdout.write(`Moving the messages of ${dlqArn} back…\n`);
        const progress = progressOn(io.stderr, { now: io.now });
        let result: RedriveResult;
        try {
          result = await redrive(sqs, {
            dlqArn,
            destinationArn: options.destinationArn,
            maxPerSecond: options.maxPerSecond,
            wait: options.wait,
            onProgress: (sofar) => progress.update(`redriving: ${sofar.moved}${sofar.toMove !== undefined ? ` of ${sofar.toMove}` : ""} moved`),
          });
        } finally {
          progress.stop();
        }
        io.stdout.write(globals.json ? json(result) : redriveText(result));
        if (result.status === "FAILED" || result.status === "CANCELLED") state.exitCode = EXIT.failed;
      } catch (error) {
        throw error instanceof CliError ? error : sqsFailure(error);
      } finally {
        sqs.destroy();
      }
    });
}
