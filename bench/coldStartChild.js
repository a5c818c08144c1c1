// A fresh Node.js process, as a Lambda cold start: load the code and serve one event (or, in
// "sdk" mode, only load and build the AWS SDK clients). Prints the milliseconds since the process
// started (performance.now()), Node's own boot included in both modes. Plain JavaScript, so that
// nothing but the code under measurement is loaded.
"use strict";
const path = require("node:path");
const { createRequire } = require("node:module");
const [mode, taskDir, eventFile] = process.argv.slice(2);

let loadedMs;

async function main() {
  if (mode === "sdk" || mode === "sdk-call") {
    const load = createRequire(path.join(taskDir, "__index.js"));
    const { DynamoDBClient } = load("@aws-sdk/client-dynamodb");
    const { DynamoDBDocumentClient, GetCommand } = load("@aws-sdk/lib-dynamodb");
    const { SQSClient } = load("@aws-sdk/client-sqs");
    const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));
    new SQSClient({});
    loadedMs = performance.now();
    // The SDK's own first request: what any function pays on its first event, whatever its code.
    if (mode === "sdk-call") await documents.send(new GetCommand({ TableName: process.env.CLOUDQUEUE_TABLE_NAME, Key: { jobId: "cold-start" } }));
  } else if (mode === "kms-load") {
    // What the id secret's first derivation loads: the KMS client package, after the clients
    // every api container already has (module loading warm, as in the api archive).
    const load = createRequire(path.join(taskDir, "__index.js"));
    new (load("@aws-sdk/client-dynamodb").DynamoDBClient)({});
    new (load("@aws-sdk/client-sqs").SQSClient)({});
    const started = performance.now();
    new (load("@aws-sdk/client-kms").KMSClient)({});
    loadedMs = performance.now();
    process.stdout.write(JSON.stringify({ ms: loadedMs - started, loadedMs }));
    return;
  } else if (mode.startsWith("powertools-")) {
    // What the field's library would add to a cold start: loaded after the SDK clients (module
    // loading already warm, as in a real archive), from the repository's own node_modules.
    const load = createRequire(path.join(taskDir, "__index.js"));
    const { DynamoDBClient } = load("@aws-sdk/client-dynamodb");
    new DynamoDBClient({});
    const repository = createRequire(path.join(__dirname, "..", "package.json"));
    const started = performance.now();
    if (mode === "powertools-logger" || mode === "powertools-both") new (repository("@aws-lambda-powertools/logger").Logger)({ serviceName: "cloudqueue" });
    if (mode === "powertools-metrics" || mode === "powertools-both") new (repository("@aws-lambda-powertools/metrics").Metrics)({ namespace: "CloudQueue", serviceName: "cloudqueue" });
    loadedMs = performance.now();
    process.stdout.write(JSON.stringify({ ms: loadedMs - started, loadedMs }));
    return;
  } else {
    const event = JSON.parse(require("node:fs").readFileSync(eventFile, "utf8"));
    const { handler } = require(path.join(taskDir, "__index.js"));
    loadedMs = performance.now();
    await handler(event, { getRemainingTimeInMillis: () => 60_000, functionName: "bench", awsRequestId: "bench" });
  }
  process.stdout.write(JSON.stringify({ ms: performance.now(), loadedMs: loadedMs ?? performance.now() }));
}

console.info = console.warn = console.error = () => {};
main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(String(error && error.stack));
    process.exit(1);
  },
);
