import { randomUUID } from "node:crypto";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { KMSClient } from "@aws-sdk/client-kms";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { expect } from "chai";
import { DynamoJobStore } from "../../handlers/adapters/dynamoJobStore";
import { createApiLambda, createSweeperLambda, createWorkerLambda, type LambdaClients } from "../../handlers/lambda";
import { ENV, JOB_TABLE, settingsFromEnv } from "../../handlers/settings";
import { DEFAULT_ROUTE_KEY, PREFLIGHT_ROUTE_KEY, routeKey, routes } from "../../handlers/routes";
import { LOCAL_AWS, startEmulators, type Emulators } from "../../local/emulators";
import { SqsEventSource } from "../../local/sqsEvents";
import { apiEvent, lambdaContext, type ApiRequest } from "../helpers/events";
import { unpackArtifact } from "./artifact";
import { AUTH_CONFIGS, MOCK_ACCOUNT, named, ofType, promiseOf, runProgram, sharedRun, siteFixture, type DeclaredResource, type ProgramRun } from "./program";

// One file on purpose (over the usual ~300 lines): the rules, the proof that they can fail, and
// the program they judge read together as one security review.

/** An IAM-style statement, as loose as a policy document allows. */
interface Statement {
  Sid?: string;
  Effect?: string;
  Principal?: unknown;
  NotPrincipal?: unknown;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}

const list = (value: unknown): unknown[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);
const strings = (value: unknown): string[] => list(value).filter((item): item is string => typeof item === "string");

/** Every policy document in a resource's inputs (JSON strings or objects holding `Statement`), with where it was. */
function policyDocumentsIn(value: unknown, path = "inputs"): Array<{ path: string; statements: Statement[] }> {
  if (typeof value === "string") {
    if (!value.includes("Statement")) return [];
    try {
      return policyDocumentsIn(JSON.parse(value), path);
    } catch {
      return [];
    }
  }
  if (value === null || typeof value !== "object" || path.endsWith(".code")) return [];
  const found: Array<{ path: string; statements: Statement[] }> = [];
  if ("Statement" in value) found.push({ path, statements: list((value as { Statement: unknown }).Statement) as Statement[] });
  for (const [key, child] of Object.entries(value)) found.push(...policyDocumentsIn(child, `${path}.${key}`));
  return found;
}

/**
 * Wildcards in a policy's grants. An Allow may name no `*` in actions, resources or principals,
 * and no `Not*` element (an inverted list grants everything else); only the resources in
 * `allowedStarResources` may end in a star (a log group's streams, which Lambda names itself).
 * A Deny is left alone: a wildcard there widens what is refused (the bucket's TLS-only rule).
 */
function wildcardViolations(statements: Statement[], allowedStarResources: string[] = []): string[] {
  const violations: string[] = [];
  statements.forEach((statement, index) => {
    const where = `statement ${statement.Sid ?? index}`;
    if (statement.Effect !== "Allow") {
      if (statement.Effect !== "Deny") violations.push(`${where}: Effect ${String(statement.Effect)}`);
      return;
    }
    for (const inverted of ["NotAction", "NotResource", "NotPrincipal"] as const) {
      if (statement[inverted] !== undefined) violations.push(`${where}: Allow with ${inverted}`);
    }
    for (const action of strings(statement.Action)) if (action.includes("*")) violations.push(`${where}: action ${action}`);
    for (const resource of strings(statement.Resource)) {
      if (resource.includes("*") && !allowedStarResources.includes(resource)) violations.push(`${where}: resource ${resource}`);
    }
    const principals = statement.Principal === undefined ? [] : typeof statement.Principal === "string" ? [statement.Principal] : Object.values(statement.Principal as object).flatMap(strings);
    for (const principal of principals) if (principal.includes("*")) violations.push(`${where}: principal ${principal}`);
  });
  return violations;
}

/**
 * What the site bucket's policy must say: read only by the one distribution, through OAC; TLS
 * only. The one star allowed is the bucket's own objects (`<bucket>/*`): CloudFront serves them all.
 */
function bucketPolicyViolations(statements: Statement[], bucketArn: string, distributionArn: string): string[] {
  const violations = wildcardViolations(statements, [`${bucketArn}/*`]);
  const allows = statements.filter((statement) => statement.Effect === "Allow");
  for (const allow of allows) {
    if (JSON.stringify(allow.Principal) !== JSON.stringify({ Service: "cloudfront.amazonaws.com" })) violations.push(`Allow to ${JSON.stringify(allow.Principal)}, not CloudFront`);
    if (allow.Condition?.StringEquals?.["AWS:SourceArn"] !== distributionArn) violations.push(`Allow without AWS:SourceArn = ${distributionArn}`);
    if (JSON.stringify(strings(allow.Action)) !== JSON.stringify(["s3:GetObject"])) violations.push(`Allow of ${strings(allow.Action).join(",")}, not s3:GetObject only`);
  }
  if (allows.length === 0) violations.push("no Allow for CloudFront");
  const tls = statements.find(
    (statement) =>
      statement.Effect === "Deny" &&
      statement.Principal === "*" &&
      strings(statement.Action).includes("s3:*") &&
      String(statement.Condition?.Bool?.["aws:SecureTransport"]) === "false" &&
      [bucketArn, `${bucketArn}/*`].every((arn) => strings(statement.Resource).includes(arn)),
  );
  if (!tls) violations.push("no Deny of every s3 action on the bucket and its objects when aws:SecureTransport is false");
  return violations;
}

const SECRET_PATTERNS: Array<[string, RegExp]> = [
  ["AWS access key id", /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/],
  ["private key", /-----BEGIN [A-Z ]*PRIVATE KEY-----/],
  ["aws_secret_access_key", /aws_secret_access_key/i],
];
/** A name that says it holds a credential. */
const SECRET_NAME = /secret|token|passw|private[_-]?key|api[_-]?key|access[_-]?key|credential/i;
/** The shape of an AWS secret access key: 40 characters of base64, alone. */
const SECRET_ACCESS_KEY_SHAPE = /(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/;

/** Secrets in a text: the patterns above, and any of `knownSecrets` verbatim. */
function secretFindings(text: string, knownSecrets: string[] = []): string[] {
  const findings = SECRET_PATTERNS.filter(([, pattern]) => pattern.test(text)).map(([label]) => label);
  for (const secret of knownSecrets) if (secret && text.includes(secret)) findings.push(`the known secret ${secret.slice(0, 4)}…`);
  return findings;
}

/** Secrets in a function's environment: by name, by value pattern, by the shape of a secret key. */
function environmentSecretFindings(variables: Record<string, unknown>, knownSecrets: string[] = []): string[] {
  const findings: string[] = [];
  for (const [name, value] of Object.entries(variables)) {
    if (SECRET_NAME.test(name)) findings.push(`${name}: a credential's name`);
    const text = String(value);
    for (const finding of secretFindings(text, knownSecrets)) findings.push(`${name}: ${finding}`);
    if (SECRET_ACCESS_KEY_SHAPE.test(text)) findings.push(`${name}: shaped like a secret access key`);
  }
  return findings;
}

/** A key in any input that says it holds a secret. */
const SECRET_INPUT = /secret|passw|private[_-]?key|credential|key[_-]?material|plaintext/i;
// A switch such as the provider's `skipCredentialsValidation` holds none (provider inputs arrive as text).
const isSwitch = (value: unknown) => typeof value === "boolean" || value === "true" || value === "false";

/** The paths of the inputs, at any depth, whose name says they hold a secret. */
function secretInputs(value: unknown, path = "inputs"): string[] {
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([key, child]) => [...(SECRET_INPUT.test(key) && !isSwitch(child) ? [`${path}.${key}`] : []), ...secretInputs(child, `${path}.${key}`)]);
}

