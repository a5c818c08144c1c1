import { PREFLIGHT_ROUTE_KEY } from "../handlers/routes";
import { ENV, JOB_TABLE } from "../handlers/settings";
import type { DeclaredResource, ProgramRun } from "../test/infra/program";
import { BudgetNotifications, CacheBehaviors, DashboardBody, Origins, parsed, RedrivePolicy, Resources, TYPE } from "./diagramIndex";

/**
 * The system flow: the few parts a reader needs (the design's boxes), each found in a mocked run of
 * the program by the role its resource plays in the others' inputs — the api function is the one
 * the API integration names, the worker the one the event source mapping names, the DLQ the one
 * the queue's redrive policy names — and each arrow read from one such relation. A part whose
 * resource or relation is missing is not drawn; a resource playing none of these roles (a route,
 * a permission, a log group, a provider) is left to the full resource graph.
 */

/** The boxes of the main picture. */
export const FLOW_NODE = {
  client: "client",
  cdn: "cdn",
  bucket: "bucket",
  api: "api",
  authorizer: "authorizer",
  apiFunction: "apiFunction",
  idKey: "idKey",
  table: "table",
  queue: "queue",
  worker: "worker",
  dlq: "dlq",
  schedule: "schedule",
  sweeper: "sweeper",
  jobSchedules: "jobSchedules",
  scheduleDlq: "scheduleDlq",
  dashboard: "dashboard",
  alarm: "alarm",
  alerts: "alerts",
  inbox: "inbox",
  budget: "budget",
} as const;
export type FlowNodeId = (typeof FLOW_NODE)[keyof typeof FLOW_NODE];

/** The frames around related boxes, in drawing order. */
export const FLOW_CLUSTERS = ["Site", "API", "Processing", "State", "Operations"] as const;
export type FlowCluster = (typeof FLOW_CLUSTERS)[number];

export interface FlowNode {
  id: FlowNodeId;
  /** Lines of the box: what it is for, then the service it runs on. */
  label: string;
  /** Absent for the client, which is outside the system. */
  cluster?: FlowCluster;
  /** The resource the box stands for; absent only for the client. */
  resource?: DeclaredResource;
}

export interface FlowEdge {
  from: FlowNodeId;
  to: FlowNodeId;
  /** What flows along the arrow. */
  label: string;
}

export interface SystemFlow {
  nodes: FlowNode[];
  edges: FlowEdge[];
}

/** The main picture of the program's system, derived from one mocked run. */
export function systemFlow(run: ProgramRun): SystemFlow {
  const flow = new FlowBuilder(new Resources(run));
  drawSiteAndApi(flow);
  const { queue, dlq } = drawProcessing(flow);
  drawSchedules(flow);
  drawState(flow, queue);
  drawIdKey(flow);
  drawOperations(flow, queue, dlq);
  drawMetrics(flow);
  return { nodes: flow.nodes, edges: flow.edges };
}

/** Boxes and arrows as they are found; an arrow whose either end was not found is not drawn. */
class FlowBuilder {
  readonly nodes: FlowNode[] = [{ id: FLOW_NODE.client, label: "Client\n(browser, CLI)" }];
  readonly edges: FlowEdge[] = [];

  constructor(readonly resources: Resources) {}

  /** Draws `resource` (if found) as box `id`; returns it. */
  node(id: FlowNodeId, cluster: FlowCluster, resource: DeclaredResource | undefined): DeclaredResource | undefined {
    if (resource) this.nodes.push({ id, cluster, resource, label: describe(id, resource, this.resources) });
    return resource;
  }

  edge(from: FlowNodeId, to: FlowNodeId, label: string): void {
    if (this.has(from) && this.has(to)) this.edges.push({ from, to, label });
  }

  has(id: FlowNodeId): boolean {
    return this.nodes.some((entry) => entry.id === id);
  }
}

