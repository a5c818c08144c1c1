import { resolve } from "node:path";
import { helpText, OptionsError, parseOptions } from "./options";
import type { LocalStack } from "./stack";

/**
 * `npm start`: runs the local stack until Ctrl-C. Problems the user can fix are one line on
 * stderr and a non-zero exit (2 for a bad option, 1 for the rest).
 */
async function main(): Promise<void> {
  let options;
  try {
    options = parseOptions(process.argv.slice(2), process.env);
  } catch (error) {
    if (error instanceof OptionsError) return exit(2, `cloudqueue: ${error.message}`);
    throw error;
  }
  if (options.help) {
    console.log(helpText());
    return;
  }

  // Loaded only now: a bad option or --help answers without loading the AWS SDK.
  const { LocalStackError, startLocalStack } = await import("./stack");
  let stack: LocalStack;
  try {
    stack = await startLocalStack(options);
  } catch (error) {
    if (error instanceof LocalStackError) return exit(1, `cloudqueue: ${error.message}`);
    const message = error instanceof Error ? error.message : String(error);
    return exit(1, `cloudqueue: could not start: ${message.split("\n")[0]}`);
  }
  // Since the process started: what a person waits for, ts-node's compile included.
  console.log(banner(stack, process.uptime() * 1000));

  let stoppingSinceMs: number | undefined;
  const stop = (signal: NodeJS.Signals) => {
    if (stoppingSinceMs !== undefined) {
      // One Ctrl-C can arrive twice: the terminal signals the whole foreground group, and
      // `npm start` forwards the signal it got to this process too (@npmcli/run-script), a few
      // ms apart. Only a second press, later than that, quits without draining.
      if (Date.now() - stoppingSinceMs < DUPLICATE_SIGNAL_WINDOW_MS) return;
      console.error(`cloudqueue: ${signal} again, exiting without draining`);
      process.exit(130);
    }
    stoppingSinceMs = Date.now();
    console.log(`\nStopping: finishing ${stack.inFlight()} in-flight batch(es); press Ctrl-C again to quit at once.`);
    stack.close().then(
      () => {
        console.log("CloudQueue stopped.");
        process.exit(0);
      },
      (error: unknown) => exit(1, `cloudqueue: stopped with an error: ${error instanceof Error ? error.message : String(error)}`),
    );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

/** Signals closer together than this are one Ctrl-C (see `stop`). */
const DUPLICATE_SIGNAL_WINDOW_MS = 500;

function banner(stack: LocalStack, readyMs: number): string {
  const { dynamoEndpoint, sqsEndpoint, tableName, queueUrl, dlqUrl } = stack.emulators;
  // AWS_DEFAULT_REGION: AWS CLI v1 reads only that one; v2 reads it too.
  const cli = "AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_DEFAULT_REGION=us-east-1 aws";
  const { recovery } = stack;
  const repairs = recovery.indexRestored + recovery.indexRemoved;
  const repaired = repairs > 0 ? `, repaired ${repairs} sweep index entr${repairs === 1 ? "y" : "ies"}` : "";
  const data = stack.dataDir
    ? `${stack.dataDir} (${recovery.scanned} job(s) read in ${recovery.scanMs} ms; resumed ${recovery.active} active${repaired})`
    : "in memory (nothing is kept after exit)";
  return [
    `CloudQueue is running (ready in ${(readyMs / 1000).toFixed(1)} s)`,
    `  Page      ${stack.pageUrl}`,
    `  API       ${stack.apiUrl}   (try: curl ${stack.apiUrl}/job-types)`,
    `  Metrics   ${stack.metricsUrl}   (Prometheus text format; the page's panel reads it too)`,
    `  Data      ${data}`,
    ...authLines(stack),
    ...scheduleLines(stack),
    `  DynamoDB  ${dynamoEndpoint}   table ${tableName}`,
    `  SQS       ${sqsEndpoint}   queue ${queueUrl}`,
    `            DLQ ${dlqUrl}`,
    "  AWS CLI against the emulators (any credentials work):",
    `    ${cli} --endpoint-url ${dynamoEndpoint} dynamodb scan --table-name ${tableName}`,
    `    ${cli} --endpoint-url ${sqsEndpoint} sqs get-queue-attributes --queue-url ${queueUrl} --attribute-names All`,
    "The handlers' records (job transitions, API requests) are logged below as JSON lines, as Lambda writes them. Press Ctrl-C to stop (in-flight jobs finish first).",
  ].join("\n");
}

/** What the banner says of who may call the API, and how to get in when it is closed. */
function authLines(stack: LocalStack): string[] {
  const { auth } = stack;
  if (auth.mode === "none") return ["  Auth      none: public demo: anyone who can reach this port can submit and read jobs"];
  // The default data folder needs no flag; any other (an in-memory stack's temporary one too) does.
  const dataDirFlag = auth.keyDir === undefined || auth.keyDir === resolve(".cloudqueue") ? "" : ` --data-dir ${shellQuote(auth.keyDir)}`;
  if (auth.mode === "jwt") {
    const token = `npm run -s token -- --sub alice${dataDirFlag}`;
    return [
      "  Auth      jwt: the API is closed; job routes need a token of the local issuer (GET /job-types stays public)",
      `            issuer ${auth.issuer?.issuer}   audience ${auth.issuer?.audience}   keys ${auth.keyDir}`,
      `            a token: ${token}   (--scope, --ttl: npm run token -- --help)`,
      `            try: curl -H "Authorization: Bearer $(${token})" -H 'content-type: application/json' -d '{"type":"text.transform","payload":{"text":"hi"}}' ${stack.apiUrl}/jobs`,
    ];
  }
  return [
    "  Auth      iam: the API is closed; job routes need SigV4-signed requests (service execute-api) of a local IAM user",
    `            access keys of alice, bob and admin: ${auth.iamCredentialsFile}`,
  ];
}

/** Each schedule with its next fires, and what the start caught up (at most one missed fire each). */
function scheduleLines(stack: LocalStack): string[] {
  return stack.schedules.map((schedule, index) => {
    const label = index === 0 ? "  Schedule  " : "            ";
    const head = `${label}${schedule.name}  ${schedule.expression} ${schedule.timezone}`;
    if (!schedule.enabled) return `${head}: disabled`;
    const next = schedule.next.length > 0 ? `next ${schedule.next.map((ms) => new Date(ms).toISOString().replace(/\.000Z$/, "Z")).join(", ")}` : "no fire left";
    const caught = schedule.caughtUp ? `; missed ${schedule.missed} fire(s) while stopped, caught up only the latest (${schedule.caughtUp})` : "";
    return `${head}: ${next}${caught}`;
  });
}

function shellQuote(text: string): string {
  return /^[\w./:@-]+$/.test(text) ? text : `'${text.replace(/'/g, "'\\''")}'`;
}

function exit(code: number, message: string): void {
  console.error(message);
  // At once: SDK clients' keep-alive sockets must not hold a failed start open.
  process.exit(code);
}

main().catch((error: unknown) => {
  console.error(`cloudqueue: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
