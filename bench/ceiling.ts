import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import { randomUUID } from "node:crypto";
import { DynamoJobStore } from "../handlers/adapters/dynamoJobStore";
import { DEFAULTS } from "../handlers/settings";
import { awsEnvironmentFor, startEmulators } from "../local/emulators";

/**
 * The emulators' own ceiling, in a fresh process as the local stack runs them (same process as
 * the SDK clients, same client setup: default clients configured by the standard environment
 * variables): DynamoDB PutItem/s, SQS SendMessage/s, and a job's own DynamoDB writes (put, claim,
 * commit) per second, with `CONCURRENCY` calls in flight.
 * Prints one JSON line.
 */
const CONCURRENCY = Number(process.env.CEILING_CONCURRENCY ?? 32);
const SECONDS = Number(process.env.CEILING_SECONDS ?? 3);

/** The best of three runs of {@link measure}: a ceiling is what the emulators can do, noise aside. */
async function rate(call: () => Promise<unknown>): Promise<number> {
  // Warm up: connections, code paths.
  for (let index = 0; index < 50; index++) await call();
  const runs = [await measure(call), await measure(call), await measure(call)];
  return Math.max(...runs);
}

async function measure(call: () => Promise<unknown>): Promise<number> {
  let done = 0;
  const deadline = Date.now() + SECONDS * 1000;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < deadline) {
        await call();
        done++;
      }
    }),
  );
  return done / ((Date.now() - started) / 1000);
}

async function main(): Promise<void> {
  const emulators = await startEmulators({ tableName: "ceiling" });
  Object.assign(process.env, {
    ...awsEnvironmentFor(emulators),
  });
  const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });
  const sqs = new SQSClient({});
  const now = new Date().toISOString();
  // An item shaped like a job, with the sweep index's keys, so the index is written too.
  const putItemsPerSecond = await rate(() =>
    documents.send(
      new PutCommand({
        TableName: emulators.tableName,
        Item: { jobId: randomUUID(), type: "text.transform", status: "QUEUED", payload: { text: "hello cloudqueue" }, attempts: 0, maxAttempts: 3, delaySeconds: 0, createdAt: now, updatedAt: now, sweepShard: 1, sweepAt: Date.now() },
        ConditionExpression: "attribute_not_exists(jobId)",
      }),
    ),
  );
  const sendMessagesPerSecond = await rate(() => sqs.send(new SendMessageCommand({ QueueUrl: emulators.queueUrl, MessageBody: JSON.stringify({ jobId: randomUUID() }) })));
  // The writes one job makes, through the job store itself (same expressions, same client):
  // the put, the claim and the commit. dynalite parses every expression anew, so these cost more
  // than a bare PutItem.
  const store = new DynamoJobStore(new DynamoDBClient({}), { tableName: emulators.tableName, sweepShards: DEFAULTS.sweepShards, sweepGraceSeconds: DEFAULTS.sweepGraceSeconds, retentionDays: DEFAULTS.retentionDays });
  const jobWritesPerSecond = await rate(async () => {
    const jobId = randomUUID();
    const createdAt = new Date().toISOString();
    await store.create({ jobId, type: "text.transform", status: "QUEUED", payload: { text: "hello cloudqueue" }, attempts: 0, maxAttempts: 3, delaySeconds: 0, createdAt, updatedAt: createdAt });
    const claimToken = randomUUID();
    await store.claim(jobId, { claimToken, nowMs: Date.now(), leaseExpiresAtMs: Date.now() + 60_000 });
    await store.commit(jobId, claimToken, { status: "SUCCEEDED", result: { originalLength: 16, uppercase: "HELLO CLOUDQUEUE", wordCount: 2 } }, Date.now());
  });
  console.log(JSON.stringify({ concurrency: CONCURRENCY, putItemsPerSecond, sendMessagesPerSecond, jobWritesPerSecond }));
  documents.destroy();
  sqs.destroy();
  await emulators.close();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
