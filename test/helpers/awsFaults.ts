import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { SQSClient } from "@aws-sdk/client-sqs";

/** How an injected fault behaves, as the SDK and the service would see it. */
export const FaultKind = {
  /** Throttled before reaching the service; the SDK retries it (inside its retry loop). */
  throttle: "throttle",
  /** The request reached the service and took effect, but the response was lost; the SDK retries it. */
  lostResponse: "lostResponse",
  /** Fails the whole call, after the SDK would have given up retrying. */
  exhausted: "exhausted",
  /** The request took effect, then the call failed for good (every retry's response lost). */
  landedThenFailed: "landedThenFailed",
} as const;
export type FaultKind = (typeof FaultKind)[keyof typeof FaultKind];

export interface FaultRule {
  /** Command names without `Command`, e.g. `UpdateItem`, `SendMessage`; all when absent. */
  operations?: string[];
  kind: FaultKind;
  /** Probability in [0, 1] per attempt (per call for `exhausted`). */
  rate: number;
  /** Only calls whose input this accepts (e.g. claims rather than commits). */
  when?: (input: any) => boolean;
}

/**
 * Injects faults into an AWS SDK client through its own middleware stack, so production code
 * runs unchanged: the faults meet the real retry strategy and the real error handling. Also
 * counts what really reached the service, by operation, and the terminal transitions DynamoDB
 * really applied, by job.
 */
export class AwsFaults {
  /** Faults injected, by `${operation}:${kind}`. */
  readonly injected = new Map<string, number>();
  /** Requests that reached the emulator, by operation. */
  readonly calls = new Map<string, number>();
  /** UpdateItems that took effect and left the job terminal, by job id. */
  readonly terminalWrites = new Map<string, number>();
  rules: FaultRule[] = [];

  constructor(private readonly random: () => number = Math.random) {}

  attach(client: DynamoDBClient | SQSClient): void {
    const stack = client.middlewareStack as any;
    // Outside the retry loop: a call that fails for good.
    stack.add(
      (next: any, context: any) => async (args: any) => {
        this.maybeFail(operation(context), args.input, [FaultKind.exhausted]);
        const result = await next(args);
        this.maybeFail(operation(context), args.input, [FaultKind.landedThenFailed]);
        return result;
      },
      { step: "initialize", name: "cloudqueueFaultsExhausted", priority: "high" },
    );
    // Inside the retry loop (deserialize runs per attempt), outside the deserializer: sees
    // each attempt, and the parsed output of those that reached the service.
    stack.add(
      (next: any, context: any) => async (args: any) => {
        const op = operation(context);
        this.maybeFail(op, args.input, [FaultKind.throttle]);
        const result = await next(args);
        this.count(this.calls, op);
        this.recordTerminal(op, args.input, result?.output);
        this.maybeFail(op, args.input, [FaultKind.lostResponse]);
        return result;
      },
      { step: "deserialize", name: "cloudqueueFaultsPerAttempt", priority: "high" },
    );
  }

  total(kind?: FaultKind): number {
    let sum = 0;
    for (const [key, count] of this.injected) if (!kind || key.endsWith(`:${kind}`)) sum += count;
    return sum;
  }

  private maybeFail(op: string, input: unknown, kinds: FaultKind[]): void {
    for (const rule of this.rules) {
      if (!kinds.includes(rule.kind)) continue;
      if (rule.operations && !rule.operations.includes(op)) continue;
      if (rule.when && !rule.when(input)) continue;
      if (this.random() >= rule.rate) continue;
      this.count(this.injected, `${op}:${rule.kind}`);
      throw faultError(rule.kind, op);
    }
  }

  private recordTerminal(op: string, input: any, output: any): void {
    if (op !== "UpdateItem") return;
    // Here the input is marshalled and the output, already unmarshalled by the document client.
    const status = text(output?.Attributes?.status);
    if (status !== "SUCCEEDED" && status !== "FAILED" && status !== "CANCELED") return;
    // Only writes whose condition required a non-terminal job are transitions into a terminal
    // state (commits, lease failures, cancels); sweep deferrals never touch status.
    const values = input?.ExpressionAttributeValues ?? {};
    if (text(values[":status"]) !== status && text(values[":canceled"]) !== status) return;
    this.count(this.terminalWrites, text(input.Key.jobId)!);
  }

  private count(map: Map<string, number>, key: string): void {
    map.set(key, (map.get(key) ?? 0) + 1);
  }
}

function operation(context: { commandName?: string }): string {
  return (context.commandName ?? "Unknown").replace(/Command$/, "");
}

function faultError(kind: FaultKind, op: string): Error {
  const error = new Error(`injected ${kind} fault on ${op}`) as Error & Record<string, unknown>;
  if (kind === FaultKind.lostResponse || kind === FaultKind.landedThenFailed) {
    error.name = "TimeoutError";
    error.$metadata = {};
  } else {
    error.name = op.startsWith("Send") || op.includes("Message") ? "ThrottlingException" : "ProvisionedThroughputExceededException";
    error.$fault = "client";
    error.$metadata = { httpStatusCode: 400 };
  }
  return error;
}

/** A string attribute, marshalled (`{S: "x"}`) or not. */
function text(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  const marshalled = (value as { S?: unknown } | undefined)?.S;
  return typeof marshalled === "string" ? marshalled : undefined;
}
