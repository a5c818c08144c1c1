import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import { DIAGRAM_DIR, DIAGRAMS, diagramRun } from "../../scripts/diagram";
import { FLOW_NODE, systemFlow, type FlowNodeId, type SystemFlow } from "../../scripts/diagramFlow";
import { resourceGraphDot } from "../../scripts/diagramResources";
import { ENV } from "../../handlers/settings";
import type { DeclaredResource, ProgramRun } from "./program";
import { routes } from "../../handlers/routes";

const closedRoutes = routes.filter((route) => route.access !== "public").length;

const { client, cdn, bucket, api, authorizer, apiFunction, idKey, table, queue, worker, dlq, schedule, sweeper, jobSchedules, scheduleDlq, dashboard, alarm, alerts, inbox, budget } = FLOW_NODE;
/** The boxes only a stack with `schedules` has. */
const SCHEDULES: FlowNodeId[] = [jobSchedules, scheduleDlq];
/** The boxes only a stack with `alertEmail` has (the dashboard is always declared). */
const OPERATIONS: FlowNodeId[] = [alarm, alerts, inbox, budget];

/** The design's flow with the site serving the API under its own origin, as the program declares it. */
const DESIGN_FLOW: Array<[FlowNodeId, FlowNodeId]> = [
  [client, cdn],
  [client, api],
  [cdn, bucket],
  [cdn, api],
  [api, apiFunction],
  [api, authorizer],
  [apiFunction, idKey],
  [apiFunction, table],
  [apiFunction, queue],
  [queue, worker],
  [worker, table],
  [queue, dlq],
  [schedule, sweeper],
  [sweeper, table],
  [sweeper, queue],
  [jobSchedules, apiFunction],
  [jobSchedules, scheduleDlq],
  [apiFunction, dashboard],
  [worker, dashboard],
  [sweeper, dashboard],
  [dlq, alarm],
  [queue, alarm],
  [alarm, alerts],
  [alerts, inbox],
  [budget, inbox],
];

const pairs = (flow: SystemFlow) => flow.edges.map((edge): [FlowNodeId, FlowNodeId] => [edge.from, edge.to]);
const ids = (flow: SystemFlow) => flow.nodes.map((node) => node.id);
const labelOf = (flow: SystemFlow, from: FlowNodeId, to: FlowNodeId) => flow.edges.find((edge) => edge.from === from && edge.to === to)?.label;
/** The label of a box of `run`'s system flow. */
const boxLabel = (run: ProgramRun, id: FlowNodeId) => systemFlow(run).nodes.find((node) => node.id === id)?.label;

/** `run` with its resources changed by `change` (the run itself is shared and left as it is). */
function altered(run: ProgramRun, change: (resources: DeclaredResource[]) => DeclaredResource[]): ProgramRun {
  return { ...run, resources: change(run.resources.map((resource) => ({ ...resource, inputs: { ...resource.inputs } }))) };
}

/** A role policy without its statements of one service (`dynamodb`, `kms`). */
function withoutGrants(policy: DeclaredResource, service: string): DeclaredResource {
  const document = JSON.parse(policy.inputs.policy);
  const Statement = document.Statement.filter((statement: { Action: string[] }) => !statement.Action.some((action) => action.startsWith(`${service}:`)));
  return { ...policy, inputs: { ...policy.inputs, policy: JSON.stringify({ ...document, Statement }) } };
}

