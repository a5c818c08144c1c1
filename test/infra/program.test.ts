import { expect } from "chai";
import * as vm from "node:vm";
import * as pulumi from "@pulumi/pulumi";
import * as path from "node:path";
import { apiPathPrefixes, routeKey, routes } from "../../handlers/routes";
import { SITE_CONTENT_SECURITY_POLICY } from "../../handlers/siteServing";
import { RUNTIME_PROVIDED_PACKAGES } from "../../infra/serviceFunction";
import { awsProviderSettings } from "../../infra/stack";
import packageJson from "../../package.json";
import { ENV, JOB_TABLE } from "../../handlers/settings";
import { named, ofType, promiseOf, sharedRun, siteFixture, type DeclaredResource, type ProgramRun } from "./program";

/** A non-default configuration, to prove each key reaches its resource. */
const TUNED = {
  alertEmail: "ops@example.com",
  monthlyBudgetUsd: 25,
  workerTimeoutSeconds: 90,
  visibilityTimeoutFactor: 7,
  maxReceiveCount: 8,
  batchSize: 20,
  maxBatchingWindowSeconds: 2,
  maxConcurrency: 7,
  corsAllowedOrigins: ["https://admin.example.com"],
  pointInTimeRecovery: true,
  deletionProtection: true,
  logRetentionDays: 30,
  apiThrottleRateLimit: 5,
  apiThrottleBurstLimit: 9,
  logLevel: "DEBUG",
};

const FUNCTIONS = ["api", "worker", "sweeper"] as const;
type FunctionName = (typeof FUNCTIONS)[number];

function lambda(run: ProgramRun, fn: FunctionName): DeclaredResource {
  return named(run, `cloudqueue-${fn}`, "aws:lambda/function:Function");
}

/** The statements of the inline policy attached to a function's own role. */
function policyOf(run: ProgramRun, fn: FunctionName): Array<{ Effect: string; Action: string[]; Resource: string[] }> {
  const role = ofType(run, "aws:iam/role:Role").find((candidate) => candidate.state.arn === lambda(run, fn).inputs.role);
  expect(role, `${fn}'s role`).to.not.equal(undefined);
  const policies = ofType(run, "aws:iam/rolePolicy:RolePolicy").filter((policy) => policy.inputs.role === role!.id);
  expect(policies, `${fn}'s inline policies`).to.have.length(1);
  return JSON.parse(policies[0]!.inputs.policy).Statement;
}