/**
 * The AWS calls a handler makes, recorded by middleware on the clients handed to its Lambda entry
 * factory, as `action resource` with the resource abstracted (`table`, `table/index/x`, `queue`,
 * `dlq`, `idKey`) so that they compare with the program's ARNs. There is no KMS emulator: the KMS
 * client answers `GenerateMac` itself (a fixed 32-byte MAC) once the call is recorded.
 */
/**
 * The IAM action that authorizes an API call, where it is not the call's own name: SQS authorizes
 * `SendMessageBatch` by `sqs:SendMessage` (there is no `sqs:SendMessageBatch` action).
 */
const IAM_ACTION_OF: Readonly<Record<string, string>> = { "sqs:SendMessageBatch": "sqs:SendMessage" };

class CallRecorder {
  /** The IAM actions the calls need, with their resources. */
  readonly calls = new Set<string>();
  /** The API calls themselves, by `service:Operation`. */
  readonly operations = new Set<string>();
  constructor(
    private readonly emulators: Emulators,
    /** The id key's ARN, as the api's environment names it. */
    private readonly idKeyArn: string | undefined,
  ) {}

  clients(): Required<LambdaClients> {
    const endpoints = { dynamo: this.emulators.dynamoEndpoint, sqs: this.emulators.sqsEndpoint };
    const dynamo = new DynamoDBClient({ ...LOCAL_AWS, endpoint: endpoints.dynamo });
    const sqs = new SQSClient({ ...LOCAL_AWS, endpoint: endpoints.sqs });
    const kms = new KMSClient({ ...LOCAL_AWS, endpoint: "http://127.0.0.1:9" });
    (kms.middlewareStack as any).add(
      () => async (args: { input: { KeyId?: string; MacAlgorithm?: string } }) => ({
        output: { $metadata: {}, KeyId: args.input.KeyId, MacAlgorithm: args.input.MacAlgorithm, Mac: new Uint8Array(32).fill(7) },
        response: {},
      }),
      { step: "build", name: "securityFakeKms" },
    );
    for (const [service, client] of [["dynamodb", dynamo], ["sqs", sqs], ["kms", kms]] as const) {
      (client.middlewareStack as any).add(
        (next: any, context: { commandName?: string }) => async (args: { input: Record<string, unknown> }) => {
          const operation = `${service}:${(context.commandName ?? "?").replace(/Command$/, "")}`;
          this.operations.add(operation);
          this.calls.add(`${IAM_ACTION_OF[operation] ?? operation} ${this.resourceOf(args.input)}`);
          return next(args);
        },
        { step: "initialize", name: "securityCallRecorder", priority: "high" },
      );
    }
    return { dynamo, sqs, kms };
  }

  private resourceOf(input: Record<string, unknown>): string {
    if (input.KeyId !== undefined) return input.KeyId === this.idKeyArn ? "idKey" : `unknown(${JSON.stringify(input.KeyId)})`;
    if (input.TableName === this.emulators.tableName) return input.IndexName ? `table/index/${String(input.IndexName)}` : "table";
    // BatchGetItem names its tables as the keys of RequestItems.
    const tables = input.RequestItems && typeof input.RequestItems === "object" ? Object.keys(input.RequestItems) : [];
    if (tables.length > 0) return tables.every((table) => table === this.emulators.tableName) ? "table" : `unknown(${JSON.stringify(tables)})`;
    if (input.QueueUrl === this.emulators.queueUrl) return "queue";
    if (input.QueueUrl === this.emulators.dlqUrl) return "dlq";
    return `unknown(${JSON.stringify(input.TableName ?? input.QueueUrl)})`;
  }
}

/** The actions Lambda's SQS event source mapping performs with the function's own role. */
const EVENT_SOURCE_MAPPING_ACTIONS = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"];
/** Lambda writes a function's logs with its role into the group its loggingConfig names. */
const LOG_ACTIONS = ["logs:CreateLogStream", "logs:PutLogEvents"];
const OWN_LOG_GROUP = "own log group";

/** Resource types this review knows, each with what it checks (or why nothing needs checking). */
const REVIEWED_TYPES: Record<string, string> = {
  "aws:dynamodb/table:Table": "encryption at rest",
  "aws:sqs/queue:Queue": "SSE",
  "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy": "only this queue may redrive into the DLQ",
  "aws:iam/role:Role": "a function's: trusted by Lambda only; the schedules': by Scheduler only, for the stack's own schedule group only",
  "aws:iam/rolePolicy:RolePolicy": "no wildcard; exactly what the handler calls",
  "aws:lambda/function:Function": "no secret in environment or code",
  "aws:lambda/permission:Permission": "a service principal, from one source",
  "aws:lambda/eventSourceMapping:EventSourceMapping": "reads the job queue (its actions are in the worker's grants)",
  "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig": "the sweeper's: no retries, no destination; the api's (schedules): its one destination the schedules' DLQ, sent to with the api's role",
  "aws:scheduler/scheduleGroup:ScheduleGroup": "a name for the stack's schedules: the scheduler role trusts only its schedules",
  "aws:scheduler/schedule:Schedule": "in the stack's group, invokes only the api function, with the scheduler role, dead-letters to the schedules' DLQ",
  "pulumi:providers:aws": "credentials from the environment, never in config; default tags only",
  "aws:cloudwatch/logGroup:LogGroup": "retention (its streams are the one allowed star)",
  "aws:cloudwatch/eventRule:EventRule": "a schedule: no access of its own",
  "aws:cloudwatch/eventTarget:EventTarget": "invokes the sweeper through its permission",
  "aws:cloudwatch/metricAlarm:MetricAlarm": "notifies only the stack's own topic, watches only its resources: no access of its own",
  "aws:cloudwatch/dashboard:Dashboard": "a view: grants nothing, names only the stack's own namespace and resources, no secret in its body",
  "aws:apigatewayv2/api:Api": "CORS not *",
  "aws:apigatewayv2/stage:Stage": "throttled",
  "aws:apigatewayv2/integration:Integration": "reaches the api function through its permissions",
  "aws:apigatewayv2/route:Route": "none mode: no authorizer by design (public demo, throttled); jwt and iam: every route but GET /job-types and the CORS preflight authorized, $default too; $default reaches only the api function",
  "aws:apigatewayv2/authorizer:Authorizer": "JWT from the Authorization header, an https issuer, named audiences; on every non-public route and $default",
  "aws:kms/key:Key": "HMAC only (GENERATE_VERIFY_MAC), no imported material, default key policy (IAM decides: only the api is granted, GenerateMac only), 30-day deletion window",
  "aws:s3/bucket:Bucket": "no ACL, no website",
  "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": "all four blocks",
  "aws:s3/bucketPolicy:BucketPolicy": "CloudFront through OAC only, TLS only",
  "aws:s3/bucketOwnershipControls:BucketOwnershipControls": "ACLs disabled",
  "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": "encrypted",
  "aws:s3/bucketObjectv2:BucketObjectv2": "no secret in published content",
  "aws:cloudfront/originAccessControl:OriginAccessControl": "signs every request",
  "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy": "security headers",
  "aws:cloudfront/distribution:Distribution": "HTTPS only, OAC bucket origin, the API over TLS 1.2 only, security headers, TLS floor as declared",
  "aws:cloudfront/function:Function": "answers 404 for unknown site paths: no access of its own, no secret in its code",
  "aws:sns/topic:Topic": "policy (if any) has no wildcard",
  "aws:sns/topicSubscription:TopicSubscription": "email to the configured address",
  "aws:budgets/budget:Budget": "no access of its own",
};