describe("diagrams", function () {
  this.timeout(60_000);
  let run: ProgramRun;
  before(async () => {
    run = await diagramRun();
  });

  for (const diagram of DIAGRAMS) {
    it(`diagrams/${diagram.name}.dot matches what the program declares (run \`npm run diagram\` after changing infra/)`, () => {
      const committed = fs.readFileSync(path.join(DIAGRAM_DIR, `${diagram.name}.dot`), "utf8");
      expect(committed).to.equal(diagram.dot(run));
    });
  }

  describe("the system flow (diagrams/architecture)", () => {
    it("draws exactly the design's arrows, each read from a relation between the program's resources", () => {
      const flow = systemFlow(run);

      expect(pairs(flow)).to.have.deep.members(DESIGN_FLOW);
      expect(flow.edges).to.have.length(DESIGN_FLOW.length);
    });

    it("draws each box for the resource playing its role", () => {
      const flow = systemFlow(run);

      const drawn = Object.fromEntries(flow.nodes.map((node) => [node.id, node.resource && `${node.resource.type.split(":")[2]}:${node.resource.name}`]));

      expect(drawn).to.deep.equal({
        client: undefined,
        cdn: "Distribution:cloudqueue-site-cdn",
        bucket: "Bucket:cloudqueue-site-bucket",
        api: "Api:cloudqueue-api",
        authorizer: "Authorizer:cloudqueue-jwt-authorizer",
        apiFunction: "Function:cloudqueue-api",
        idKey: "Key:cloudqueue-id-key",
        queue: "Queue:cloudqueue-queue",
        worker: "Function:cloudqueue-worker",
        dlq: "Queue:cloudqueue-dlq",
        schedule: "EventRule:cloudqueue-sweep-schedule",
        sweeper: "Function:cloudqueue-sweeper",
        jobSchedules: "Schedule:cloudqueue-schedule-nightly-digest",
        scheduleDlq: "Queue:cloudqueue-schedule-dlq",
        table: "Table:cloudqueue-jobs",
        dashboard: "Dashboard:cloudqueue-dashboard",
        alarm: "MetricAlarm:cloudqueue-dlq-not-empty",
        alerts: "Topic:cloudqueue-alerts",
        inbox: "TopicSubscription:cloudqueue-alerts-email",
        budget: "Budget:cloudqueue-monthly-budget",
      });
    });

    it("leaves out the alarm, topic, email and budget without an alertEmail, the authorizer on the public demo, the schedules without schedules, and labels arrows from the config", async () => {
      const flow = systemFlow(await diagramRun({ maxReceiveCount: 7, batchSize: 5 }));

      const absent = [...OPERATIONS, authorizer, ...SCHEDULES];
      expect(ids(flow).filter((id) => absent.includes(id))).to.deep.equal([]);
      expect(pairs(flow)).to.have.deep.members(DESIGN_FLOW.filter(([from, to]) => !absent.includes(from) && !absent.includes(to)));
      expect(flow.nodes.find((node) => node.id === api)!.label).to.equal(`HTTP API\nAPI Gateway\n${routes.length} routes + $default\n≤ 50 req/s`);
      expect(labelOf(flow, queue, dlq)).to.equal("redrive after\n7 receives");
      expect(labelOf(flow, queue, worker)).to.equal("batches\nof 5");
    });

    it("labels the API with how its routes are closed: JWT with the authorizer and its issuer, AWS_IAM with no authorizer box", async () => {
      const jwtApi = boxLabel(run, api);
      const iam = systemFlow(await diagramRun({ authMode: "iam" }));

      expect(jwtApi).to.equal(`HTTP API\nAPI Gateway\n${routes.length} routes + $default\n+ OPTIONS preflight\nJWT on ${closedRoutes} routes + $default\n≤ 50 req/s`);
      expect(boxLabel(run, authorizer)).to.equal("JWT authorizer\nAPI Gateway\nissuer issuer.example.com");
      expect(labelOf(systemFlow(run), api, authorizer)).to.equal("verify\nBearer token");
      expect(ids(iam)).to.not.include(authorizer);
      expect(iam.nodes.find((node) => node.id === api)!.label).to.equal(`HTTP API\nAPI Gateway\n${routes.length} routes + $default\n+ OPTIONS preflight\nAWS_IAM on ${closedRoutes} routes + $default\n≤ 50 req/s`);
      expect(pairs(iam)).to.deep.include([apiFunction, idKey]);
    });

    it("draws the id key only as the key the api function is granted kms:GenerateMac on", () => {
      const flow = systemFlow(
        altered(run, (resources) =>
          resources.map((resource) => (resource.type === "aws:iam/rolePolicy:RolePolicy" && resource.name === "cloudqueue-api-policy" ? withoutGrants(resource, "kms") : resource)),
        ),
      );

      expect(ids(flow)).to.not.include(idKey);
      expect(labelOf(systemFlow(run), apiFunction, idKey)).to.equal("GenerateMac:\nid secret");
      expect(flow.nodes.find((node) => node.id === FLOW_NODE.apiFunction)).to.not.equal(undefined);
    });

    it("labels the queue alarms with their configured thresholds", async () => {
      const flow = systemFlow(await diagramRun({ alertEmail: "ops@example.com", alarmOldestMessageAgeSeconds: 2_400 }));

      expect(labelOf(flow, queue, alarm)).to.equal("age > 2400 s");
      expect(labelOf(flow, dlq, alarm)).to.equal("depth > 0");
    });

    it("draws no metrics arrow from a function whose environment names another namespace than the dashboard reads", () => {
      const flow = systemFlow(
        altered(run, (resources) =>
          resources.map((resource) => {
            if (resource.name !== "cloudqueue-worker" || resource.type !== "aws:lambda/function:Function") return resource;
            const variables = { ...resource.inputs.environment.variables, [ENV.metricsNamespace]: "CloudQueue/elsewhere" };
            return { ...resource, inputs: { ...resource.inputs, environment: { variables } } };
          }),
        ),
      );

      expect(pairs(flow)).to.not.deep.include([worker, dashboard]);
      expect(pairs(flow)).to.deep.include([apiFunction, dashboard]);
    });

    it("draws no worker when no event source mapping names one", () => {
      const flow = systemFlow(altered(run, (resources) => resources.filter((resource) => resource.type !== "aws:lambda/eventSourceMapping:EventSourceMapping")));

      expect(ids(flow)).to.not.include(worker);
      expect(pairs(flow).filter((pair) => pair.includes(worker))).to.deep.equal([]);
    });

    it("draws no table arrow for a function whose role policy no longer names the table", () => {
      const flow = systemFlow(
        altered(run, (resources) =>
          resources.map((resource) =>
            resource.type === "aws:iam/rolePolicy:RolePolicy" && resource.name === "cloudqueue-worker-policy" ? withoutGrants(resource, "dynamodb") : resource,
          ),
        ),
      );

      expect(pairs(flow)).to.not.deep.include([worker, table]);
      expect(pairs(flow)).to.deep.include([apiFunction, table]);
    });

    it("draws the client calling the API itself when the distribution has no origin at the API", () => {
      const flow = systemFlow(
        altered(run, (resources) =>
          resources.map((resource) => {
            if (resource.type !== "aws:cloudfront/distribution:Distribution") return resource;
            const siteOrigin = resource.inputs.defaultCacheBehavior.targetOriginId;
            const origins = resource.inputs.origins.filter((origin: { originId: string }) => origin.originId === siteOrigin);
            return { ...resource, inputs: { ...resource.inputs, origins, orderedCacheBehaviors: undefined } };
          }),
        ),
      );

      expect(pairs(flow)).to.deep.include([client, api]);
      expect(pairs(flow)).to.not.deep.include([cdn, api]);
      expect(pairs(flow)).to.deep.include([cdn, bucket]);
    });

    it("leaves a resource of no role to the full graph", () => {
      const extra: DeclaredResource = {
        ...run.resources[0]!,
        type: "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig",
        name: "cloudqueue-extra-async",
        inputs: { functionName: "cloudqueue-sweeper-function", maximumRetryAttempts: 0 },
        state: {},
        id: "cloudqueue-extra-async-id",
      };
      const withExtra = altered(run, (resources) => [...resources, extra]);

      expect(systemFlow(withExtra).edges).to.deep.equal(systemFlow(run).edges);
      expect(ids(systemFlow(withExtra))).to.deep.equal(ids(systemFlow(run)));
      expect(resourceGraphDot(withExtra)).to.include('"FunctionEventInvokeConfig:cloudqueue-extra-async" -> "Function:cloudqueue-sweeper" [label="functionName"];');
    });
  });
});
