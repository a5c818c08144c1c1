import * as v from "valibot";
import type { DeclaredResource, ProgramRun } from "../test/infra/program";

/**
 * The declared AWS resources of a mocked run, and the questions the system flow asks of them:
 * which resource of a type an input names, what a function's role policy grants. The JSON inputs
 * (policies, redrive policies, origins) are checked against the shapes below, never cast.
 */

/** The type tokens the system flow looks for. */
export const TYPE = {
  api: "aws:apigatewayv2/api:Api",
  integration: "aws:apigatewayv2/integration:Integration",
  route: "aws:apigatewayv2/route:Route",
  authorizer: "aws:apigatewayv2/authorizer:Authorizer",
  stage: "aws:apigatewayv2/stage:Stage",
  function: "aws:lambda/function:Function",
  eventSourceMapping: "aws:lambda/eventSourceMapping:EventSourceMapping",
  role: "aws:iam/role:Role",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  table: "aws:dynamodb/table:Table",
  kmsKey: "aws:kms/key:Key",
  queue: "aws:sqs/queue:Queue",
  eventRule: "aws:cloudwatch/eventRule:EventRule",
  eventTarget: "aws:cloudwatch/eventTarget:EventTarget",
  schedule: "aws:scheduler/schedule:Schedule",
  metricAlarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
  dashboard: "aws:cloudwatch/dashboard:Dashboard",
  topic: "aws:sns/topic:Topic",
  subscription: "aws:sns/topicSubscription:TopicSubscription",
  budget: "aws:budgets/budget:Budget",
  distribution: "aws:cloudfront/distribution:Distribution",
  bucket: "aws:s3/bucket:Bucket",
} as const;

const OneOrMany = v.union([v.string(), v.array(v.string())]);
const PolicyDocument = v.object({
  Statement: v.array(v.object({ Effect: v.string(), Action: OneOrMany, Resource: OneOrMany })),
});
export const RedrivePolicy = v.object({ deadLetterTargetArn: v.string(), maxReceiveCount: v.number() });
export const Origins = v.array(v.object({ originId: v.string(), domainName: v.string(), originAccessControlId: v.optional(v.string()) }));
export const CacheBehaviors = v.array(v.object({ targetOriginId: v.string(), pathPattern: v.string() }));
/** The part of a dashboard body the flow reads: each metric line's namespace. */
export const DashboardBody = v.object({
  widgets: v.array(v.object({ type: v.string(), properties: v.optional(v.object({ metrics: v.optional(v.array(v.array(v.unknown()))) })) })),
});
export const BudgetNotifications = v.array(
  v.object({
    notificationType: v.string(),
    threshold: v.number(),
    subscriberEmailAddresses: v.optional(v.array(v.string())),
    subscriberSnsTopicArns: v.optional(v.array(v.string())),
  }),
);

/** `input` checked against `schema`, or `fallback` when the program gave another shape. */
export function parsed<T>(schema: v.GenericSchema<unknown, T>, input: unknown, fallback: T): T {
  const text = typeof input === "string" ? safeJson(input) : input;
  const result = v.safeParse(schema, text);
  return result.success ? result.output : fallback;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const list = (value: string | string[]): string[] => (Array.isArray(value) ? value : [value]);

/** The declared AWS resources, and the questions the derivation asks about them. */
export class Resources {
  private readonly all: DeclaredResource[];

  constructor(run: ProgramRun) {
    // Registration order depends on Output resolution: sort, so "the first" is always the same one.
    this.all = run.resources.filter((resource) => resource.type.startsWith("aws:")).sort((a, b) => a.name.localeCompare(b.name));
  }

  ofType(type: string): DeclaredResource[] {
    return this.all.filter((resource) => resource.type === type);
  }

  /** The resource of `type` that `value` names by id, ARN, name, URL or invoke ARN. */
  namedBy(type: string, value: unknown): DeclaredResource | undefined {
    if (typeof value !== "string") return undefined;
    return this.ofType(type).find((resource) =>
      [resource.id, resource.state.arn, resource.state.name, resource.state.url, resource.state.invokeArn].includes(value),
    );
  }

  /** The bucket a CloudFront origin at `domainName` reads from. */
  bucketAt(domainName: string): DeclaredResource | undefined {
    return this.ofType(TYPE.bucket).find((bucket) => [bucket.state.bucketRegionalDomainName, bucket.state.bucketDomainName].includes(domainName));
  }

  /** The actions each resource ARN is granted to `fn` by its role's inline policies (Allow only). */
  grantsOf(fn: DeclaredResource): Array<{ resource: string; actions: string[] }> {
    const role = this.namedBy(TYPE.role, fn.inputs.role);
    if (!role) return [];
    return this.ofType(TYPE.rolePolicy)
      .filter((policy) => this.namedBy(TYPE.role, policy.inputs.role) === role)
      .flatMap((policy) => parsed(PolicyDocument, policy.inputs.policy, { Statement: [] }).Statement)
      .filter((statement) => statement.Effect === "Allow")
      .flatMap((statement) => list(statement.Resource).map((resource) => ({ resource, actions: list(statement.Action) })));
  }
}