/**
 * Site: the distribution and the bucket one of its origins reads. API: the integration names the
 * API and the function behind it. The site reaches the API itself when the distribution has an
 * origin at the API's host; scripts and the CLI call the API itself.
 */
function drawSiteAndApi(flow: FlowBuilder): void {
  const { resources } = flow;
  const cdn = flow.node(FLOW_NODE.cdn, "Site", resources.ofType(TYPE.distribution)[0]);
  const origins = parsed(Origins, cdn?.inputs.origins, []);
  const bucketOrigin = origins.find((origin) => resources.bucketAt(origin.domainName));
  flow.node(FLOW_NODE.bucket, "Site", bucketOrigin && resources.bucketAt(bucketOrigin.domainName));
  flow.edge(FLOW_NODE.cdn, FLOW_NODE.bucket, bucketOrigin?.originAccessControlId ? "GET via origin\naccess control" : "GET");

  const integration = resources.ofType(TYPE.integration).find((candidate) => resources.namedBy(TYPE.function, candidate.inputs.integrationUri));
  const api = flow.node(FLOW_NODE.api, "API", resources.namedBy(TYPE.api, integration?.inputs.apiId));
  flow.node(FLOW_NODE.apiFunction, "API", resources.namedBy(TYPE.function, integration?.inputs.integrationUri));
  flow.edge(FLOW_NODE.api, FLOW_NODE.apiFunction, `invoke\n(payload ${integration?.inputs.payloadFormatVersion ?? "1.0"})`);

  // A jwt stack's authorizer: API Gateway checks each token against the issuer's keys before the function runs.
  const authorizer = flow.node(FLOW_NODE.authorizer, "API", api && resources.ofType(TYPE.authorizer).find((candidate) => candidate.inputs.apiId === api.id));
  flow.edge(FLOW_NODE.api, FLOW_NODE.authorizer, authorizer?.inputs.authorizerType === "JWT" ? "verify\nBearer token" : "authorize");

  const apiOrigin = api && origins.find((origin) => apiHosts(api).includes(origin.domainName));
  const apiPaths = parsed(CacheBehaviors, cdn?.inputs.orderedCacheBehaviors, [])
    .filter((behavior) => behavior.targetOriginId === apiOrigin?.originId)
    .map((behavior) => behavior.pathPattern);
  if (apiOrigin) flow.edge(FLOW_NODE.cdn, FLOW_NODE.api, apiPaths.length > 0 ? shortPatterns(apiPaths).join("\n") : "API origin");
  // The browser and the CLI are outside the program: their arrows are the only ones not derived.
  // A browser goes through the site; scripts and the CLI call the stack's apiUrl directly.
  flow.edge(FLOW_NODE.client, FLOW_NODE.cdn, "browser: HTTPS");
  flow.edge(FLOW_NODE.client, FLOW_NODE.api, apiOrigin ? "scripts, CLI:\napiUrl" : "POST /jobs,\nGET /jobs/{jobId}, …");
}

/** The mapping names the queue and the worker; the queue's redrive policy the DLQ; the schedule's target the rule and the sweeper. */
function drawProcessing(flow: FlowBuilder): { queue?: DeclaredResource; dlq?: DeclaredResource } {
  const { resources } = flow;
  const mapping = resources.ofType(TYPE.eventSourceMapping).find((candidate) => resources.namedBy(TYPE.queue, candidate.inputs.eventSourceArn));
  const queue = flow.node(FLOW_NODE.queue, "Processing", resources.namedBy(TYPE.queue, mapping?.inputs.eventSourceArn));
  flow.node(FLOW_NODE.worker, "Processing", resources.namedBy(TYPE.function, mapping?.inputs.functionName));
  flow.edge(FLOW_NODE.queue, FLOW_NODE.worker, `batches\nof ${mapping?.inputs.batchSize ?? 10}`);

  const redrive = queue && parsed(RedrivePolicy, queue.inputs.redrivePolicy, undefined);
  const dlq = flow.node(FLOW_NODE.dlq, "Processing", resources.namedBy(TYPE.queue, redrive?.deadLetterTargetArn));
  flow.edge(FLOW_NODE.queue, FLOW_NODE.dlq, `redrive after\n${redrive?.maxReceiveCount} receives`);

  const target = resources.ofType(TYPE.eventTarget).find((candidate) => resources.namedBy(TYPE.function, candidate.inputs.arn));
  const schedule = flow.node(FLOW_NODE.schedule, "Processing", resources.namedBy(TYPE.eventRule, target?.inputs.rule));
  flow.node(FLOW_NODE.sweeper, "Processing", resources.namedBy(TYPE.function, target?.inputs.arn));
  flow.edge(FLOW_NODE.schedule, FLOW_NODE.sweeper, every(schedule?.inputs.scheduleExpression));
  return { queue, dlq };
}

