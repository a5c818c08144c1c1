import * as os from "node:os";
import * as path from "node:path";
import * as fs from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import { parseConfig, type CloudQueueConfig } from "../../infra/config";
import { createCloudQueue, type CloudQueue } from "../../infra/stack";

/** One resource the program declared, as the mock engine saw it. */
export interface DeclaredResource {
  type: string;
  name: string;
  /** Resolved inputs (Outputs awaited, assets as asset objects). */
  inputs: Record<string, any>;
  /** What the mock answered: inputs plus the attributes AWS would compute. */
  state: Record<string, any>;
  id: string;
  /**
   * Names of the resources this one waits for before it is created: those its inputs name and
   * those its `dependsOn` lists (what the engine orders by; the mocks alone do not show it).
   */
  dependsOn: string[];
  /** The provider reference it is declared with (`urn::id`), if any. */
  provider: string | undefined;
}

/** Dependencies of each registration, by resource name, recorded from the engine requests. */
const dependenciesByName = new Map<string, string[]>();
/** The aliases each registration declares: the old parent URNs (or alias URNs) it answers to. */
export const aliasParentsByName = new Map<string, string[]>();
const originalRegister = MockMonitor.prototype.registerResource;
MockMonitor.prototype.registerResource = function (this: MockMonitor, req: any, callback: any) {
  const urns: string[] = [...req.getDependenciesList()];
  req.getPropertydependenciesMap().forEach((deps: any) => urns.push(...deps.getUrnsList()));
  dependenciesByName.set(req.getName(), [...new Set(urns.map((urn) => urn.split("::").pop()!))].sort());
  aliasParentsByName.set(req.getName(), [
    ...req.getAliasurnsList().map((urn: string) => urn.split("::").at(-2)!),
    ...req.getAliasesList().map((alias: any) => alias.getUrn() || alias.getSpec()?.getParenturn() || ""),
  ]);
  return originalRegister.call(this, req, callback);
};

const ACCOUNT = "123456789012";
const REGION = "us-east-1";

/** Attributes AWS computes for a resource, made up plausibly and uniquely from its name. */
function computedState(type: string, name: string, inputs: Record<string, any>): Record<string, any> {
  // Physical names carry the kind, so that a function and an API of the same logical name differ.
  const kind = type.split(":")[2]!.toLowerCase();
  const physical = inputs.name ?? (inputs.namePrefix ? `${inputs.namePrefix}${name}` : `${name}-${kind}`);
  const service = type.split(":")[1]!.split("/")[0]!;
  const base = { ...inputs, name: physical, arn: `arn:aws:${service}:${REGION}:${ACCOUNT}:${physical}` };
  switch (type) {
    case "aws:dynamodb/table:Table":
      return { ...base, arn: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${physical}` };
    case "aws:sqs/queue:Queue":
      return { ...base, url: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${physical}`, arn: `arn:aws:sqs:${REGION}:${ACCOUNT}:${physical}` };
    case "aws:lambda/function:Function":
      return {
        ...base,
        arn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${physical}`,
        invokeArn: `arn:aws:apigateway:${REGION}:lambda:path/2015-03-31/functions/arn:aws:lambda:${REGION}:${ACCOUNT}:function:${physical}/invocations`,
      };
    case "aws:iam/role:Role":
      return { ...base, arn: `arn:aws:iam::${ACCOUNT}:role/${physical}` };
    case "aws:cloudwatch/logGroup:LogGroup":
      return { ...base, arn: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${physical}` };
    case "aws:apigatewayv2/api:Api":
      return { ...base, apiEndpoint: `https://${name}-id.execute-api.${REGION}.amazonaws.com`, executionArn: `arn:aws:execute-api:${REGION}:${ACCOUNT}:${name}-id` };
    case "aws:s3/bucket:Bucket":
      return { ...base, bucket: physical, arn: `arn:aws:s3:::${physical}`, bucketRegionalDomainName: `${physical}.s3.${REGION}.amazonaws.com` };
    case "aws:kms/key:Key":
      // The shape the api checks its CLOUDQUEUE_ID_KEY_ARN against (handlers/auth/authSettings.ts).
      return { ...base, keyId: `${name}-id`, arn: `arn:aws:kms:${REGION}:${ACCOUNT}:key/${name}-id` };
    case "aws:scheduler/scheduleGroup:ScheduleGroup":
      return { ...base, arn: `arn:aws:scheduler:${REGION}:${ACCOUNT}:schedule-group/${physical}` };
    case "aws:scheduler/schedule:Schedule":
      return { ...base, arn: `arn:aws:scheduler:${REGION}:${ACCOUNT}:schedule/${inputs.groupName ?? "default"}/${physical}` };
    case "aws:cloudfront/distribution:Distribution":
      return { ...base, arn: `arn:aws:cloudfront::${ACCOUNT}:distribution/${name}-id`, domainName: `${name}-id.cloudfront.net` };
    default:
      return base;
  }
}

/** The account and region the mocks answer with. */
export const MOCK_ACCOUNT = { account: ACCOUNT, region: REGION } as const;

