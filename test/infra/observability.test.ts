import { dashboardName } from "../../infra/observability";
import { aliasParentsByName } from "./program";
import { expect } from "chai";
import { builtInJobTypes } from "../../handlers/domain/jobTypes";
import { dimensionValues, METRICS, type Dimension, type MetricDefinition } from "../../handlers/metrics";
import { routes } from "../../handlers/routes";
import { parseConfig } from "../../infra/config";
import { builtInMetricUniverse } from "../../handlers/metricUniverse";
import { referencedMetrics, type DashboardBody } from "../../infra/dashboard";
import { named, ofType, promiseOf, sharedRun, siteFixture, type DeclaredResource, type ProgramRun } from "./program";

/** Every alarm threshold set apart from its default and from each other, to prove each reaches its alarm. */
const THRESHOLDS = {
  alarmOldestMessageAgeSeconds: 2_400,
  alarmFailurePercent: 7,
  alarmFailureWindowMinutes: 30,
  alarmFailureMinJobs: 40,
  alarmFunctionErrors: 3,
  alarmFunctionThrottles: 4,
  alarmDynamoDbThrottles: 5,
  alarmApi5xx: 6,
};
const ALERTING = { alertEmail: "ops@example.com", ...THRESHOLDS };

const NAMESPACE = "CloudQueue/test";
const FUNCTIONS = ["api", "worker", "sweeper"] as const;
const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";

/** One metric a widget or an alarm names, as CloudWatch will read it. */
interface MetricReference {
  where: string;
  namespace: string;
  name: string;
  dimensions: Record<string, string>;
  stat?: string;
}

/** The parsed body of the run's one dashboard. */
function bodyOf(run: ProgramRun): { widgets: Array<{ type: string; properties: any }> } {
  const dashboards = ofType(run, "aws:cloudwatch/dashboard:Dashboard");
  expect(dashboards).to.have.length(1);
  return JSON.parse(dashboards[0]!.inputs.dashboardBody);
}

/**
 * Every metric the dashboard body names, read the way CloudWatch reads a `metrics` array:
 * `[namespace, name, dimension, value, …, options?]`; an expression line names none itself.
 */
function dashboardReferences(body: ReturnType<typeof bodyOf>): MetricReference[] {
  const references: MetricReference[] = [];
  for (const widget of body.widgets.filter((candidate) => candidate.type === "metric")) {
    for (const line of widget.properties.metrics as unknown[][]) {
      const options = typeof line[line.length - 1] === "object" ? (line[line.length - 1] as { stat?: string; expression?: string }) : undefined;
      if (options?.expression !== undefined) continue;
      const parts = line.filter((part): part is string => typeof part === "string");
      expect(parts.length % 2, `${widget.properties.title}: ${JSON.stringify(line)} pairs its dimensions`).to.equal(0);
      const [namespace, name, ...pairs] = parts as [string, string, ...string[]];
      const dimensions: Record<string, string> = {};
      for (let i = 0; i < pairs.length; i += 2) dimensions[pairs[i]!] = pairs[i + 1]!;
      references.push({ where: `widget "${widget.properties.title}"`, namespace, name, dimensions, stat: options?.stat });
    }
  }
  return references;
}

/** Every metric an alarm names: its single metric, or each metric of its metric math. */
function alarmReferences(alarm: DeclaredResource): MetricReference[] {
  const inputs = alarm.inputs;
  if (inputs.metricQueries) {
    return inputs.metricQueries
      .filter((query: { metric?: unknown }) => query.metric)
      .map((query: { metric: { namespace: string; metricName: string; dimensions?: Record<string, string>; stat: string } }) => ({
        where: `alarm ${alarm.name}`,
        namespace: query.metric.namespace,
        name: query.metric.metricName,
        dimensions: query.metric.dimensions ?? {},
        stat: query.metric.stat,
      }));
  }
  return [{ where: `alarm ${alarm.name}`, namespace: inputs.namespace, name: inputs.metricName, dimensions: inputs.dimensions ?? {}, stat: inputs.statistic }];
}

/**
 * What would make a reference to CloudQueue's namespace name a metric the code never emits: a name
 * not in `METRICS`, a set of dimensions that is not exactly one of the metric's `dimensionSets`
 * (CloudWatch keeps each set as its own metric), or a dimension value `dimensionValues` does not allow.
 */