/**
 * The stack's schedules (one box for all): those whose target is the api function, an arrow to it
 * (each fire submits its job), and one to the queue their dead-letter config names.
 */
function drawSchedules(flow: FlowBuilder): void {
  const { resources } = flow;
  const apiFunction = flow.nodes.find((entry) => entry.id === FLOW_NODE.apiFunction)?.resource;
  const schedules = resources.ofType(TYPE.schedule).filter((candidate) => apiFunction && candidate.inputs.target?.arn === apiFunction.state.arn);
  flow.node(FLOW_NODE.jobSchedules, "Processing", schedules[0]);
  flow.edge(FLOW_NODE.jobSchedules, FLOW_NODE.apiFunction, "fire: one job\nper scheduled time");
  flow.node(FLOW_NODE.scheduleDlq, "Processing", resources.namedBy(TYPE.queue, schedules[0]?.inputs.target?.deadLetterConfig?.arn));
  flow.edge(FLOW_NODE.jobSchedules, FLOW_NODE.scheduleDlq, "fires that\nmade no job");
}

/**
 * The table the functions' role policies name (an index ARN counts for its table), an arrow per
 * function granted on it; the same for sending to the queue. Receiving is the mapping's part,
 * already drawn as queue → worker.
 */
function drawState(flow: FlowBuilder, queue: DeclaredResource | undefined): void {
  const grants = new Map(
    flow.nodes.filter((entry) => FUNCTION_WORDS[entry.id] && entry.resource).map((entry) => [entry.id, flow.resources.grantsOf(entry.resource!)] as const),
  );
  const tableOf = (arn: string) => arn.replace(/\/index\/[^/]+$/, "");
  const granted = new Set([...grants.values()].flat().map((grant) => tableOf(grant.resource)));
  const table = flow.node(FLOW_NODE.table, "State", flow.resources.ofType(TYPE.table).find((candidate) => granted.has(candidate.state.arn)));
  for (const [id, own] of grants) {
    const words = FUNCTION_WORDS[id]!;
    if (table && own.some((grant) => tableOf(grant.resource) === table.state.arn)) flow.edge(id, FLOW_NODE.table, words.table);
    if (queue && own.some((grant) => grant.resource === queue.state.arn && grant.actions.includes("sqs:SendMessage"))) flow.edge(id, FLOW_NODE.queue, words.send);
  }
}

/** The KMS key a function is granted `kms:GenerateMac` on (the api's id secret), an arrow from that function. */
function drawIdKey(flow: FlowBuilder): void {
  const fn = flow.nodes.find((entry) => entry.id === FLOW_NODE.apiFunction)?.resource;
  const grants = fn ? flow.resources.grantsOf(fn).filter((grant) => grant.actions.includes("kms:GenerateMac")) : [];
  flow.node(FLOW_NODE.idKey, "State", flow.resources.ofType(TYPE.kmsKey).find((key) => grants.some((grant) => grant.resource === key.state.arn)));
  flow.edge(FLOW_NODE.apiFunction, FLOW_NODE.idKey, "GenerateMac:\nid secret");
}