/**
 * One configuration per `authMode`, shared by the test files that compare the modes (so that
 * `sharedRun` declares each once): the public demo, a `jwt` stack with route scopes, an `iam`
 * stack with two admins.
 */
export const AUTH_CONFIGS = {
  none: {},
  jwt: { authMode: "jwt", jwtIssuer: "https://issuer.example.com/", jwtAudiences: ["cloudqueue-api", "cloudqueue-cli"] },
  iam: { authMode: "iam", iamAdminArns: [`arn:aws:iam::${ACCOUNT}:role/cloudqueue-operator`, `arn:aws:iam::${ACCOUNT}:user/ops/alice`] },
} as const satisfies Record<string, Record<string, unknown>>;

/** A program run under mocks: the components it built and every resource it declared. */
export interface ProgramRun {
  /** The validated configuration the program ran with. */
  config: CloudQueueConfig;
  stack: CloudQueue;
  resources: DeclaredResource[];
}

/** Awaits an Output's value (mocks resolve every Output). */
export function promiseOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply((value) => resolve(value)));
}

/**
 * Runs the Pulumi program under mocks with `config` (raw keys, as a stack would set them) and
 * `siteDir`; resolves once every resource is declared and every export is known.
 */
export async function runProgram(config: Record<string, unknown> = {}, siteDir = emptySiteDir()): Promise<ProgramRun> {
  const parsed = parseConfig(config);
  const resources: DeclaredResource[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        const id = args.type === "aws:iam/role:Role" ? (args.inputs.name ?? args.name) : `${args.name}-id`;
        const state = computedState(args.type, args.name, args.inputs);
        resources.push({ type: args.type, name: args.name, inputs: args.inputs, state, id, dependsOn: dependenciesByName.get(args.name) ?? [], provider: args.provider });
        return { id, state };
      },
      call(args) {
        if (args.token === "aws:index/getRegion:getRegion") return { region: REGION, name: REGION, id: REGION };
        return args.inputs;
      },
    },
    "cloudqueue",
    "test",
    false,
  );
  // A failed closure serialization surfaces as an unhandled rejection and leaves Outputs
  // unresolved: turn it into this run's failure instead of a timeout.
  let onRejection: ((reason: unknown) => void) | undefined;
  const failed = new Promise<never>((_, reject) => {
    onRejection = (reason) => reject(reason);
    process.on("unhandledRejection", onRejection);
  });
  let stack: CloudQueue;
  try {
    stack = createCloudQueue(parsed, { siteDir });
    await Promise.race([failed, Promise.all(Object.values(stack.outputs).map(promiseOf))]);
  } finally {
    process.off("unhandledRejection", onRejection!);
  }
  // Every resource registers asynchronously: wait until the count stops growing.
  let seen = -1;
  while (seen !== resources.length) {
    seen = resources.length;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { config: parsed, stack, resources };
}

let emptyDir: string | undefined;
function emptySiteDir(): string {
  emptyDir ??= fs.mkdtempSync(path.join(os.tmpdir(), "cloudqueue-site-"));
  return emptyDir;
}

const cache = new Map<string, Promise<ProgramRun>>();
/** `runProgram`, shared between test files (closure serialization takes seconds per run). */
export function sharedRun(config: Record<string, unknown> = {}, siteDir?: string): Promise<ProgramRun> {
  const key = JSON.stringify([config, siteDir ?? ""]);
  let run = cache.get(key);
  if (!run) {
    run = runProgram(config, siteDir);
    cache.set(key, run);
  }
  return run;
}

/** The declared resources of one type. */
export function ofType(run: ProgramRun, type: string): DeclaredResource[] {
  return run.resources.filter((resource) => resource.type === type);
}

/** The one declared resource named `name`. */
export function named(run: ProgramRun, name: string, type?: string): DeclaredResource {
  const found = run.resources.filter((resource) => resource.name === name && (!type || resource.type === type));
  if (found.length !== 1) throw new Error(`expected one resource named ${name}${type ? ` of ${type}` : ""}, found ${found.length}`);
  return found[0]!;
}

let fixtureDir: string | undefined;
/**
 * A site folder for the tests (`site/` itself is written elsewhere and may change): pages, a
 * subfolder, a local `config.json` the deployed one must replace and a development-only
 * `tsconfig.json` that must not be published. Made once per process.
 */
export function siteFixture(): string {
  if (fixtureDir) return fixtureDir;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cloudqueue-site-fixture-"));
  fs.mkdirSync(path.join(dir, "img"));
  fs.writeFileSync(path.join(dir, "index.html"), "<!doctype html><title>CloudQueue</title>");
  fs.writeFileSync(path.join(dir, "app.js"), "console.log('hi')");
  fs.writeFileSync(path.join(dir, "style.css"), "body{}");
  fs.writeFileSync(path.join(dir, "img", "logo.svg"), "<svg/>");
  fs.writeFileSync(path.join(dir, "config.json"), '{"apiUrl":"http://localhost:3000"}');
  fs.writeFileSync(path.join(dir, "tsconfig.json"), '{"compilerOptions":{"checkJs":true}}');
  fixtureDir = dir;
  return dir;
}