function neverEmitted(references: MetricReference[], namespace: string): string[] {
  const universe = builtInMetricUniverse();
  const problems: string[] = [];
  for (const reference of references.filter((candidate) => candidate.namespace === namespace)) {
    const definition: MetricDefinition | undefined = (METRICS as Record<string, MetricDefinition>)[reference.name];
    if (!definition) {
      problems.push(`${reference.where}: ${reference.name} is not a CloudQueue metric`);
      continue;
    }
    const names = Object.keys(reference.dimensions).sort();
    if (!definition.dimensionSets.some((set) => JSON.stringify([...set].sort()) === JSON.stringify(names))) {
      problems.push(`${reference.where}: ${reference.name} is not emitted with dimensions [${names.join(", ")}]`);
      continue;
    }
    for (const [dimension, value] of Object.entries(reference.dimensions)) {
      if (!dimensionValues(dimension as Dimension, universe).includes(value)) problems.push(`${reference.where}: ${reference.name} ${dimension}=${value} is never emitted`);
    }
  }
  return problems;
}

const key = (reference: Pick<MetricReference, "namespace" | "name" | "dimensions">) =>
  `${reference.namespace} ${reference.name} ${Object.entries(reference.dimensions)
    .map(([name, value]) => `${name}=${value}`)
    .sort()
    .join(" ")}`.trim();