describe("infra: the Pulumi program under mocks", function () {
  this.timeout(60_000);
  let defaults: ProgramRun;
  let tuned: ProgramRun;
  const site = siteFixture();

  before(async () => {
    defaults = await sharedRun({}, site);
    tuned = await sharedRun(TUNED, site);
  });

  describe("provider", () => {
    it("declares every AWS resource with one provider that tags it with the stack", () => {
      const providers = defaults.resources.filter((resource) => resource.type === "pulumi:providers:aws");
      expect(providers.map((provider) => provider.name)).to.deep.equal(["cloudqueue-aws"]);
      const raw = providers[0]!.inputs.defaultTags;
      const defaultTags = typeof raw === "string" ? JSON.parse(raw) : raw;
      expect(defaultTags.tags).to.deep.include({ "cloudqueue-stack": "test", "cloudqueue-project": "cloudqueue" });
      const reference = `${providers[0]!.state.urn ?? ""}`;
      const untagged = defaults.resources.filter((resource) => resource.type.startsWith("aws:") && !resource.provider?.includes("::cloudqueue-aws::"));
      expect(untagged.map((resource) => `${resource.type} ${resource.name}`), reference).to.deep.equal([]);
    });
  });

  describe("provider settings", () => {
    it("passes every aws: config key to the explicit provider, which reads none by itself", () => {
      const settings = awsProviderSettings({
        "aws:region": "eu-west-1",
        "aws:profile": "ops",
        "aws:assumeRoles": JSON.stringify([{ roleArn: "arn:aws:iam::123456789012:role/deploy" }]),
        "aws:allowedAccountIds": JSON.stringify(["123456789012"]),
        "cloudqueue:alertEmail": "ops@example.com",
      });
      expect(settings).to.deep.equal({ region: "eu-west-1", profile: "ops", assumeRoles: [{ roleArn: "arn:aws:iam::123456789012:role/deploy" }], allowedAccountIds: ["123456789012"] });
    });

    it("keeps a secret aws: key, and any credential, secret in the provider's inputs", async () => {
      const settings = awsProviderSettings({ "aws:secretKey": "abc", "aws:token": "t", "aws:region": "eu-west-1" }, (key) => key === "aws:token");
      expect(pulumi.Output.isInstance(settings.secretKey)).to.equal(true);
      expect(await pulumi.isSecret(settings.secretKey as pulumi.Output<string>)).to.equal(true);
      expect(await pulumi.isSecret(settings.token as pulumi.Output<string>)).to.equal(true);
      expect(settings.region).to.equal("eu-west-1");
    });
  });

  describe("outputs", () => {
    it("resolve to the API endpoint, the CDN URL, the table, both queues and the dashboard", async () => {
      const outputs = defaults.stack.outputs;
      const api = named(defaults, "cloudqueue-api", "aws:apigatewayv2/api:Api");
      expect(await promiseOf(outputs.apiUrl)).to.equal(api.state.apiEndpoint);
      expect(await promiseOf(outputs.siteUrl)).to.equal(`https://${named(defaults, "cloudqueue-site-cdn").state.domainName}`);
      expect(await promiseOf(outputs.tableName)).to.equal(named(defaults, "cloudqueue-jobs", "aws:dynamodb/table:Table").state.name);
      expect(await promiseOf(outputs.queueUrl)).to.equal(named(defaults, "cloudqueue-queue").state.url);
      expect(await promiseOf(outputs.dlqUrl)).to.equal(named(defaults, "cloudqueue-dlq").state.url);
      const dashboard = named(defaults, "cloudqueue-dashboard").inputs.dashboardName;
      expect(await promiseOf(outputs.dashboardUrl)).to.equal(`https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#dashboards/dashboard/${dashboard}`);
    });
  });

  describe("table", () => {
    it("is on-demand with the key, the sparse sweep index and TTL from JOB_TABLE", () => {
      const table = named(defaults, "cloudqueue-jobs", "aws:dynamodb/table:Table").inputs;
      expect(table.billingMode).to.equal("PAY_PER_REQUEST");
      expect(table.hashKey).to.equal(JOB_TABLE.hashKey);
      expect(table.globalSecondaryIndexes).to.deep.equal([
        { name: JOB_TABLE.sweepIndex.name, hashKey: JOB_TABLE.sweepIndex.hashKey, rangeKey: JOB_TABLE.sweepIndex.rangeKey, projectionType: "KEYS_ONLY" },
        { name: "by-owner-created", hashKey: "listShard", rangeKey: "listKey", projectionType: "INCLUDE", nonKeyAttributes: ["type"] },
        { name: "by-owner-done", hashKey: "doneShard", rangeKey: "listKey", projectionType: "INCLUDE", nonKeyAttributes: ["type"] },
      ]);
      expect(table.attributes).to.deep.equal([
        { name: "jobId", type: "S" },
        { name: "sweepShard", type: "N" },
        { name: "sweepAt", type: "N" },
        { name: "listShard", type: "N" },
        { name: "listKey", type: "S" },
        { name: "doneShard", type: "S" },
      ]);
      expect(table.ttl).to.deep.equal({ attributeName: JOB_TABLE.ttlAttribute, enabled: true });
    });

    it("switches point-in-time recovery and deletion protection per stack", () => {
      const off = named(defaults, "cloudqueue-jobs", "aws:dynamodb/table:Table").inputs;
      const on = named(tuned, "cloudqueue-jobs", "aws:dynamodb/table:Table").inputs;
      expect([off.pointInTimeRecovery.enabled, off.deletionProtectionEnabled]).to.deep.equal([false, false]);
      expect([on.pointInTimeRecovery.enabled, on.deletionProtectionEnabled]).to.deep.equal([true, true]);
    });
  });

  describe("queues", () => {
    for (const [label, config] of [["defaults", {}], ["tuned", TUNED]] as const) {
      it(`keeps the visibility timeout at least 6 × the worker's timeout (${label})`, () => {
        const run = label === "defaults" ? defaults : tuned;
        const queue = named(run, "cloudqueue-queue").inputs;
        const workerTimeout = lambda(run, "worker").inputs.timeout;
        expect(workerTimeout).to.equal((config as { workerTimeoutSeconds?: number }).workerTimeoutSeconds ?? 60);
        expect(queue.visibilityTimeoutSeconds).to.be.at.least(6 * workerTimeout);
      });
    }

    it("redrives to the DLQ after the configured maxReceiveCount, and the DLQ allows only this queue", () => {
      const queue = named(tuned, "cloudqueue-queue");
      const dlq = named(tuned, "cloudqueue-dlq");
      expect(JSON.parse(queue.inputs.redrivePolicy)).to.deep.equal({ deadLetterTargetArn: dlq.state.arn, maxReceiveCount: 8 });
      const allow = named(tuned, "cloudqueue-dlq-allow").inputs;
      expect(allow.queueUrl).to.equal(dlq.state.url);
      expect(JSON.parse(allow.redriveAllowPolicy)).to.deep.equal({ redrivePermission: "byQueue", sourceQueueArns: [queue.state.arn] });
    });

    it("encrypts both queues and keeps dead letters 14 days", () => {
      expect(named(defaults, "cloudqueue-queue").inputs.sqsManagedSseEnabled).to.equal(true);
      expect(named(defaults, "cloudqueue-dlq").inputs.sqsManagedSseEnabled).to.equal(true);
      expect(named(defaults, "cloudqueue-dlq").inputs.messageRetentionSeconds).to.equal(1_209_600);
    });
  });

  describe("functions", () => {
    it("run nodejs22.x on arm64 with JSON logs into their own log group", () => {
      for (const fn of FUNCTIONS) {
        const inputs = lambda(tuned, fn).inputs;
        const logGroup = named(tuned, `cloudqueue-${fn}-logs`);
        expect(inputs.runtime, fn).to.equal("nodejs22.x");
        expect(inputs.architectures, fn).to.deep.equal(["arm64"]);
        expect(inputs.handler, fn).to.equal("__index.handler");
        // System INFO keeps Lambda's platform records (START/REPORT: duration, billed duration, memory, init).
        expect(inputs.loggingConfig, fn).to.include({ logFormat: "JSON", logGroup: logGroup.state.name, applicationLogLevel: "DEBUG", systemLogLevel: "INFO" });
        expect(logGroup.inputs.retentionInDays, fn).to.equal(30);
      }
    });

    it("filter application logs at logLevel, INFO by default, so the INFO transition records and their metrics are kept", () => {
      for (const fn of FUNCTIONS) {
        expect(lambda(defaults, fn).inputs.loggingConfig.applicationLogLevel, fn).to.equal("INFO");
        expect(lambda(tuned, fn).inputs.loggingConfig.applicationLogLevel, fn).to.equal("DEBUG");
      }
    });

    it("emit their metrics in the stack's own namespace, CloudQueue/<stack>", () => {
      for (const fn of FUNCTIONS) {
        expect(lambda(defaults, fn).inputs.environment.variables[ENV.metricsNamespace], fn).to.equal("CloudQueue/test");
      }
    });

    it("pass the table and queue names through the environment", () => {
      const table = named(defaults, "cloudqueue-jobs", "aws:dynamodb/table:Table").state;
      const queue = named(defaults, "cloudqueue-queue").state;
      for (const fn of FUNCTIONS) {
        const variables = lambda(defaults, fn).inputs.environment.variables;
        expect(variables[ENV.tableName], fn).to.equal(table.name);
        expect(variables[ENV.queueUrl], fn).to.equal(queue.url);
      }
    });

    it("leave the runtime's SDK out of each archive without CallbackFunction altering the shared package list", () => {
      const sdkPackages = Object.keys(packageJson.dependencies).filter((name) => name.startsWith("@aws-sdk/"));
      // CallbackFunction appends "aws-sdk" to the array it is given: the list itself must stay as declared.
      expect([...RUNTIME_PROVIDED_PACKAGES]).to.deep.equal(sdkPackages);
    });

    it("run the sweeper's asynchronous invocations once: no Lambda retries on top of the next scheduled run, no late events", () => {
      const config = named(defaults, "cloudqueue-sweeper-async").inputs;
      expect(config).to.deep.equal({ functionName: lambda(defaults, "sweeper").state.name, maximumRetryAttempts: 0, maximumEventAgeInSeconds: 60 });
    });

    it("never get CallbackFunction's default managed policies", () => {
      expect(ofType(defaults, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")).to.deep.equal([]);
      expect(ofType(defaults, "aws:iam/role:Role").map((role) => role.name).sort()).to.deep.equal(["cloudqueue-api-role", "cloudqueue-sweeper-role", "cloudqueue-worker-role"]);
    });

    it("each hold exactly the actions they use, on exact ARNs, and no wildcard", () => {
      const table = named(defaults, "cloudqueue-jobs", "aws:dynamodb/table:Table").state.arn;
      const queue = named(defaults, "cloudqueue-queue").state.arn;
      const idKey = named(defaults, "cloudqueue-id-key", "aws:kms/key:Key").state.arn;
      const logs = (fn: FunctionName) => `${named(defaults, `cloudqueue-${fn}-logs`).state.arn}:*`;
      const expected: Record<FunctionName, Array<[string[], string[]]>> = {
        api: [
          [["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:BatchGetItem"], [table]],
          [["dynamodb:Query"], [`${table}/index/${JOB_TABLE.listIndex.name}`, `${table}/index/${JOB_TABLE.doneIndex.name}`]],
          [["sqs:SendMessage"], [queue]],
          [["kms:GenerateMac"], [idKey]],
          [["logs:CreateLogStream", "logs:PutLogEvents"], [logs("api")]],
        ],
        worker: [
          [["dynamodb:GetItem", "dynamodb:UpdateItem"], [table]],
          [["sqs:ChangeMessageVisibility", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"], [queue]],
          [["logs:CreateLogStream", "logs:PutLogEvents"], [logs("worker")]],
        ],
        sweeper: [
          [["dynamodb:Query"], [`${table}/index/${JOB_TABLE.sweepIndex.name}`]],
          [["dynamodb:GetItem", "dynamodb:UpdateItem"], [table]],
          [["sqs:SendMessage"], [queue]],
          [["logs:CreateLogStream", "logs:PutLogEvents"], [logs("sweeper")]],
        ],
      };
      for (const fn of FUNCTIONS) {
        const statements = policyOf(defaults, fn);
        expect(statements.map((statement) => [statement.Action, statement.Resource]), fn).to.deep.equal(expected[fn]);
        expect(statements.every((statement) => statement.Effect === "Allow"), fn).to.equal(true);
        // The one star allowed: the log streams of the function's own log group.
        const actions = statements.flatMap((statement) => statement.Action);
        const resources = statements.flatMap((statement) => statement.Resource).map((arn) => (arn.includes(":log-group:") ? arn.replace(/:\*$/, "") : arn));
        expect([...actions, ...resources].filter((value) => value.includes("*")), fn).to.deep.equal([]);
      }
    });

    it("map the queue to the worker with partial batch responses and the configured batching", () => {
      const mapping = named(tuned, "cloudqueue-worker-mapping").inputs;
      expect(mapping.eventSourceArn).to.equal(named(tuned, "cloudqueue-queue").state.arn);
      expect(mapping.functionName).to.equal(lambda(tuned, "worker").state.arn);
      expect(mapping.functionResponseTypes).to.deep.equal(["ReportBatchItemFailures"]);
      expect([mapping.batchSize, mapping.maximumBatchingWindowInSeconds, mapping.scalingConfig.maximumConcurrency]).to.deep.equal([20, 2, 7]);
    });

    it("run the sweeper every minute through a rule allowed to invoke it", () => {
      const rule = named(defaults, "cloudqueue-sweep-schedule");
      const sweeper = lambda(defaults, "sweeper");
      expect(rule.inputs.scheduleExpression).to.equal("rate(1 minute)");
      expect(named(defaults, "cloudqueue-sweep-target").inputs).to.include({ rule: rule.state.name, arn: sweeper.state.arn });
      expect(named(defaults, "cloudqueue-sweep-invoke").inputs).to.include({
        function: sweeper.state.name,
        principal: "events.amazonaws.com",
        sourceArn: rule.state.arn,
        action: "lambda:InvokeFunction",
      });
    });
  });

  describe("HTTP API", () => {
    it("declares one route per route-table entry, each reaching the api function through the payload 2.0 integration and its own permission", () => {
      const api = named(defaults, "cloudqueue-api", "aws:apigatewayv2/api:Api");
      const integration = named(defaults, "cloudqueue-lambda");
      const fn = lambda(defaults, "api");
      expect(integration.inputs).to.include({ apiId: api.id, integrationType: "AWS_PROXY", integrationUri: fn.state.arn, payloadFormatVersion: "2.0" });
      const declared = ofType(defaults, "aws:apigatewayv2/route:Route").filter((route) => route.inputs.routeKey !== "$default");
      expect(declared.map((route) => route.inputs.routeKey).sort()).to.deep.equal(routes.map(routeKey).sort());
      for (const route of routes) {
        const declaredRoute = declared.find((candidate) => candidate.inputs.routeKey === routeKey(route))!;
        expect(declaredRoute.inputs).to.include({ apiId: api.id, target: `integrations/${integration.id}` });
        const permission = named(defaults, `cloudqueue-${route.operation}-invoke`).inputs;
        expect(permission).to.include({ function: fn.state.name, principal: "apigateway.amazonaws.com", action: "lambda:InvokeFunction" });
        expect(permission.sourceArn).to.equal(`${api.state.executionArn}/*/${route.method}${route.path.replace(/\{\w+\}/g, "*")}`);
      }
    });

    it("sends every request no route matched to the api function through a $default route, with its own permission", () => {
      const api = named(defaults, "cloudqueue-api", "aws:apigatewayv2/api:Api");
      const integration = named(defaults, "cloudqueue-lambda");
      const route = ofType(defaults, "aws:apigatewayv2/route:Route").filter((candidate) => candidate.inputs.routeKey === "$default");
      expect(route).to.have.length(1);
      expect(route[0]!.inputs).to.include({ apiId: api.id, target: `integrations/${integration.id}` });
      expect(route[0]!.inputs.authorizationType ?? "NONE").to.equal("NONE");
      const permission = named(defaults, "cloudqueue-default-route-invoke").inputs;
      expect(permission).to.include({ function: lambda(defaults, "api").state.name, principal: "apigateway.amazonaws.com", action: "lambda:InvokeFunction" });
      expect(permission.sourceArn).to.equal(`${api.state.executionArn}/*/*`);
      // The stage waits for every route, $default included.
      expect(named(defaults, "cloudqueue-stage").dependsOn).to.include("cloudqueue-default-route");
    });

    it("deploys a throttled $default stage automatically", () => {
      const stage = named(tuned, "cloudqueue-stage").inputs;
      expect(stage).to.include({ name: "$default", autoDeploy: true, apiId: named(tuned, "cloudqueue-api", "aws:apigatewayv2/api:Api").id });
      expect(stage.defaultRouteSettings).to.deep.equal({ throttlingRateLimit: 5, throttlingBurstLimit: 9 });
    });

    it("allows the configured origins by CORS (the page is same-origin), exposing the headers a browser client reads", async () => {
      const cors = named(tuned, "cloudqueue-api", "aws:apigatewayv2/api:Api").inputs.corsConfiguration;
      expect(cors.allowOrigins).to.deep.equal(["https://admin.example.com"]);
      expect(cors.exposeHeaders).to.include.members(["location", "retry-after", "idempotent-replayed"]);
      expect(cors.allowHeaders).to.include("content-type").and.include("idempotency-key");
    });
  });

  describe("site", () => {
    it("keeps the bucket private: every public access blocked, reads only by this distribution, TLS only", () => {
      const bucket = named(defaults, "cloudqueue-site-bucket").state;
      const block = named(defaults, "cloudqueue-site-public-access").inputs;
      expect(block).to.deep.equal({ bucket: `cloudqueue-site-bucket-id`, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true });
      const policy = JSON.parse(named(defaults, "cloudqueue-site-policy").inputs.policy);
      const [read, tls] = policy.Statement;
      expect(read).to.deep.include({ Effect: "Allow", Principal: { Service: "cloudfront.amazonaws.com" }, Action: "s3:GetObject", Resource: `${bucket.arn}/*` });
      expect(read.Condition).to.deep.equal({ StringEquals: { "AWS:SourceArn": named(defaults, "cloudqueue-site-cdn").state.arn } });
      expect(tls).to.deep.include({ Effect: "Deny", Principal: "*", Action: "s3:*", Condition: { Bool: { "aws:SecureTransport": "false" } } });
      expect(tls.Resource).to.deep.equal([bucket.arn, `${bucket.arn}/*`]);
      expect(policy.Statement.filter((statement: { Effect: string; Principal: unknown }) => statement.Effect === "Allow" && statement.Principal === "*")).to.deep.equal([]);
    });

    it("configures the bucket one call at a time: public access block, then ownership, then encryption, then the policy (S3 aborts concurrent ones)", () => {
      expect(named(defaults, "cloudqueue-site-ownership").dependsOn).to.include("cloudqueue-site-public-access");
      expect(named(defaults, "cloudqueue-site-encryption").dependsOn).to.include("cloudqueue-site-ownership");
      expect(named(defaults, "cloudqueue-site-policy").dependsOn).to.include.members(["cloudqueue-site-public-access", "cloudqueue-site-encryption"]);
    });

    it("uses CloudFront's default certificate with the TLSv1 policy CloudFront applies to it, so that a preview converges", () => {
      expect(named(defaults, "cloudqueue-site-cdn").inputs.viewerCertificate).to.deep.equal({ cloudfrontDefaultCertificate: true, minimumProtocolVersion: "TLSv1" });
      expect(named(defaults, "cloudqueue-site-cdn").inputs.aliases ?? []).to.deep.equal([]);
    });

    it("serves a configured domain with its us-east-1 certificate at TLS 1.2 or later, and names it as the site's URL", async () => {
      const certificateArn = "arn:aws:acm:us-east-1:123456789012:certificate/0b4f8c8e-6a8e-4e8e-9a8e-0b4f8c8e6a8e";
      const custom = await sharedRun({ siteDomain: "queue.example.com", siteCertificateArn: certificateArn }, site);
      const distribution = named(custom, "cloudqueue-site-cdn").inputs;
      expect(distribution.aliases).to.deep.equal(["queue.example.com"]);
      expect(distribution.viewerCertificate).to.deep.equal({ acmCertificateArn: certificateArn, sslSupportMethod: "sni-only", minimumProtocolVersion: "TLSv1.2_2021" });
      expect(await promiseOf(custom.stack.outputs.siteUrl)).to.equal("https://queue.example.com");
    });

    it("answers a path the site does not have with a 404 page, and passes every site file on to S3", async () => {
      const fn = named(defaults, "cloudqueue-site-not-found").inputs;
      expect(fn).to.include({ runtime: "cloudfront-js-2.0", publish: true });
      const behaviour = named(defaults, "cloudqueue-site-cdn").inputs.defaultCacheBehavior;
      expect(behaviour.functionAssociations).to.deep.equal([{ eventType: "viewer-request", functionArn: named(defaults, "cloudqueue-site-not-found").state.arn }]);
      // Run the function's code as CloudFront would, on the fixture's files and on strangers.
      const sandbox: { handler?: (event: unknown) => any } = {};
      vm.runInNewContext(`${fn.code}\nthis.handler = handler;`, sandbox);
      for (const uri of ["/", "/index.html", "/app.js", "/img/logo.svg", "/config.json"]) {
        expect(sandbox.handler!({ request: { uri } }), uri).to.deep.equal({ uri });
      }
      for (const uri of ["/nope", "/index.htm", "/img/", "/tsconfig.json", "/.env"]) {
        const response = sandbox.handler!({ request: { uri } });
        expect(response.statusCode, uri).to.equal(404);
        expect(response.headers["content-type"].value).to.match(/^text\/html/);
        expect(response.body.data).to.match(/Not found/i);
      }
    });

    it("keeps the 404 function within CloudFront Functions' 10 KB code limit with the real site, serving site/404.html", async () => {
      const siteDir = path.join(__dirname, "..", "..", "site");
      const real = await sharedRun({}, siteDir);
      const code: string = named(real, "cloudqueue-site-not-found").inputs.code;
      expect(Buffer.byteLength(code)).to.be.below(10 * 1024);
      const sandbox: { handler?: (event: unknown) => any } = {};
      vm.runInNewContext(`${code}\nthis.handler = handler;`, sandbox);
      expect(sandbox.handler!({ request: { uri: "/missing" } }).body.data).to.equal(require("node:fs").readFileSync(path.join(siteDir, "404.html"), "utf8"));
      // Every file the program publishes is passed on, the generated config.json included.
      const published = ofType(real, "aws:s3/bucketObjectv2:BucketObjectv2").map((object) => `/${object.inputs.key}`);
      expect(published).to.include("/config.json");
      for (const uri of ["/", ...published]) expect(sandbox.handler!({ request: { uri } }), uri).to.deep.equal({ uri });
    });

    it("serves the API on the site's own origin: each route prefix to API Gateway, uncached, all methods, Host replaced", async () => {
      const distribution = named(defaults, "cloudqueue-site-cdn").inputs;
      const api = named(defaults, "cloudqueue-api", "aws:apigatewayv2/api:Api").state;
      const apiOrigin = distribution.origins.find((origin: { originId: string }) => origin.originId === "http-api");
      expect(apiOrigin).to.deep.include({ domainName: new URL(api.apiEndpoint).host });
      expect(apiOrigin.customOriginConfig).to.include({ originProtocolPolicy: "https-only" });
      expect(apiOrigin.customOriginConfig.originSslProtocols).to.deep.equal(["TLSv1.2"]);
      const patterns = distribution.orderedCacheBehaviors.map((behaviour: { pathPattern: string }) => behaviour.pathPattern);
      expect(patterns).to.deep.equal(apiPathPrefixes().flatMap((prefix) => [prefix, `${prefix}/*`]));
      expect(patterns).to.include.members(["/jobs", "/jobs/*", "/job-types"]);
      for (const behaviour of distribution.orderedCacheBehaviors) {
        expect(behaviour).to.include({ targetOriginId: "http-api", viewerProtocolPolicy: "https-only", cachePolicyId: "4135ea2d-6df8-44a3-9df3-4b5a84be39ad", originRequestPolicyId: "b689b0a8-53d0-40ab-baf2-68738e2966ac" });
        expect(behaviour.allowedMethods).to.include.members(["GET", "POST", "DELETE", "OPTIONS"]);
      }
      // The page reads config.json for its API: its own origin, whatever name it was loaded by.
      const config = ofType(defaults, "aws:s3/bucketObjectv2:BucketObjectv2").find((object) => object.inputs.key === "config.json")!;
      expect(JSON.parse(config.inputs.content)).to.deep.equal({ apiUrl: "/", auth: "none" });
    });

    it("keeps no error answer in CloudFront's cache (its own 10 s default), naming no error page that would replace the API's", () => {
      const responses = named(defaults, "cloudqueue-site-cdn").inputs.customErrorResponses;
      expect(responses.map((response: { errorCode: number }) => response.errorCode)).to.include.members([403, 404, 500, 502, 503, 504]);
      for (const response of responses) expect(response, String(response.errorCode)).to.deep.equal({ errorCode: response.errorCode, errorCachingMinTtl: 0 });
    });

    it("serves the bucket through CloudFront with origin access control, HTTPS redirect and security headers", () => {
      const distribution = named(defaults, "cloudqueue-site-cdn").inputs;
      const oac = named(defaults, "cloudqueue-site-oac");
      const headers = named(defaults, "cloudqueue-site-security-headers");
      expect(distribution.origins).to.have.length(2);
      expect(distribution.origins[0]).to.include({
        domainName: named(defaults, "cloudqueue-site-bucket").state.bucketRegionalDomainName,
        originAccessControlId: oac.id,
      });
      expect(oac.inputs).to.include({ originAccessControlOriginType: "s3", signingBehavior: "always", signingProtocol: "sigv4" });
      expect(distribution.defaultCacheBehavior).to.include({ viewerProtocolPolicy: "redirect-to-https", responseHeadersPolicyId: headers.id });
      const security = headers.inputs.securityHeadersConfig;
      expect(security.strictTransportSecurity.accessControlMaxAgeSec).to.be.at.least(31_536_000);
      expect(security.contentTypeOptions.override).to.equal(true);
      expect(security.frameOptions.frameOption).to.equal("DENY");
      // The API is on the page's own origin: it may connect to nothing else.
      expect(security.contentSecurityPolicy.contentSecurityPolicy).to.equal(SITE_CONTENT_SECURITY_POLICY);
      expect(SITE_CONTENT_SECURITY_POLICY).to.include("connect-src 'self';").and.not.include("execute-api");
    });

    it("publishes every site file (not its tsconfig.json) with its content type, revalidated on every load, and a config.json carrying the page's API origin", async () => {
      const objects = ofType(defaults, "aws:s3/bucketObjectv2:BucketObjectv2");
      const bucketId = "cloudqueue-site-bucket-id";
      const byKey = Object.fromEntries(objects.map((object) => [object.inputs.key, object.inputs]));
      expect(Object.keys(byKey).sort()).to.deep.equal(["app.js", "config.json", "img/logo.svg", "index.html", "style.css"]);
      expect(objects.every((object) => object.inputs.bucket === bucketId)).to.equal(true);
      expect(byKey["index.html"].contentType).to.equal("text/html; charset=utf-8");
      expect(byKey["app.js"].contentType).to.equal("text/javascript; charset=utf-8");
      expect(byKey["style.css"].contentType).to.equal("text/css; charset=utf-8");
      expect(byKey["img/logo.svg"].contentType).to.equal("image/svg+xml");
      expect(byKey["config.json"].contentType).to.equal("application/json");
      // Unhashed module names: a cached old module must never meet a new index.html.
      expect(objects.map((object) => object.inputs.cacheControl)).to.satisfy((values: string[]) => values.every((value) => value === "no-cache"));
      // The folder's own config.json (for local use) is replaced: the API is on the page's origin.
      expect(JSON.parse(byKey["config.json"].content)).to.deep.equal({ apiUrl: "/", auth: "none" });
    });
  });

  describe("operations (the alarms themselves: observability.test.ts)", () => {
    it("declare no alarm, topic or budget when no email is configured", () => {
      for (const type of ["aws:cloudwatch/metricAlarm:MetricAlarm", "aws:sns/topic:Topic", "aws:sns/topicSubscription:TopicSubscription", "aws:budgets/budget:Budget"]) {
        expect(ofType(defaults, type), type).to.deep.equal([]);
      }
    });

    it("alarm on any message in the DLQ to an SNS email topic when an email is configured", () => {
      const topic = named(tuned, "cloudqueue-alerts");
      const alarm = named(tuned, "cloudqueue-dlq-not-empty").inputs;
      expect(alarm.dimensions).to.deep.equal({ QueueName: named(tuned, "cloudqueue-dlq").state.name });
      expect(alarm).to.include({ namespace: "AWS/SQS", metricName: "ApproximateNumberOfMessagesVisible", comparisonOperator: "GreaterThanThreshold", threshold: 0 });
      expect(alarm.alarmActions).to.deep.equal([topic.state.arn]);
      expect(named(tuned, "cloudqueue-alerts-email").inputs).to.include({ topic: topic.state.arn, protocol: "email", endpoint: "ops@example.com" });
    });

    it("set a monthly cost budget that mails the configured address", () => {
      const budget = named(tuned, "cloudqueue-monthly-budget").inputs;
      expect(budget).to.include({ budgetType: "COST", timeUnit: "MONTHLY", limitAmount: "25.00", limitUnit: "USD" });
      // Only this stack's resources (the provider's default tag), not the whole account.
      expect(budget.costFilters).to.deep.equal([{ name: "TagKeyValue", values: ["user:cloudqueue-stack$test"] }]);
      expect(budget.notifications.map((notification: { subscriberEmailAddresses: string[] }) => notification.subscriberEmailAddresses)).to.deep.equal([["ops@example.com"], ["ops@example.com"]]);
    });
  });
});