/**
 * The dashboard, and an arrow from each function whose metrics it shows: the function's
 * environment names the namespace the handlers emit in (EMF, on their log records), and the
 * dashboard's body reads metrics of that namespace.
 */
function drawMetrics(flow: FlowBuilder): void {
  const dashboard = flow.node(FLOW_NODE.dashboard, "Operations", flow.resources.ofType(TYPE.dashboard)[0]);
  const namespaces = new Set(
    parsed(DashboardBody, dashboard?.inputs.dashboardBody, { widgets: [] }).widgets.flatMap((widget) => (widget.properties?.metrics ?? []).map((line) => line[0]).filter((part) => typeof part === "string")),
  );
  for (const id of [FLOW_NODE.apiFunction, FLOW_NODE.worker, FLOW_NODE.sweeper]) {
    const namespace = flow.nodes.find((entry) => entry.id === id)?.resource?.inputs.environment?.variables?.[ENV.metricsNamespace];
    if (namespaces.has(namespace)) flow.edge(id, FLOW_NODE.dashboard, "EMF metrics");
  }
}

/**
 * The alarms (one box, found as the alarm on the DLQ's depth), an arrow from each queue an alarm
 * watches, the topic they notify, the email subscribed to that, and the budget mailing the same address.
 */
function drawOperations(flow: FlowBuilder, queue: DeclaredResource | undefined, dlq: DeclaredResource | undefined): void {
  const { resources } = flow;
  const alarms = resources.ofType(TYPE.metricAlarm);
  const watching = (watched: DeclaredResource | undefined) => watched && alarms.find((candidate) => candidate.inputs.dimensions?.QueueName === watched.state.name);
  const alarm = flow.node(FLOW_NODE.alarm, "Operations", watching(dlq));
  flow.edge(FLOW_NODE.dlq, FLOW_NODE.alarm, alarm ? alarmCondition(alarm) : "");
  const ageAlarm = watching(queue);
  if (ageAlarm) flow.edge(FLOW_NODE.queue, FLOW_NODE.alarm, alarmCondition(ageAlarm));
  const actions: unknown[] = alarm?.inputs.alarmActions ?? [];
  const alerts = flow.node(FLOW_NODE.alerts, "Operations", actions.map((action) => resources.namedBy(TYPE.topic, action)).find(Boolean));
  flow.edge(FLOW_NODE.alarm, FLOW_NODE.alerts, alarm?.inputs.okActions ? "ALARM / OK" : "ALARM");
  const subscriptions = resources.ofType(TYPE.subscription).filter((candidate) => candidate.inputs.protocol === "email");
  const inbox = flow.node(FLOW_NODE.inbox, "Operations", alerts && subscriptions.find((candidate) => resources.namedBy(TYPE.topic, candidate.inputs.topic) === alerts));
  flow.edge(FLOW_NODE.alerts, FLOW_NODE.inbox, "email");

  const budget = flow.node(FLOW_NODE.budget, "Operations", resources.ofType(TYPE.budget)[0]);
  const notifications = parsed(BudgetNotifications, budget?.inputs.notifications, []);
  const thresholds = (some: typeof notifications) =>
    some.map((notification) => `${notification.threshold} % ${notification.notificationType === "FORECASTED" ? "forecast" : "actual"}`).join(",\n");
  const mailed = notifications.filter((notification) => inbox && notification.subscriberEmailAddresses?.includes(inbox.inputs.endpoint));
  const published = notifications.filter((notification) => alerts && notification.subscriberSnsTopicArns?.includes(alerts.state.arn));
  if (mailed.length > 0) flow.edge(FLOW_NODE.budget, FLOW_NODE.inbox, thresholds(mailed));
  if (published.length > 0) flow.edge(FLOW_NODE.budget, FLOW_NODE.alerts, thresholds(published));
}

/** What each function does to the table and why it sends to the queue, in the design's words. */
const FUNCTION_WORDS: Partial<Record<FlowNodeId, { table: string; send: string }>> = {
  apiFunction: { table: "put / read", send: "SendMessage\n{jobId}" },
  worker: { table: "claim / commit", send: "SendMessage" },
  sweeper: { table: "find stuck,\ntime out", send: "re-enqueue" },
};

