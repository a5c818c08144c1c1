import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SQSClient } from "@aws-sdk/client-sqs";
import { silentLogger } from "../handlers/log";
import { DEFAULTS } from "../handlers/settings";
import { startLocalStack } from "../local/stack";
import { CallCounter } from "./callCounter";

/**
 * The local stack as `npm start` runs it (in memory), in a process of its own so that the load
 * generator does not share its CPU, with every AWS SDK client it builds counted by middleware.
 * Talks to the benchmark over IPC: `reset`, `counts`, `stop`.
 */
async function main(): Promise<void> {
  const counter = new CallCounter();
  // The handlers' log records, as CloudWatch Logs would ingest them (one event per line): bytes
  // by event and route, so the cost model can price a job's records and a status read's apart.
  let logs: Record<string, { lines: number; bytes: number }> = {};
  const countLine = (line: string) => {
    const record = JSON.parse(line) as { event?: string; route?: string };
    const key = record.event === "api.request" ? `api.request:${record.route}` : String(record.event);
    const entry = (logs[key] ??= { lines: 0, bytes: 0 });
    entry.lines++;
    entry.bytes += Buffer.byteLength(line);
  };
  const stack = await startLocalStack(
    {
      port: 0,
      host: "127.0.0.1",
      dataDir: undefined,
      inMemory: true,
      dynamodbPort: 0,
      sqsPort: 0,
      sweepIntervalSeconds: DEFAULTS.sweepIntervalSeconds,
      concurrency: DEFAULTS.maxConcurrency,
      batchSize: DEFAULTS.batchSize,
      corsOrigins: [],
      help: false,
    },
    silentLogger,
    { clients: () => ({ dynamo: counter.attach(new DynamoDBClient({})), sqs: counter.attach(new SQSClient({})) }), logLine: countLine, quietHandlerLogs: true },
  );
  const { dynamoEndpoint, sqsEndpoint, tableName, queueUrl } = stack.emulators;
  process.send!({ type: "ready", apiUrl: stack.apiUrl, pageUrl: stack.pageUrl, emulators: { dynamoEndpoint, sqsEndpoint, tableName, queueUrl } });
  process.on("message", async (message: { type: string }) => {
    if (message.type === "reset") {
      counter.reset();
      logs = {};
      process.send!({ type: "reset" });
    } else if (message.type === "counts") {
      process.send!({ type: "counts", counts: counter.snapshot(), logs });
    } else if (message.type === "stop") {
      await stack.close();
      process.exit(0);
    }
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
