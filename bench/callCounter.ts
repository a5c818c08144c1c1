import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { SQSClient } from "@aws-sdk/client-sqs";

/**
 * Counts AWS calls by operation through each client's own middleware stack: one count per call
 * the code makes (the `initialize` step runs once per call, before the SDK's retries), so the
 * numbers are what production code asks of AWS.
 */
export class CallCounter {
  private counts = new Map<string, number>();

  /** Adds the counting middleware to `client` and returns it. */
  attach<T extends DynamoDBClient | SQSClient>(client: T): T {
    (client.middlewareStack as any).add(
      (next: any, context: { commandName?: string }) => async (args: unknown) => {
        const operation = (context.commandName ?? "Unknown").replace(/Command$/, "");
        this.counts.set(operation, (this.counts.get(operation) ?? 0) + 1);
        return next(args);
      },
      { step: "initialize", name: "cloudqueueCallCounter", priority: "high" },
    );
    return client;
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.counts].sort(([a], [b]) => a.localeCompare(b)));
  }

  reset(): void {
    this.counts = new Map();
  }
}