/** The host names a CloudFront origin may use for the API: its endpoint's host, or the endpoint itself. */
function apiHosts(api: DeclaredResource): string[] {
  const endpoint = api.state.apiEndpoint;
  return typeof endpoint === "string" ? [endpoint, endpoint.replace(/^https:\/\//, "")] : [];
}

/** How many routes require a caller, and how: `\nJWT on 4 routes + $default`; empty when none does. */
function authLine(routes: DeclaredResource[]): string {
  const closed = routes.filter((route) => route.inputs.authorizationType !== undefined && route.inputs.authorizationType !== "NONE");
  if (closed.length === 0) return "";
  const types = [...new Set(closed.map((route) => String(route.inputs.authorizationType)))].join(", ");
  const catchAll = closed.some((route) => route.inputs.routeKey === "$default") ? " + $default" : "";
  const named = closed.filter((route) => route.inputs.routeKey !== "$default").length;
  return `\n${types} on ${named} routes${catchAll}`;
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/** Path patterns, a prefix and everything under it (`/jobs`, `/jobs/*`) written once as `/jobs*`. */
function shortPatterns(patterns: string[]): string[] {
  const under = (pattern: string) => pattern.endsWith("/*") && patterns.includes(pattern.slice(0, -2));
  return patterns.filter((pattern) => !under(pattern)).map((pattern) => (patterns.includes(`${pattern}/*`) ? `${pattern}*` : pattern));
}

/** `rate(1 minute)` → "every minute"; anything else as written. */
function every(expression: unknown): string {
  const rate = typeof expression === "string" ? /^rate\((\d+) (minute|hour|day)s?\)$/.exec(expression) : null;
  if (!rate) return String(expression ?? "scheduled");
  return rate[1] === "1" ? `every\n${rate[2]}` : `every\n${rate[1]} ${rate[2]}s`;
}

const OPERATORS: Record<string, string> = { GreaterThanThreshold: ">", GreaterThanOrEqualToThreshold: "≥", LessThanThreshold: "<", LessThanOrEqualToThreshold: "≤" };

/** Short names of the metrics the alarms on queues watch, with their unit. */
const QUEUE_METRICS: Record<string, { word: string; unit: string }> = {
  ApproximateNumberOfMessagesVisible: { word: "depth", unit: "" },
  ApproximateAgeOfOldestMessage: { word: "age", unit: " s" },
};

/** The alarm's condition, short: `depth > 0`, `age > 1800 s`. */
function alarmCondition(alarm: DeclaredResource): string {
  const metric = QUEUE_METRICS[String(alarm.inputs.metricName)] ?? { word: String(alarm.inputs.metricName), unit: "" };
  const operator = String(alarm.inputs.comparisonOperator);
  return `${metric.word} ${OPERATORS[operator] ?? operator} ${alarm.inputs.threshold}${metric.unit}`;
}

/** A box's label: its part in the design, then the service and the settings that matter at a glance. */
function describe(id: FlowNodeId, resource: DeclaredResource, resources: Resources): string {
  const inputs = resource.inputs;
  switch (id) {
    case FLOW_NODE.cdn:
      return "site CDN\nCloudFront";
    case FLOW_NODE.bucket:
      return "site files\nS3 bucket (private)";
    case FLOW_NODE.api: {
      const routes = resources.ofType(TYPE.route).filter((route) => route.inputs.apiId === resource.id);
      const catchAll = routes.some((route) => route.inputs.routeKey === "$default") ? " + $default" : "";
      const preflight = routes.some((route) => route.inputs.routeKey === PREFLIGHT_ROUTE_KEY) ? "\n+ OPTIONS preflight" : "";
      const named = routes.filter((route) => route.inputs.routeKey !== "$default" && route.inputs.routeKey !== PREFLIGHT_ROUTE_KEY);
      const stage = resources.ofType(TYPE.stage).find((candidate) => candidate.inputs.apiId === resource.id);
      const rate = stage?.inputs.defaultRouteSettings?.throttlingRateLimit;
      return `HTTP API\nAPI Gateway\n${named.length} routes${catchAll}${preflight}${authLine(routes)}${typeof rate === "number" ? `\n≤ ${rate} req/s` : ""}`;
    }
    case FLOW_NODE.authorizer: {
      const issuer = inputs.jwtConfiguration?.issuer;
      return `${inputs.authorizerType ?? ""} authorizer\nAPI Gateway${typeof issuer === "string" ? `\nissuer ${hostOf(issuer)}` : ""}`;
    }
    case FLOW_NODE.idKey:
      return `id key\nKMS ${inputs.customerMasterKeySpec ?? "key"}`;
    case FLOW_NODE.apiFunction:
    case FLOW_NODE.worker:
    case FLOW_NODE.sweeper: {
      const role = { apiFunction: "api", worker: "worker", sweeper: "sweeper" }[id];
      const mapping = resources.ofType(TYPE.eventSourceMapping).find((candidate) => resources.namedBy(TYPE.function, candidate.inputs.functionName) === resource);
      const concurrency = id === FLOW_NODE.worker ? mapping?.inputs.scalingConfig?.maximumConcurrency : undefined;
      return `${role} function\nLambda\n${inputs.runtime} ${(inputs.architectures ?? ["x86_64"]).join(" ")}${concurrency ? `\n≤ ${concurrency} at once` : ""}`;
    }
    case FLOW_NODE.table: {
      const indexes: Array<{ name: string }> = inputs.globalSecondaryIndexes ?? [];
      const sweepIndex = indexes.some((index) => index.name === JOB_TABLE.sweepIndex.name) ? "\n+ sweep index" : "";
      const listing = [JOB_TABLE.listIndex, JOB_TABLE.doneIndex].filter((wanted) => indexes.some((index) => index.name === wanted.name)).length;
      return `jobs table\nDynamoDB ${inputs.billingMode === "PAY_PER_REQUEST" ? "on-demand" : "provisioned"}${sweepIndex}${listing > 0 ? `\n+ ${listing} listing indexes` : ""}`;
    }
    case FLOW_NODE.queue:
      return `job queue\nSQS\nvisibility ${inputs.visibilityTimeoutSeconds} s`;
    case FLOW_NODE.dlq:
      return `dead-letter queue\nSQS, kept ${Math.round(Number(inputs.messageRetentionSeconds ?? 345_600) / 86_400)} days`;
    case FLOW_NODE.schedule:
      return "schedule\nEventBridge rule";
    case FLOW_NODE.jobSchedules: {
      const count = resources.ofType(TYPE.schedule).length;
      return `job schedules\nEventBridge Scheduler\n${count} schedule${count === 1 ? "" : "s"}`;
    }
    case FLOW_NODE.scheduleDlq:
      return `schedules' dead letters\nSQS, kept ${Math.round(Number(inputs.messageRetentionSeconds ?? 345_600) / 86_400)} days`;
    case FLOW_NODE.dashboard: {
      const widgets = parsed(DashboardBody, inputs.dashboardBody, { widgets: [] }).widgets.filter((widget) => widget.type === "metric").length;
      return `dashboard\nCloudWatch\n${widgets} graphs`;
    }
    case FLOW_NODE.alarm: {
      const count = resources.ofType(TYPE.metricAlarm).length;
      return `alarms\nCloudWatch, ${count} in all`;
    }
    case FLOW_NODE.alerts:
      return "alerts\nSNS topic";
    case FLOW_NODE.inbox:
      return "operator's inbox\nemail subscription";
    case FLOW_NODE.budget:
      return `monthly budget\nAWS Budgets\n${Number(inputs.limitAmount)} ${inputs.limitUnit}`;
    default:
      return id;
  }
}