describe("infra: the dashboard and the alarms", function () {
  this.timeout(60_000);
  let defaults: ProgramRun;
  let alerting: ProgramRun;
  const jobTypes = [...builtInJobTypes.keys()];

  before(async () => {
    defaults = await sharedRun({}, siteFixture());
    alerting = await sharedRun(ALERTING, siteFixture());
  });

  /** The names CloudWatch knows this run's resources by. */
  function watched(run: ProgramRun) {
    return {
      functions: Object.fromEntries(FUNCTIONS.map((fn) => [fn, named(run, `cloudqueue-${fn}`, "aws:lambda/function:Function").state.name])) as Record<(typeof FUNCTIONS)[number], string>,
      queue: named(run, "cloudqueue-queue").state.name as string,
      dlq: named(run, "cloudqueue-dlq").state.name as string,
      table: named(run, "cloudqueue-jobs", "aws:dynamodb/table:Table").state.name as string,
      apiId: named(run, "cloudqueue-api", "aws:apigatewayv2/api:Api").id,
    };
  }

  it("keep the DLQ alarm's identity from when it was the Operations component's child (an alias, no replacement)", () => {
    named(alerting, "cloudqueue-dlq-not-empty", "aws:cloudwatch/metricAlarm:MetricAlarm");
    const aliases = aliasParentsByName.get("cloudqueue-dlq-not-empty") ?? [];
    expect(aliases.some((alias) => alias.includes("cloudqueue:infra:Operations")), JSON.stringify(aliases)).to.equal(true);
  });

  describe("dashboard", () => {
    it("has a name no other stack, region or project shares (dashboards are global to the account)", () => {
      const names = [
        dashboardName("cloudqueue", "dev.eu", "eu-west-1"),
        dashboardName("cloudqueue", "dev-eu", "eu-west-1"),
        dashboardName("cloudqueue", "dev-eu", "us-east-1"),
        dashboardName("other", "dev-eu", "eu-west-1"),
      ];
      expect(new Set(names).size).to.equal(names.length);
      for (const name of names) expect(name).to.match(/^[A-Za-z0-9_-]{1,255}$/);
    });

    it("is declared with or without alertEmail, named after the stack, and its URL is a stack output", async () => {
      for (const run of [defaults, alerting]) {
        const dashboard = named(run, "cloudqueue-dashboard", "aws:cloudwatch/dashboard:Dashboard").inputs;
        expect(dashboard.dashboardName).to.match(/^cloudqueue-test-us-east-1-[0-9a-f]{8}$/);
        expect(await promiseOf(run.stack.outputs.dashboardUrl)).to.equal(`https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#dashboards/dashboard/${dashboard.dashboardName}`);
      }
    });

    it("shows jobs by outcome: the stack-wide counts, and the per-type ones summed over every job type", () => {
      const body = bodyOf(defaults);
      const widget = body.widgets.find((candidate) => candidate.properties.title === "Jobs by outcome")!;
      const references = dashboardReferences({ widgets: [widget] }).map(key);
      for (const name of ["JobsSubmitted", "JobsSucceeded", "JobsFailed"]) expect(references).to.include(`${NAMESPACE} ${name}`);
      const expressions = (widget.properties.metrics as unknown[][]).map((line) => (line[0] as { expression?: string }).expression).filter(Boolean);
      for (const name of ["JobsRetried", "JobsTimedOut", "JobsCanceled"]) {
        for (const type of jobTypes) expect(references, `${name} ${type}`).to.include(`${NAMESPACE} ${name} JobType=${type}`);
        const ids = (widget.properties.metrics as unknown[][])
          .filter((line) => line[1] === name)
          .map((line) => (line[line.length - 1] as { id: string }).id);
        expect(expressions, name).to.include(`SUM([${ids.join(", ")}])`);
      }
    });

    it("shows WaitMs, RunMs and TotalMs at p50 and p99 for every job type", () => {
      const references = dashboardReferences(bodyOf(defaults));
      for (const name of ["WaitMs", "RunMs", "TotalMs"]) {
        for (const type of jobTypes) {
          const stats = references.filter((reference) => reference.namespace === NAMESPACE && reference.name === name && reference.dimensions.JobType === type).map((reference) => reference.stat);
          expect(stats, `${name} ${type}`).to.have.members(["p50", "p99"]);
        }
      }
    });

    it("shows the queue's depth and oldest message, the DLQ's depth, each function's errors, throttles, duration and concurrency, table throttles and the API's 4xx, 5xx and latency", () => {
      const names = watched(defaults);
      const references = dashboardReferences(bodyOf(defaults)).map(key);
      const expected = [
        `AWS/SQS ApproximateNumberOfMessagesVisible QueueName=${names.queue}`,
        `AWS/SQS ApproximateAgeOfOldestMessage QueueName=${names.queue}`,
        `AWS/SQS ApproximateNumberOfMessagesVisible QueueName=${names.dlq}`,
        ...FUNCTIONS.flatMap((fn) => ["Errors", "Throttles", "Duration", "ConcurrentExecutions"].map((metric) => `AWS/Lambda ${metric} FunctionName=${names.functions[fn]}`)),
        ...["PutItem", "GetItem", "UpdateItem", "BatchGetItem", "Query"].map((operation) => `AWS/DynamoDB ThrottledRequests Operation=${operation} TableName=${names.table}`),
        ...["4xx", "5xx", "Latency"].map((metric) => `AWS/ApiGateway ${metric} ApiId=${names.apiId}`),
      ];
      expect(references).to.include.members(expected);
    });

    it("graphs every metric in the stack's region and names no metric by SEARCH", () => {
      const body = bodyOf(defaults);
      const metricWidgets = body.widgets.filter((widget) => widget.type === "metric");
      expect(metricWidgets.length).to.be.at.least(10);
      for (const widget of metricWidgets) expect(widget.properties.region, widget.properties.title).to.equal("us-east-1");
      expect(JSON.stringify(body)).to.not.match(/SEARCH\(/);
    });

    it("counts its distinct metrics as the cost model does (the dashboard free tier covers up to 50)", () => {
      const body = bodyOf(defaults);
      const distinct = new Set(dashboardReferences(body).map(key));
      expect(referencedMetrics(body as DashboardBody)).to.have.length(distinct.size);
      expect(distinct.size).to.be.above(30);
    });

    it("draws the failure share with the alarm's own expression and window, and the thresholds only where alarms exist", () => {
      const share = (run: ProgramRun) => bodyOf(run).widgets.find((widget) => String(widget.properties.title).startsWith("Failure share"))!;
      const alarm = named(alerting, "cloudqueue-failure-share").inputs;
      const dashboardExpression = (share(alerting).properties.metrics as unknown[][]).map((line) => (line[0] as { expression?: string }).expression).filter(Boolean);
      const alarmExpressions = alarm.metricQueries.filter((query: { expression?: string }) => query.expression).map((query: { expression: string }) => query.expression);
      expect(dashboardExpression).to.deep.equal(alarmExpressions);
      expect(share(alerting).properties.period).to.equal(30 * 60);
      expect(share(alerting).properties.annotations.horizontal).to.deep.equal([{ label: "alarm (alarmFailurePercent)", value: 7 }]);
      const age = (run: ProgramRun) => bodyOf(run).widgets.find((widget) => widget.properties.title === "Job queue: age of the oldest message")!;
      expect(age(alerting).properties.annotations.horizontal).to.deep.equal([{ label: "alarm (alarmOldestMessageAgeSeconds)", value: 2_400 }]);
      expect(share(defaults).properties.annotations).to.equal(undefined);
      expect(age(defaults).properties.annotations).to.equal(undefined);
    });
  });

  describe("never an emitted-nowhere metric", () => {
    it("names, in the CloudQueue namespace, only METRICS entries with one of their exact dimension sets and values the code emits", () => {
      const references = [...dashboardReferences(bodyOf(alerting)), ...ofType(alerting, ALARM).flatMap(alarmReferences)];
      const own = references.filter((reference) => reference.namespace === NAMESPACE);
      // Both sources contribute, so the check below is not vacuous.
      expect(own.filter((reference) => reference.where.startsWith("widget")).length).to.be.at.least(20);
      expect(own.filter((reference) => reference.where.startsWith("alarm")).map((reference) => reference.name).sort()).to.deep.equal(["JobsFailed", "JobsSucceeded"]);
      expect(neverEmitted(references, NAMESPACE)).to.deep.equal([]);
    });

    it("the rule fails on an unknown name, a dimension set the metric lacks, a partial set and a value never emitted", () => {
      const reference = (name: string, dimensions: Record<string, string>): MetricReference => ({ where: "test", namespace: NAMESPACE, name, dimensions });
      const problems = neverEmitted(
        [
          reference("JobsLost", {}),
          reference("JobsRetried", {}),
          reference("ApiRequests", { Route: "submitJob" }),
          reference("WaitMs", { JobType: "no.such.type" }),
          reference("JobsFailed", { ErrorCode: "NEVER_DECLARED" }),
          reference("ApiRequests", { Route: routes[0].operation, StatusClass: "2xx" }),
          { ...reference("JobsLost", {}), namespace: "AWS/Lambda" },
        ],
        NAMESPACE,
      );
      expect(problems).to.deep.equal([
        "test: JobsLost is not a CloudQueue metric",
        "test: JobsRetried is not emitted with dimensions []",
        "test: ApiRequests is not emitted with dimensions [Route]",
        "test: WaitMs JobType=no.such.type is never emitted",
        "test: JobsFailed ErrorCode=NEVER_DECLARED is never emitted",
      ]);
    });
  });

  describe("alarms", () => {
    /** Each alarm and the config key of its threshold (the DLQ's is no setting: any dead letter). */
    const thresholdKeys: Record<string, keyof typeof THRESHOLDS | undefined> = {
      "cloudqueue-dlq-not-empty": undefined,
      "cloudqueue-queue-oldest-message": "alarmOldestMessageAgeSeconds",
      "cloudqueue-failure-share": "alarmFailurePercent",
      ...Object.fromEntries(FUNCTIONS.flatMap((fn) => [[`cloudqueue-${fn}-errors`, "alarmFunctionErrors"], [`cloudqueue-${fn}-throttles`, "alarmFunctionThrottles"]])),
      "cloudqueue-table-throttles": "alarmDynamoDbThrottles",
      "cloudqueue-http-5xx": "alarmApi5xx",
    };

    it("exist only with alertEmail", () => {
      expect(ofType(defaults, ALARM)).to.deep.equal([]);
      expect(ofType(alerting, ALARM).map((alarm) => alarm.name).sort()).to.deep.equal(Object.keys(thresholdKeys).sort());
    });

    it("take each threshold from its config key, and name the key in their description", async () => {
      const withDefaults = await sharedRun({ alertEmail: "ops@example.com" }, siteFixture());
      const defaultConfig = parseConfig({}) as unknown as Record<string, number>;
      for (const [name, configKey] of Object.entries(thresholdKeys)) {
        const tuned = named(alerting, name, ALARM).inputs;
        const untuned = named(withDefaults, name, ALARM).inputs;
        expect(tuned, name).to.include({ comparisonOperator: "GreaterThanThreshold", evaluationPeriods: 1 });
        if (configKey === undefined) {
          expect([tuned.threshold, untuned.threshold], name).to.deep.equal([0, 0]);
          continue;
        }
        expect(tuned.threshold, name).to.equal(THRESHOLDS[configKey]);
        expect(untuned.threshold, `${name} by default`).to.equal(defaultConfig[configKey]);
        expect(tuned.alarmDescription, name).to.include(configKey);
      }
    });

    it("notify only the stack's own topic, on ALARM and on OK, and nothing on missing data", () => {
      const topic = named(alerting, "cloudqueue-alerts", "aws:sns/topic:Topic").state.arn;
      for (const alarm of ofType(alerting, ALARM)) {
        expect(alarm.inputs.alarmActions, alarm.name).to.deep.equal([topic]);
        expect(alarm.inputs.okActions, alarm.name).to.deep.equal([topic]);
        expect(alarm.inputs.insufficientDataActions ?? [], alarm.name).to.deep.equal([]);
        // No data is an idle resource: the reasoning is infra/alarms.ts's.
        expect(alarm.inputs.treatMissingData, alarm.name).to.equal("notBreaching");
      }
    });

    it("watch this stack's resources: its queues, functions, table and API", () => {
      const names = watched(alerting);
      const dimensions = (name: string) => named(alerting, name, ALARM).inputs.dimensions;
      expect(dimensions("cloudqueue-dlq-not-empty")).to.deep.equal({ QueueName: names.dlq });
      expect(dimensions("cloudqueue-queue-oldest-message")).to.deep.equal({ QueueName: names.queue });
      for (const fn of FUNCTIONS) {
        for (const [suffix, metricName] of [["errors", "Errors"], ["throttles", "Throttles"]] as const) {
          const alarm = named(alerting, `cloudqueue-${fn}-${suffix}`, ALARM).inputs;
          expect(alarm, `${fn} ${suffix}`).to.include({ namespace: "AWS/Lambda", metricName, statistic: "Sum", period: 300 });
          expect(alarm.dimensions).to.deep.equal({ FunctionName: names.functions[fn] });
        }
      }
      expect(named(alerting, "cloudqueue-http-5xx", ALARM).inputs).to.deep.include({ namespace: "AWS/ApiGateway", metricName: "5xx", dimensions: { ApiId: names.apiId } });
      const throttles = named(alerting, "cloudqueue-table-throttles", ALARM).inputs.metricQueries;
      for (const query of throttles.filter((candidate: { metric?: unknown }) => candidate.metric)) {
        expect(query.metric.dimensions.TableName).to.equal(names.table);
      }
    });

    it("sum table throttles over exactly the DynamoDB operations the functions are granted", () => {
      const granted = new Set<string>();
      for (const policy of ofType(alerting, "aws:iam/rolePolicy:RolePolicy")) {
        for (const statement of JSON.parse(policy.inputs.policy).Statement) {
          for (const action of statement.Action as string[]) if (action.startsWith("dynamodb:")) granted.add(action.slice("dynamodb:".length));
        }
      }
      const queries = named(alerting, "cloudqueue-table-throttles", ALARM).inputs.metricQueries;
      const watchedOperations = queries.filter((query: { metric?: unknown }) => query.metric).map((query: { metric: { metricName: string; dimensions: { Operation: string } } }) => {
        expect(query.metric.metricName).to.equal("ThrottledRequests");
        return query.metric.dimensions.Operation;
      });
      expect(watchedOperations.sort()).to.deep.equal([...granted].sort());
      // The alarm's value is the sum of every operation's throttles, a missing one counted as 0.
      const result = queries.filter((query: { returnData?: boolean }) => query.returnData !== false);
      expect(result).to.have.length(1);
      const ids = queries.filter((query: { metric?: unknown }) => query.metric).map((query: { id: string }) => `FILL(${query.id}, 0)`);
      expect(result[0].expression.split(" + ").sort()).to.deep.equal(ids.sort());
    });

    it("compute the failure share over the stack-wide counts in the configured window, ignoring windows with fewer jobs than alarmFailureMinJobs", () => {
      const queries = named(alerting, "cloudqueue-failure-share", ALARM).inputs.metricQueries;
      const metrics = queries.filter((query: { metric?: unknown }) => query.metric);
      expect(metrics.map((query: { id: string; metric: unknown }) => [query.id, query.metric])).to.deep.equal([
        ["failed", { namespace: NAMESPACE, metricName: "JobsFailed", stat: "Sum", period: 30 * 60 }],
        ["succeeded", { namespace: NAMESPACE, metricName: "JobsSucceeded", stat: "Sum", period: 30 * 60 }],
      ]);
      // One query is the alarm's value; PutMetricAlarm takes an absent returnData as true.
      expect(queries.map((query: { id: string; returnData: boolean }) => [query.id, query.returnData])).to.deep.equal([
        ["failed", false],
        ["succeeded", false],
        ["finished", false],
        ["share", true],
      ]);
      expect(queries.find((query: { id: string }) => query.id === "finished").expression).to.equal("FILL(succeeded, 0) + FILL(failed, 0)");
      expect(queries.find((query: { id: string }) => query.id === "share").expression).to.equal("IF(finished >= 40, 100 * FILL(failed, 0) / finished, 0)");
    });
  });

  it("knows every job type and operation the handlers can put in a dimension", () => {
    const universe = builtInMetricUniverse();
    expect(universe.jobTypes.map((jobType) => jobType.type)).to.deep.equal(jobTypes);
    expect(universe.jobTypes.find((jobType) => jobType.type === "demo.unreliable")?.errorCodes).to.include("DEMO_PERMANENT");
    expect(universe.operations).to.deep.equal(routes.map((route) => route.operation));
  });
});