/** A configuration that declares everything (the operations' topic, alarm and budget, the JWT authorizer included). */
const EVERYTHING = {
  ...AUTH_CONFIGS.jwt,
  alertEmail: "security@example.com",
  corsAllowedOrigins: ["https://admin.example.com"],
  schedules: [
    { name: "nightly-digest", expression: "cron(0 3 * * ? *)", timezone: "Europe/Paris", type: "hash.digest", payload: { text: "nightly", algorithm: "sha256" } },
    { name: "every-five-minutes", expression: "rate(5 minutes)", type: "text.transform", payload: { text: "tick" }, enabled: false },
  ],
};

describe("infra security: a review of every resource the program declares", function () {
  this.timeout(90_000);
  let defaults: ProgramRun;
  let everything: ProgramRun;
  let iam: ProgramRun;
  /** Values planted in the environment while `everything` was declared: none may reach a resource. */
  const canaries = { AWS_SECRET_ACCESS_KEY: `canary${randomUUID().replace(/-/g, "")}`, CLOUDQUEUE_TEST_API_TOKEN: `canary-${randomUUID()}` };
  /** The public demo, a `jwt` stack with everything else on, an `iam` stack. */
  const runs = () => [
    ["defaults", defaults],
    ["everything", everything],
    ["iam", iam],
  ] as const;

  before(async () => {
    defaults = await sharedRun({}, siteFixture());
    iam = await sharedRun(AUTH_CONFIGS.iam, siteFixture());
    const saved = Object.fromEntries(Object.keys(canaries).map((key) => [key, process.env[key]]));
    Object.assign(process.env, canaries);
    try {
      everything = await runProgram(EVERYTHING, siteFixture());
    } finally {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });

  it("knows every resource type the program declares (a new type must be reviewed here)", () => {
    for (const [label, run] of runs()) {
      const unreviewed = run.resources.filter((resource) => !resource.type.startsWith("cloudqueue:infra:") && !(resource.type in REVIEWED_TYPES));
      expect(unreviewed.map((resource) => `${resource.type} ${resource.name}`), label).to.deep.equal([]);
    }
    // The full configuration declares every reviewed type: no rule below is vacuous.
    expect([...new Set(everything.resources.map((resource) => resource.type))].filter((type) => type in REVIEWED_TYPES).sort()).to.deep.equal(Object.keys(REVIEWED_TYPES).sort());
  });

  it("has no wildcard in any policy document of any resource", async () => {
    for (const [label, run] of runs()) {
      // The only stars a grant may hold: a function's own log streams, the site bucket's own objects.
      const logGroupArns = ofType(run, "aws:cloudwatch/logGroup:LogGroup").map((group) => `${group.state.arn}:*`);
      const bucketObjects = ofType(run, "aws:s3/bucket:Bucket").map((bucket) => `${bucket.state.arn}/*`);
      const documents = run.resources.flatMap((resource) => policyDocumentsIn(resource.inputs).map((document) => ({ resource, ...document })));
      // The three role policies, the three trust policies and the bucket policy, at least.
      expect(documents.length, label).to.be.at.least(7);
      for (const { resource, path, statements } of documents) {
        const allowed = resource.type === "aws:iam/rolePolicy:RolePolicy" ? logGroupArns : resource.type === "aws:s3/bucketPolicy:BucketPolicy" ? bucketObjects : [];
        expect(wildcardViolations(statements, allowed), `${label}: ${resource.name} ${path}`).to.deep.equal([]);
      }
    }
  });

  it("trusts only Lambda with each function's role, Scheduler with the schedules' for the stack's group only, and attaches no managed policy", async () => {
    for (const [label, run] of runs()) {
      const schedulerRole = run.stack.schedules && (await promiseOf(run.stack.schedules.role.arn));
      expect(schedulerRole === undefined, `${label}: a scheduler role only with schedules`).to.equal(run.config.schedules.length === 0);
      for (const role of ofType(run, "aws:iam/role:Role")) {
        const trust = JSON.parse(role.inputs.assumeRolePolicy);
        if (role.state.arn === schedulerRole) {
          const group = named(run, "cloudqueue-schedules", "aws:scheduler/scheduleGroup:ScheduleGroup");
          expect(group.state.arn).to.equal(`arn:aws:scheduler:${MOCK_ACCOUNT.region}:${MOCK_ACCOUNT.account}:schedule-group/${group.state.name}`);
          // Scheduler names the schedule group (not the schedule) as the source when it assumes the role.
          expect(trust.Statement, `${label} ${role.name}`).to.deep.equal([
            {
              Effect: "Allow",
              Principal: { Service: "scheduler.amazonaws.com" },
              Action: "sts:AssumeRole",
              Condition: { StringEquals: { "aws:SourceAccount": MOCK_ACCOUNT.account, "aws:SourceArn": group.state.arn } },
            },
          ]);
          continue;
        }
        expect(trust.Statement, `${label} ${role.name}`).to.deep.equal([{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }]);
      }
      expect(ofType(run, "aws:iam/rolePolicyAttachment:RolePolicyAttachment"), label).to.deep.equal([]);
    }
  });

  it("lets the schedules' role invoke the api function and dead-letter a fire, nothing else, and every schedule use it in the stack's group", async () => {
    const schedules = everything.stack.schedules!;
    expect(schedules, "the everything run declares schedules").to.not.equal(undefined);
    const apiArn = await promiseOf(everything.stack.functions.api.function.arn);
    const dlqArn = await promiseOf(schedules.deadLetterQueue.arn);
    const roleId = await promiseOf(schedules.role.id);
    const policies = ofType(everything, "aws:iam/rolePolicy:RolePolicy").filter((policy) => policy.inputs.role === roleId);
    expect(policies.map((policy) => JSON.parse(policy.inputs.policy).Statement)).to.deep.equal([
      [
        { Effect: "Allow", Action: ["lambda:InvokeFunction"], Resource: [apiArn] },
        { Effect: "Allow", Action: ["sqs:SendMessage"], Resource: [dlqArn] },
      ],
    ]);
    const declared = ofType(everything, "aws:scheduler/schedule:Schedule");
    expect(declared.map((schedule) => schedule.inputs.name)).to.deep.equal(EVERYTHING.schedules.map((schedule) => schedule.name));
    const groupName = await promiseOf(schedules.group.name);
    for (const schedule of declared) {
      expect(schedule.inputs.groupName, schedule.name).to.equal(groupName);
      expect(schedule.inputs.target, schedule.name).to.deep.include({ arn: apiArn, roleArn: await promiseOf(schedules.role.arn), deadLetterConfig: { arn: dlqArn } });
    }
    // No other role may be assumed by Scheduler, and no function is open to it by a resource policy.
    expect(ofType(everything, "aws:lambda/permission:Permission").map((permission) => permission.inputs.principal)).to.not.include("scheduler.amazonaws.com");
  });

  describe("each function's permissions are exactly what its handler calls", () => {
    let emulators: Emulators;
    const called: Record<string, Set<string>> = {};
    const quiet = { info: console.info, warn: console.warn, error: console.error };

    before(async () => {
      const suffix = Date.now();
      emulators = await startEmulators({ tableName: `security-jobs-${suffix}`, queueName: `security-${suffix}`, dlqName: `security-dlq-${suffix}` });
      if (!process.env.CLOUDQUEUE_TEST_LOGS) console.info = console.warn = console.error = () => {};
      try {
        called.api = await recordApi(defaults, emulators);
        called.worker = await recordWorker(defaults, emulators);
        called.sweeper = await recordSweeper(defaults, emulators);
      } finally {
        Object.assign(console, quiet);
      }
    });
    after(async () => {
      Object.assign(console, quiet);
      await emulators?.close();
    });

    it("api, worker and sweeper: granted = called (+ event source mapping, + own logs), on exact ARNs", async () => {
      // Every function's differences at once, so one run names every surplus and missing grant.
      const differences: Record<string, { unused: string[]; ungranted: string[] }> = {};
      for (const [label, run] of runs()) {
        const functions = ofType(run, "aws:lambda/function:Function");
        expect(functions.map((fn) => fn.name).sort(), label).to.deep.equal(["cloudqueue-api", "cloudqueue-sweeper", "cloudqueue-worker"]);
        for (const fn of functions) {
          const role = fn.name.replace(/^cloudqueue-/, "");
          const granted = await grantsOf(run, fn);
          const expected = new Set(called[role]);
          for (const mapping of ofType(run, "aws:lambda/eventSourceMapping:EventSourceMapping").filter((candidate) => candidate.inputs.functionName === fn.state.arn)) {
            for (const action of EVENT_SOURCE_MAPPING_ACTIONS) expected.add(`${action} ${await abstractArn(run, mapping.inputs.eventSourceArn)}`);
          }
          for (const action of LOG_ACTIONS) expected.add(`${action} ${OWN_LOG_GROUP}`);
          // Lambda sends a failed asynchronous invocation to its on-failure destination with the function's role.
          for (const invokeConfig of ofType(run, "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig").filter((candidate) => candidate.inputs.functionName === fn.state.name)) {
            const destination = invokeConfig.inputs.destinationConfig?.onFailure?.destination;
            if (destination !== undefined) expected.add(`sqs:SendMessage ${await abstractArn(run, destination)}`);
          }
          const unused = [...granted].filter((grant) => !expected.has(grant)).sort();
          const ungranted = [...expected].filter((call) => !granted.has(call)).sort();
          differences[`${label} ${fn.name}`] = { unused, ungranted };
        }
      }
      const clean = Object.fromEntries(Object.keys(differences).map((key) => [key, { unused: [], ungranted: [] }]));
      expect(differences, "granted but never called (unused) / called without a grant (ungranted)").to.deep.equal(clean);
    });

    it("recorded what each handler really does (the expectation above is not empty)", () => {
      // GenerateMac: the id secret, derived once (the container's first Idempotency-Key).
      expect([...called.api!].sort()).to.deep.equal([
        "dynamodb:BatchGetItem table",
        "dynamodb:GetItem table",
        "dynamodb:PutItem table",
        `dynamodb:Query table/index/${JOB_TABLE.listIndex.name}`,
        `dynamodb:Query table/index/${JOB_TABLE.doneIndex.name}`,
        "dynamodb:UpdateItem table",
        "kms:GenerateMac idKey",
        "sqs:SendMessage queue",
      ]);
      // The batch route's SendMessageBatch is among them, authorized by sqs:SendMessage.
      expect([...apiOperations]).to.include.members(["sqs:SendMessage", "sqs:SendMessageBatch"]);
      expect([...called.worker!].sort()).to.deep.equal(["dynamodb:GetItem table", "dynamodb:UpdateItem table", "sqs:ChangeMessageVisibility queue"]);
      expect([...called.sweeper!].sort()).to.deep.equal(["dynamodb:GetItem table", `dynamodb:Query table/index/${JOB_TABLE.sweepIndex.name}`, "dynamodb:UpdateItem table", "sqs:SendMessage queue"]);
    });
  });

  it("keeps the site bucket private, TLS-only and readable only by this distribution through OAC", async () => {
    for (const [label, run] of runs()) {
      const site = run.stack.site;
      const bucketArn = await promiseOf(site.bucket.arn);
      const bucketId = await promiseOf(site.bucket.id);
      const distributionArn = await promiseOf(site.distribution.arn);
      for (const bucket of ofType(run, "aws:s3/bucket:Bucket")) {
        expect(bucket.inputs.acl, `${label} ${bucket.name} acl`).to.equal(undefined);
        expect(bucket.inputs.website, `${label} ${bucket.name} website`).to.equal(undefined);
        const blocks = ofType(run, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").filter((block) => block.inputs.bucket === bucket.id);
        expect(blocks.map((block) => block.inputs), label).to.deep.equal([{ bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true }]);
        const ownership = ofType(run, "aws:s3/bucketOwnershipControls:BucketOwnershipControls").filter((controls) => controls.inputs.bucket === bucket.id);
        expect(ownership.map((controls) => controls.inputs.rule.objectOwnership), label).to.deep.equal(["BucketOwnerEnforced"]);
        const encryption = ofType(run, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").filter((config) => config.inputs.bucket === bucket.id);
        expect(encryption.map((config) => config.inputs.rules[0].applyServerSideEncryptionByDefault.sseAlgorithm), label).to.deep.equal(["AES256"]);
      }
      const policies = ofType(run, "aws:s3/bucketPolicy:BucketPolicy");
      expect(policies.map((policy) => policy.inputs.bucket), label).to.deep.equal([bucketId]);
      expect(bucketPolicyViolations(JSON.parse(policies[0]!.inputs.policy).Statement, bucketArn, distributionArn), label).to.deep.equal([]);
    }
  });

  it("serves the site over HTTPS only, from the bucket through OAC, with HSTS, nosniff, DENY framing and a CSP", async () => {
    for (const [label, run] of runs()) {
      for (const distribution of ofType(run, "aws:cloudfront/distribution:Distribution")) {
        const inputs = distribution.inputs;
        const behaviours = [inputs.defaultCacheBehavior, ...(inputs.orderedCacheBehaviors ?? [])];
        for (const behaviour of behaviours) {
          expect(["redirect-to-https", "https-only"], `${label} viewer protocol`).to.include(behaviour.viewerProtocolPolicy);
          const headers = ofType(run, "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy").find((policy) => policy.id === behaviour.responseHeadersPolicyId);
          expect(headers, `${label}: the behaviour's response headers policy is declared`).to.not.equal(undefined);
          const security = headers!.inputs.securityHeadersConfig;
          expect(security.strictTransportSecurity.accessControlMaxAgeSec, `${label} HSTS`).to.be.at.least(31_536_000);
          expect(security.strictTransportSecurity.override).to.equal(true);
          expect(security.contentTypeOptions.override, `${label} nosniff`).to.equal(true);
          expect(["DENY", "SAMEORIGIN"]).to.include(security.frameOptions.frameOption);
          const csp: string = security.contentSecurityPolicy.contentSecurityPolicy;
          expect(csp).to.match(/default-src 'self'/).and.match(/frame-ancestors 'none'/);
          expect(csp, `${label} CSP allows no inline or foreign script`).to.not.match(/'unsafe-inline'|'unsafe-eval'|script-src[^;]*\*/);
        }
        // With CloudFront's default *.cloudfront.net certificate, CloudFront applies the TLSv1
        // policy whatever is asked (the provider requires "TLSv1" then): TLS 1.2 is the floor only
        // with the stack's own domain and certificate (siteDomain), as the README says.
        const certificate = inputs.viewerCertificate;
        if (certificate.cloudfrontDefaultCertificate) {
          expect(certificate, `${label} default certificate`).to.deep.equal({ cloudfrontDefaultCertificate: true, minimumProtocolVersion: "TLSv1" });
        } else {
          expect(certificate.minimumProtocolVersion, `${label} custom domain TLS floor`).to.equal("TLSv1.2_2021");
          expect(certificate.sslSupportMethod, label).to.equal("sni-only");
        }
        const apiEndpoint = await promiseOf(run.stack.httpApi.url);
        for (const origin of inputs.origins) {
          if (origin.customOriginConfig) {
            // The one custom origin is this stack's API, reached over TLS 1.2 only.
            expect(`https://${origin.domainName}`, `${label}: custom origin ${origin.originId}`).to.equal(apiEndpoint);
            expect(origin.customOriginConfig, label).to.deep.include({ originProtocolPolicy: "https-only", originSslProtocols: ["TLSv1.2"] });
            continue;
          }
          const oac = ofType(run, "aws:cloudfront/originAccessControl:OriginAccessControl").find((candidate) => candidate.id === origin.originAccessControlId);
          expect(oac?.inputs, `${label}: origin ${origin.originId} signs through OAC`).to.include({ originAccessControlOriginType: "s3", signingBehavior: "always", signingProtocol: "sigv4" });
          expect(origin.s3OriginConfig?.originAccessIdentity, "no legacy OAI").to.equal(undefined);
          expect(origin.domainName).to.equal(await promiseOf(run.stack.site.bucket.bucketRegionalDomainName));
        }
      }
    }
  });

  it("allows named HTTPS origins by CORS (never *), and throttles the $default stage", async () => {
    for (const [label, run] of runs()) {
      for (const api of ofType(run, "aws:apigatewayv2/api:Api")) {
        const cors = api.inputs.corsConfiguration;
        // The page is served with the API on one origin: only configured origins get CORS.
        expect(cors.allowOrigins, label).to.deep.equal(label === "everything" ? EVERYTHING.corsAllowedOrigins : []);
        for (const origin of cors.allowOrigins as string[]) expect(origin, `${label} CORS origin`).to.match(/^https:\/\/[^*/]+$/);
        for (const field of ["allowMethods", "allowHeaders", "exposeHeaders"]) expect(cors[field] ?? [], `${label} ${field}`).to.not.include("*");
        expect(cors.allowCredentials ?? false, "no credentials over CORS").to.equal(false);
      }
      const stages = ofType(run, "aws:apigatewayv2/stage:Stage");
      expect(stages.map((stage) => stage.inputs.name), label).to.deep.equal(["$default"]);
      const throttle = stages[0]!.inputs.defaultRouteSettings;
      expect(throttle.throttlingRateLimit, `${label} rate`).to.be.a("number").above(0);
      expect(throttle.throttlingBurstLimit, `${label} burst`).to.be.a("number").above(0);
      // A per-route setting could lift the throttle of one route.
      expect(stages[0]!.inputs.routeSettings ?? [], label).to.deep.equal([]);
    }
  });

  it("lets only the API's routes and the sweep schedule invoke functions, each from its own source ARN", async () => {
    for (const [label, run] of runs()) {
      const executionArn = await promiseOf(run.stack.httpApi.api.executionArn);
      const ruleArns = await Promise.all(ofType(run, "aws:cloudwatch/eventRule:EventRule").map((rule) => rule.state.arn as string));
      for (const permission of ofType(run, "aws:lambda/permission:Permission")) {
        const { principal, sourceArn, action } = permission.inputs;
        const where = `${label} ${permission.name}`;
        expect(action, where).to.equal("lambda:InvokeFunction");
        expect(["apigateway.amazonaws.com", "events.amazonaws.com"], where).to.include(principal);
        expect(sourceArn, `${where} names its source`).to.be.a("string");
        if (principal === "events.amazonaws.com") {
          expect(ruleArns, where).to.include(sourceArn);
        } else if (permission.name === "cloudqueue-default-route-invoke") {
          // The $default route takes any method and path by definition; it reaches the api
          // function only (the same function every route reaches), from this API only.
          expect(sourceArn, where).to.equal(`${executionArn}/*/*`);
          expect(permission.inputs.function, where).to.equal(await promiseOf(run.stack.functions.api.function.name));
        } else {
          // `<api>/<stage>/<METHOD>/<path>`: a star only for the stage and in place of a path parameter.
          const match = /^(.+?)\/(\*|\$default)\/(GET|POST|PUT|PATCH|DELETE)(\/[^*]+(?:\/\*)?(?:\/[^*]+)?)$/.exec(sourceArn);
          expect(match, `${where}: ${sourceArn}`).to.not.equal(null);
          expect(match![1], where).to.equal(executionArn);
        }
      }
    }
  });

  it("points the dashboard and the alarms at this stack's metrics and resources only, and the alarms at its own topic only", async () => {
    for (const [label, run] of runs()) {
      const own = new Set<string>([
        ...(await Promise.all(["api", "worker", "sweeper"].map((fn) => promiseOf(run.stack.functions[fn as "api"].function.name)))),
        await promiseOf(run.stack.queues.queue.name),
        await promiseOf(run.stack.queues.deadLetterQueue.name),
        ...(run.stack.schedules ? [await promiseOf(run.stack.schedules.deadLetterQueue.name)] : []),
        await promiseOf(run.stack.table.name),
        await promiseOf(run.stack.httpApi.api.id),
      ]);
      const namespaceOk = (namespace: unknown) => namespace === "CloudQueue/test" || (typeof namespace === "string" && /^AWS\/(SQS|Lambda|DynamoDB|ApiGateway)$/.test(namespace));
      // The dimensions that name a resource; the others (JobType, Operation, ...) name no resource.
      const RESOURCE_DIMENSIONS = ["FunctionName", "QueueName", "TableName", "ApiId"];
      const check = (where: string, namespace: unknown, dimensions: Record<string, unknown>) => {
        expect(namespaceOk(namespace), `${where}: namespace ${String(namespace)}`).to.equal(true);
        for (const [dimension, value] of Object.entries(dimensions)) {
          if (RESOURCE_DIMENSIONS.includes(dimension)) expect(own.has(String(value)), `${where}: ${dimension}=${String(value)} is not this stack's`).to.equal(true);
        }
      };
      const dashboards = ofType(run, "aws:cloudwatch/dashboard:Dashboard");
      expect(dashboards, label).to.have.length(1);
      for (const widget of JSON.parse(dashboards[0]!.inputs.dashboardBody).widgets) {
        for (const line of (widget.properties.metrics ?? []) as unknown[][]) {
          const parts = line.filter((part): part is string => typeof part === "string");
          if (parts.length === 0) continue;
          const dimensions: Record<string, string> = {};
          for (let i = 2; i < parts.length; i += 2) dimensions[parts[i]!] = parts[i + 1]!;
          check(`${label} dashboard "${widget.properties.title}"`, parts[0], dimensions);
        }
      }
      const topics = ofType(run, "aws:sns/topic:Topic").map((topic) => topic.state.arn);
      for (const alarm of ofType(run, "aws:cloudwatch/metricAlarm:MetricAlarm")) {
        const where = `${label} ${alarm.name}`;
        for (const actions of ["alarmActions", "okActions", "insufficientDataActions"]) {
          for (const action of alarm.inputs[actions] ?? []) expect(topics, `${where} ${actions}`).to.include(action);
        }
        const metrics = alarm.inputs.metricQueries ? alarm.inputs.metricQueries.filter((query: { metric?: unknown }) => query.metric).map((query: { metric: unknown }) => query.metric) : [alarm.inputs];
        for (const metric of metrics) check(where, metric.namespace, metric.dimensions ?? {});
      }
    }
  });

  it("encrypts both queues and the table, and lets only the job queue redrive into the DLQ", async () => {
    for (const [label, run] of runs()) {
      for (const queue of ofType(run, "aws:sqs/queue:Queue")) {
        const encrypted = queue.inputs.sqsManagedSseEnabled === true || typeof queue.inputs.kmsMasterKeyId === "string";
        expect(encrypted, `${label} ${queue.name} SSE`).to.equal(true);
      }
      for (const table of ofType(run, "aws:dynamodb/table:Table")) {
        // DynamoDB encrypts every table at rest; without serverSideEncryption it uses an AWS owned
        // key. What must never appear is an explicit opt-out to something weaker.
        const sse = table.inputs.serverSideEncryption;
        expect(sse === undefined || sse.enabled === true, `${label} ${table.name} SSE`).to.equal(true);
      }
      const queueArn = await promiseOf(run.stack.queues.queue.arn);
      for (const allow of ofType(run, "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy")) {
        expect(JSON.parse(allow.inputs.redriveAllowPolicy), label).to.deep.equal({ redrivePermission: "byQueue", sourceQueueArns: [queueArn] });
      }
    }
  });

  it("puts no secret in any function's environment, in the code it uploads, or in any other input", async () => {
    const known = Object.values(canaries);
    for (const [label, run] of runs()) {
      for (const fn of ofType(run, "aws:lambda/function:Function")) {
        expect(environmentSecretFindings(fn.inputs.environment?.variables ?? {}, known), `${label} ${fn.name} environment`).to.deep.equal([]);
        const artifact = await unpackArtifact(fn.inputs.code, `security-${fn.name}`);
        expect(artifact.indexSource.length, `${fn.name} __index.js`).to.be.above(1_000);
        expect(secretFindings(artifact.indexSource, known), `${label} ${fn.name} __index.js`).to.deep.equal([]);
      }
      for (const resource of run.resources) {
        // A Lambda's code is an archive, scanned above once unpacked; code given as text (a
        // CloudFront Function's) is scanned with the other inputs.
        const { code, ...inputs } = resource.inputs;
        const scanned = typeof code === "string" ? { ...inputs, code } : inputs;
        expect(secretFindings(JSON.stringify(scanned), known), `${label} ${resource.type} ${resource.name} inputs`).to.deep.equal([]);
      }
      // The scan above reaches text code: a planted key in the 404 function's code would be found.
      const notFound = ofType(run, "aws:cloudfront/function:Function")[0]!;
      expect(secretFindings(JSON.stringify({ ...notFound.inputs, code: `${notFound.inputs.code}var KEY = "AKIAIOSFODNN7EXAMPLE";` }), known), label).to.not.deep.equal([]);
    }
  });

  it("closes every route but GET /job-types and the CORS preflight on a jwt or iam stack, $default included, and opens all on the public demo", () => {
    for (const [label, run] of runs()) {
      const mode = run.config.auth.mode;
      const authorizers = ofType(run, "aws:apigatewayv2/authorizer:Authorizer");
      const declared = ofType(run, "aws:apigatewayv2/route:Route");
      const open = declared.filter((route) => (route.inputs.authorizationType ?? "NONE") === "NONE").map((route) => route.inputs.routeKey).sort();
      if (mode === "none") {
        expect(authorizers, label).to.deep.equal([]);
        expect(open, label).to.deep.equal([...routes.map(routeKey), DEFAULT_ROUTE_KEY].sort());
        continue;
      }
      expect(open, `${label}: the unauthorized routes`).to.deep.equal(["GET /job-types", "GET /openapi.json", PREFLIGHT_ROUTE_KEY].sort());
      // The preflight route takes OPTIONS only; a route of another method would bypass the authorizer.
      expect(declared.find((route) => route.inputs.routeKey === PREFLIGHT_ROUTE_KEY)!.inputs.routeKey, label).to.match(/^OPTIONS /);
      const api = named(run, "cloudqueue-api", "aws:apigatewayv2/api:Api");
      for (const route of declared.filter((candidate) => !open.includes(candidate.inputs.routeKey))) {
        const where = `${label} ${route.inputs.routeKey}`;
        if (mode === "iam") {
          expect(route.inputs, where).to.include({ authorizationType: "AWS_IAM" });
          expect(route.inputs.authorizerId, where).to.equal(undefined);
        } else {
          expect(authorizers, label).to.have.length(1);
          expect(route.inputs, where).to.include({ authorizationType: "JWT", authorizerId: authorizers[0]!.id });
        }
      }
      for (const authorizer of authorizers) {
        expect(authorizer.inputs, label).to.deep.include({ apiId: api.id, authorizerType: "JWT", identitySources: ["$request.header.Authorization"] });
        expect(authorizer.inputs.jwtConfiguration.issuer, label).to.match(/^https:\/\//);
        expect(authorizer.inputs.jwtConfiguration.audiences, label).to.be.an("array").that.is.not.empty;
      }
    }
  });

  it("keeps the id secret out of everything declared: an HMAC key whose material never leaves KMS, named only by the api's CLOUDQUEUE_ID_KEY_ARN, used only by the api", async () => {
    for (const [label, run] of runs()) {
      for (const resource of run.resources) {
        const { code: _code, ...inputs } = resource.inputs;
        expect(secretInputs(inputs), `${label} ${resource.type} ${resource.name}`).to.deep.equal([]);
      }
      // An HMAC key made by KMS: no imported material (aws.kms.ExternalKey is no reviewed type).
      const keys = ofType(run, "aws:kms/key:Key");
      expect(keys, label).to.have.length(1);
      const key = keys[0]!;
      expect(key.inputs, label).to.include({ customerMasterKeySpec: "HMAC_256", keyUsage: "GENERATE_VERIFY_MAC", deletionWindowInDays: 30 });
      // The default key policy: the account's IAM policies decide, and only the api's grants it.
      expect(key.inputs.policy, `${label}: key policy`).to.equal(undefined);
      expect(key.inputs.bypassPolicyLockoutSafetyCheck ?? false, label).to.equal(false);
      const naming = (value: unknown) => typeof value === "string" && (value.includes(key.state.arn) || value.includes(key.state.keyId) || value.includes(key.id));
      for (const fn of ofType(run, "aws:lambda/function:Function")) {
        const variables: Record<string, string> = fn.inputs.environment?.variables ?? {};
        const named = Object.entries(variables).filter(([, value]) => naming(value));
        expect(named, `${label} ${fn.name}: the variables naming the key`).to.deep.equal(fn.name === "cloudqueue-api" ? [[ENV.idKeyArn, key.state.arn]] : []);
      }
      // Only the api's role may use the key, and only to make a MAC.
      const kmsGrants = ofType(run, "aws:iam/rolePolicy:RolePolicy").flatMap((policy) =>
        (JSON.parse(policy.inputs.policy).Statement as Statement[])
          .filter((statement) => strings(statement.Action).some((action) => action.startsWith("kms:")))
          .map((statement) => ({ policy: policy.name, actions: strings(statement.Action), resources: strings(statement.Resource) })),
      );
      expect(kmsGrants, label).to.deep.equal([{ policy: "cloudqueue-api-policy", actions: ["kms:GenerateMac"], resources: [key.state.arn] }]);
      const outputs = await Promise.all(Object.entries(run.stack.outputs).map(async ([name, output]) => [name, String(await promiseOf(output))] as const));
      for (const [name, value] of outputs) {
        expect(secretFindings(value, Object.values(canaries)), `${label} output ${name}`).to.deep.equal([]);
        expect(naming(value), `${label}: output ${name} names the id key`).to.equal(false);
      }
    }
  });

  describe("the rules themselves can fail", () => {
    it("wildcards: flags sqs:*, Resource *, NotAction and a * principal in an Allow, but not a Deny", () => {
      const bad: Statement[] = [
        { Effect: "Allow", Action: ["sqs:*"], Resource: ["arn:aws:sqs:us-east-1:1:q"] },
        { Effect: "Allow", Action: "dynamodb:GetItem", Resource: "*" },
        { Sid: "inverted", Effect: "Allow", NotAction: "iam:*", Resource: "arn:aws:s3:::b" },
        { Sid: "anyone", Effect: "Allow", Principal: { AWS: "*" }, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/x" },
        { Effect: "Deny", Principal: "*", Action: "s3:*", Resource: "*" },
      ];
      expect(wildcardViolations(bad)).to.deep.equal([
        "statement 0: action sqs:*",
        "statement 1: resource *",
        "statement inverted: Allow with NotAction",
        "statement anyone: principal *",
      ]);
      expect(wildcardViolations([{ Effect: "Allow", Action: "logs:PutLogEvents", Resource: "arn:g:*" }], ["arn:g:*"])).to.deep.equal([]);
      expect(wildcardViolations([{ Effect: "Allow", Action: "logs:PutLogEvents", Resource: "arn:other:*" }], ["arn:g:*"])).to.have.length(1);
    });

    it("bucket policy: flags a public read, a read without the distribution's SourceArn, and a missing TLS deny", () => {
      const bucket = "arn:aws:s3:::site";
      const distribution = "arn:aws:cloudfront::1:distribution/D";
      const publicRead: Statement[] = [{ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: `${bucket}/*` }];
      expect(bucketPolicyViolations(publicRead, bucket, distribution)).to.deep.equal([
        "statement 0: principal *",
        'Allow to "*", not CloudFront',
        `Allow without AWS:SourceArn = ${distribution}`,
        "no Deny of every s3 action on the bucket and its objects when aws:SecureTransport is false",
      ]);
      const anyDistribution: Statement[] = [{ Effect: "Allow", Principal: { Service: "cloudfront.amazonaws.com" }, Action: "s3:GetObject", Resource: `${bucket}/*` }];
      expect(bucketPolicyViolations(anyDistribution, bucket, distribution)).to.include(`Allow without AWS:SourceArn = ${distribution}`);
    });

    it("secrets: finds an access key id, a private key, the credentials file's key name and a known value", () => {
      expect(secretFindings('const k = "AKIAIOSFODNN7EXAMPLE";')).to.deep.equal(["AWS access key id"]);
      expect(secretFindings("-----BEGIN RSA PRIVATE KEY-----\nMIIE")).to.deep.equal(["private key"]);
      expect(secretFindings("aws_secret_access_key = x", ["hunter2"])).to.deep.equal(["aws_secret_access_key"]);
      expect(secretFindings("password is hunter2", ["hunter2"])).to.deep.equal(["the known secret hunt…"]);
      expect(environmentSecretFindings({ DB_PASSWORD: "x", KEY: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", TABLE: "jobs" })).to.deep.equal([
        "DB_PASSWORD: a credential's name",
        "KEY: shaped like a secret access key",
      ]);
    });

    it("secret inputs: finds a secret string, a password and imported key material at any depth, not a switch", () => {
      const inputs = { secretString: "x", nested: { list: [{ masterPassword: "y" }] }, keyMaterialBase64: "z", skipCredentialsValidation: "true", enabled: true };
      expect(secretInputs(inputs)).to.deep.equal(["inputs.secretString", "inputs.nested.list.0.masterPassword", "inputs.keyMaterialBase64"]);
    });
  });
});

/** A function's grants as `action resource`, resources abstracted like the recorded calls. */
async function grantsOf(run: ProgramRun, fn: DeclaredResource): Promise<Set<string>> {
  const role = ofType(run, "aws:iam/role:Role").find((candidate) => candidate.state.arn === fn.inputs.role);
  expect(role, `${fn.name}'s role`).to.not.equal(undefined);
  const policies = ofType(run, "aws:iam/rolePolicy:RolePolicy").filter((policy) => policy.inputs.role === role!.id);
  const logGroup = ofType(run, "aws:cloudwatch/logGroup:LogGroup").find((group) => group.state.name === fn.inputs.loggingConfig?.logGroup);
  expect(logGroup, `${fn.name}'s log group`).to.not.equal(undefined);
  const grants = new Set<string>();
  for (const policy of policies) {
    for (const statement of JSON.parse(policy.inputs.policy).Statement as Statement[]) {
      expect(statement.Effect, `${fn.name}: only Allow statements`).to.equal("Allow");
      for (const action of strings(statement.Action)) {
        for (const resource of strings(statement.Resource)) {
          grants.add(`${action} ${resource === `${logGroup!.state.arn}:*` ? OWN_LOG_GROUP : await abstractArn(run, resource)}`);
        }
      }
    }
  }
  return grants;
}

/** The id key's ARN as the program declared it. */
function idKeyArnOf(run: ProgramRun): string {
  return named(run, "cloudqueue-id-key", "aws:kms/key:Key").state.arn;
}

/** `table`, `table/index/<name>`, `queue`, `dlq`, `idKey` for the program's own ARNs (awaited from its outputs); the ARN itself otherwise. */
async function abstractArn(run: ProgramRun, arn: string): Promise<string> {
  if (arn === (await promiseOf(run.stack.idKey.arn))) return "idKey";
  const tableArn = await promiseOf(run.stack.table.arn);
  if (arn === tableArn) return "table";
  if (arn.startsWith(`${tableArn}/index/`) && !arn.includes("*")) return `table/index/${arn.slice(tableArn.length + "/index/".length)}`;
  if (arn === (await promiseOf(run.stack.queues.queue.arn))) return "queue";
  if (arn === (await promiseOf(run.stack.queues.deadLetterQueue.arn))) return "dlq";
  if (run.stack.schedules && arn === (await promiseOf(run.stack.schedules.deadLetterQueue.arn))) return "scheduleDlq";
  return arn;
}

/** The handlers' JSON lines go to stdout on Lambda; here nowhere, unless CLOUDQUEUE_TEST_LOGS asks for them. */
const HANDLER_LOGS = process.env.CLOUDQUEUE_TEST_LOGS ? {} : { writeLog: () => {} };

/** The environment the program declared for a function, pointed at the emulators. */
function environmentFor(run: ProgramRun, fn: string, emulators: Emulators, overrides: Record<string, string> = {}): Record<string, string> {
  const declared: Record<string, string> = named(run, `cloudqueue-${fn}`, "aws:lambda/function:Function").inputs.environment.variables;
  return { ...declared, [ENV.tableName]: emulators.tableName, [ENV.queueUrl]: emulators.queueUrl, ...overrides };
}

async function call(api: ReturnType<typeof createApiLambda>, request: ApiRequest): Promise<{ status: number; json: any }> {
  const response = await api(apiEvent(request));
  return { status: response.statusCode, json: response.body ? JSON.parse(response.body) : undefined };
}

/** Every route of the api handler, replays and refusals included. */
/** The API calls the api handler made while {@link recordApi} ran (SendMessageBatch: the batch route). */
const apiOperations = new Set<string>();

async function recordApi(run: ProgramRun, emulators: Emulators): Promise<Set<string>> {
  const recorder = new CallRecorder(emulators, idKeyArnOf(run));
  const api = createApiLambda(environmentFor(run, "api", emulators), recorder.clients(), HANDLER_LOGS);
  const body = { type: "text.transform", payload: { text: "who may call what" } };
  const headers = { "Idempotency-Key": `security-${randomUUID()}` };
  const created = await call(api, { method: "POST", path: "/jobs", body, headers });
  expect(created.status).to.equal(202);
  expect((await call(api, { method: "POST", path: "/jobs", body, headers })).status).to.equal(200);
  expect((await call(api, { method: "POST", path: "/jobs", body: { ...body, payload: { text: "other" } }, headers })).status).to.equal(422);
  expect((await call(api, { method: "POST", path: "/jobs", body: { type: "hash.digest", payload: { text: "x", algorithm: "sha256" } } })).status).to.equal(202);
  expect((await call(api, { method: "GET", path: `/jobs/${created.json.jobId}` })).status).to.equal(200);
  expect((await call(api, { method: "GET", path: `/jobs/${randomUUID()}` })).status).to.equal(404);
  expect((await call(api, { method: "GET", path: "/job-types" })).status).to.equal(200);
  expect((await call(api, { method: "DELETE", path: `/jobs/${created.json.jobId}` })).status).to.equal(200);
  expect((await call(api, { method: "POST", path: `/jobs/${created.json.jobId}/retry` })).status).to.equal(202);
  expect((await call(api, { method: "POST", path: `/jobs/${created.json.jobId}/retry` })).status).to.equal(409);
  const page = await call(api, { method: "GET", path: "/jobs?limit=1" });
  expect(page.status).to.equal(200);
  expect((await call(api, { method: "GET", path: `/jobs?limit=1&cursor=${page.json.nextCursor}` })).status).to.equal(200);
  expect((await call(api, { method: "GET", path: "/jobs?status=FAILED" })).status).to.equal(200);
  expect((await call(api, { method: "GET", path: "/jobs/summary" })).status).to.equal(200);
  expect((await call(api, { method: "POST", path: "/jobs/bulk/cancel", body: { filter: {}, dryRun: true } })).status).to.equal(200);
  const bulkKey = { "Idempotency-Key": `security-bulk-${randomUUID()}` };
  expect((await call(api, { method: "POST", path: "/jobs/bulk/cancel", body: { filter: {} }, headers: bulkKey })).status).to.equal(200);
  expect((await call(api, { method: "POST", path: "/jobs/bulk/cancel", body: { filter: {} }, headers: bulkKey })).status).to.equal(200);
  expect((await call(api, { method: "POST", path: "/jobs/bulk/retry", body: { jobIds: [created.json.jobId] } })).status).to.equal(200);
  expect((await call(api, { method: "GET", path: "/openapi.json" })).status).to.equal(200);
  const batchKey = `security-batch-${randomUUID()}`;
  const batch = await call(api, { method: "POST", path: "/jobs/batch", body: { jobs: [body, { ...body, idempotencyKey: batchKey }, { ...body, idempotencyKey: batchKey }, { ...body, payload: {} }] } });
  expect(batch.status).to.equal(200);
  expect(batch.json.results.map((result: { status: number }) => result.status)).to.deep.equal([202, 202, 200, 400]);
  // A schedule's fire, delivered twice (Scheduler delivers at least once): one job.
  const fire = { cloudqueue: "schedule-fire", schedule: "security-review", scheduledTime: "2026-12-03T03:00:00Z", type: "text.transform", payload: { text: "fired" } } as const;
  const fired = await api(fire);
  expect(fired.outcome).to.equal("created");
  expect(await api(fire)).to.deep.include({ outcome: "replayed", jobId: fired.jobId });
  for (const operation of recorder.operations) apiOperations.add(operation);
  return recorder.calls;
}

/** A success, a retryable failure (backoff), a poison message and a duplicate of a finished job. */
async function recordWorker(run: ProgramRun, emulators: Emulators): Promise<Set<string>> {
  await drain(emulators);
  const submit = createApiLambda(environmentFor(run, "api", emulators), { dynamo: emulators.dynamo, sqs: emulators.sqs }, HANDLER_LOGS);
  const ok = await call(submit, { method: "POST", path: "/jobs", body: { type: "text.transform", payload: { text: "fine" } } });
  const flaky = await call(submit, { method: "POST", path: "/jobs", body: { type: "demo.unreliable", payload: { sleepMs: 0, failAttempts: 1, permanent: false } } });
  expect([ok.status, flaky.status]).to.deep.equal([202, 202]);
  await emulators.sqs.send(new SendMessageCommand({ QueueUrl: emulators.queueUrl, MessageBody: "not a job message" }));

  const recorder = new CallRecorder(emulators, idKeyArnOf(run));
  const worker = createWorkerLambda(environmentFor(run, "worker", emulators), recorder.clients(), HANDLER_LOGS);
  const events = new SqsEventSource(emulators.sqs, emulators.queueUrl, emulators.queueArn);
  const first = await receiveAll(events, 3);
  const response = await worker(events.toEvent(first), lambdaContext(60_000));
  expect(response.batchItemFailures).to.have.length(2);
  await events.settle(first, response);

  await emulators.sqs.send(new SendMessageCommand({ QueueUrl: emulators.queueUrl, MessageBody: JSON.stringify({ jobId: ok.json.jobId }) }));
  // The backed-off messages may come back in the same receive: the worker settles them as usual.
  const duplicate = await receiveAll(events, 1);
  await events.settle(duplicate, await worker(events.toEvent(duplicate), lambdaContext(60_000)));
  return recorder.calls;
}

/** A job never picked up, a crashed attempt with attempts left, and one out of attempts. */
async function recordSweeper(run: ProgramRun, emulators: Emulators): Promise<Set<string>> {
  const overrides = { [ENV.sweepGraceSeconds]: "1" };
  const submit = createApiLambda(environmentFor(run, "api", emulators, overrides), { dynamo: emulators.dynamo, sqs: emulators.sqs }, HANDLER_LOGS);
  const store = new DynamoJobStore(emulators.dynamo, settingsFromEnv(environmentFor(run, "api", emulators, overrides)));
  const jobIds: string[] = [];
  for (let n = 0; n < 3; n++) {
    const submitted = await call(submit, { method: "POST", path: "/jobs", body: { type: "text.transform", payload: { text: `stuck ${n}` } } });
    jobIds.push(submitted.json.jobId);
  }
  const past = Date.now() - 60_000;
  // A worker that crashed mid-run (claimed, lease over), and one that crashed on every attempt.
  const crash = (jobId: string, attempt: number) => store.claim(jobId, { claimToken: randomUUID(), nowMs: past + attempt * 10, leaseExpiresAtMs: past + attempt * 10 + 1 });
  expect((await crash(jobIds[1]!, 0)).claimed).to.equal(true);
  for (let attempt = 0; attempt < 3; attempt++) expect((await crash(jobIds[2]!, attempt)).claimed).to.equal(true);
  await new Promise((resolve) => setTimeout(resolve, 1_500));

  const recorder = new CallRecorder(emulators, idKeyArnOf(run));
  const sweeper = createSweeperLambda(environmentFor(run, "sweeper", emulators, overrides), recorder.clients(), HANDLER_LOGS);
  const report = await sweeper({});
  expect(report.requeued, JSON.stringify(report)).to.be.at.least(2);
  expect(report).to.include({ timedOut: 1 });
  return recorder.calls;
}

async function receiveAll(events: SqsEventSource, count: number) {
  const messages = [];
  const deadline = Date.now() + 10_000;
  while (messages.length < count && Date.now() < deadline) messages.push(...(await events.receive(10, 1)));
  expect(messages.length, "messages received").to.be.at.least(count);
  return messages;
}

/** Deletes what the api scenario left in the queue, so the worker sees only its own messages. */
async function drain(emulators: Emulators): Promise<void> {
  const events = new SqsEventSource(emulators.sqs, emulators.queueUrl, emulators.queueArn);
  for (;;) {
    const messages = await events.receive(10, 0);
    if (messages.length === 0) return;
    await events.settle(messages, { batchItemFailures: [] });
  }
}
