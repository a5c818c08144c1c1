import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import { architectureDot, DIAGRAM_DIR, diagramRun } from "../../scripts/diagram";

describe("diagrams/architecture.dot", function () {
  this.timeout(60_000);
  let dot: string;
  before(async () => {
    dot = architectureDot(await diagramRun());
  });

  it("matches what the program declares (run `npm run diagram` after changing infra/)", async () => {
    const committed = fs.readFileSync(path.join(DIAGRAM_DIR, "architecture.dot"), "utf8");
    expect(committed).to.equal(dot);
  });

  it("draws the data path: client → API → api function → table and queue → worker, and the DLQ, sweeper and alarm", async () => {
    const edge = (from: string, to: string, label: string) => `"${from}" -> "${to}" [label="${label}"];`;
    expect(dot).to.include('"client" -> "Api:cloudqueue-api"');
    expect(dot).to.include(edge("Integration:cloudqueue-lambda", "Function:cloudqueue-api", "integrationUri"));
    expect(dot).to.include(edge("Function:cloudqueue-api", "Table:cloudqueue-jobs", "environment"));
    expect(dot).to.include(edge("Function:cloudqueue-api", "Queue:cloudqueue-queue", "environment"));
    expect(dot).to.include(edge("EventSourceMapping:cloudqueue-worker-mapping", "Queue:cloudqueue-queue", "eventSourceArn"));
    expect(dot).to.include(edge("EventSourceMapping:cloudqueue-worker-mapping", "Function:cloudqueue-worker", "functionName"));
    expect(dot).to.include(edge("Queue:cloudqueue-queue", "Queue:cloudqueue-dlq", "redrivePolicy"));
    expect(dot).to.include(edge("EventTarget:cloudqueue-sweep-target", "Function:cloudqueue-sweeper", "arn"));
    expect(dot).to.include(edge("MetricAlarm:cloudqueue-dlq-not-empty", "Queue:cloudqueue-dlq", "dimensions"));
    expect(dot).to.include(edge("MetricAlarm:cloudqueue-dlq-not-empty", "Topic:cloudqueue-alerts", "alarmActions"));
  });
});
