import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { expect } from "chai";
import { jsonLogger, logLevelFromEnv } from "../../handlers/log";
import { customMetricCount, emfMetadata, errorCodeDimension, OTHER_ERROR_CODE, statusClass } from "../../handlers/metrics";

describe("handlers/log and handlers/metrics", () => {
  const capture = (options: Parameters<typeof jsonLogger>[0] = {}) => {
    const lines: string[] = [];
    return { lines, logger: jsonLogger({ now: () => Date.UTC(2026, 11, 1, 12), ...options, write: (line) => lines.push(line) }) };
  };

  it("writes one JSON line per record: timestamp, level, the child's fields, event, fields", () => {
    const { lines, logger } = capture();
    logger.child({ requestId: "r-1" }).child({ apiRequestId: "a-1" }).info("job.transition", { jobId: "j", from: null });
    expect(lines).to.have.length(1);
    expect(JSON.parse(lines[0]!)).to.deep.equal({ timestamp: "2026-12-01T12:00:00.000Z", level: "INFO", requestId: "r-1", apiRequestId: "a-1", event: "job.transition", jobId: "j", from: null });
  });

  it("follows Lambda's level: below it nothing is written, unknown or unset means INFO", () => {
    const { lines, logger } = capture({ level: "WARN" });
    logger.debug("d");
    logger.info("i", {}, { metrics: { ApiRequests: 1 }, dimensions: { Route: "getJob", StatusClass: "2xx" } });
    logger.warn("w");
    logger.error("e");
    expect(lines.map((line) => JSON.parse(line).level)).to.deep.equal(["WARN", "ERROR"]);
    expect(logLevelFromEnv({ AWS_LAMBDA_LOG_LEVEL: "debug" })).to.equal("DEBUG");
    expect(logLevelFromEnv({ AWS_LAMBDA_LOG_LEVEL: "LOUD" })).to.equal("INFO");
    expect(logLevelFromEnv({})).to.equal("INFO");
    const debug = capture({ level: "DEBUG" });
    debug.logger.debug("d");
    expect(debug.lines).to.have.length(1);
  });

  it("writes the same EMF as Powertools Metrics, the field's library, for the same metrics", () => {
    const { lines, logger } = capture({ namespace: "CloudQueue/test" });
    logger.info("job.transition", {}, { metrics: { JobsSucceeded: 1, RunMs: 12 }, dimensions: { JobType: "text.transform" } });
    const ours = JSON.parse(lines[0]!);

    const reference = new Metrics({ namespace: "CloudQueue/test" });
    reference.clearDefaultDimensions();
    reference.setTimestamp(ours._aws.Timestamp);
    reference.addDimension("JobType", "text.transform");
    reference.addMetric("JobsSucceeded", MetricUnit.Count, 1);
    reference.addMetric("RunMs", MetricUnit.Milliseconds, 12);
    const theirs = reference.serializeMetrics() as unknown as Record<string, any>;
    // JobsSucceeded also has the stack-wide set []; Powertools puts every metric of a blob under
    // one dimension set, so compare RunMs's directive, and JobsSucceeded's per-type set.
    const runDirective = ours._aws.CloudWatchMetrics.find((directive: any) => directive.Metrics.some((metric: any) => metric.Name === "RunMs"));
    expect(runDirective).to.deep.equal({ ...theirs._aws.CloudWatchMetrics[0], Metrics: [{ Name: "RunMs", Unit: "Milliseconds" }] });
    const succeeded = ours._aws.CloudWatchMetrics.find((directive: any) => directive.Metrics.some((metric: any) => metric.Name === "JobsSucceeded"));
    expect(succeeded.Dimensions).to.deep.equal([[], ["JobType"]]);
    expect(ours._aws.Timestamp).to.equal(theirs._aws.Timestamp);
    for (const member of ["JobType", "JobsSucceeded", "RunMs"]) expect(ours[member], member).to.deep.equal(theirs[member]);
  });

  it("refuses a metric record that lacks a dimension its sets name", () => {
    expect(() => emfMetadata("ns", 0, { metrics: { JobsFailed: 1 }, dimensions: { JobType: "t" } })).to.throw(/ErrorCode/);
  });

  it("bounds the ErrorCode dimension to the system's and the job type's declared codes", () => {
    expect(errorCodeDimension("TIMED_OUT")).to.equal("TIMED_OUT");
    expect(errorCodeDimension("DEMO_PERMANENT", ["DEMO_PERMANENT"])).to.equal("DEMO_PERMANENT");
    expect(errorCodeDimension("ANYTHING")).to.equal(OTHER_ERROR_CODE);
    expect([200, 202, 404, 405, 500, 503].map(statusClass)).to.deep.equal(["2xx", "2xx", "4xx", "4xx", "5xx", "5xx"]);
  });

  it("counts the custom metrics a deployment can publish from the catalog", () => {
    const count = customMetricCount({ jobTypes: [{ type: "a" }, { type: "b", errorCodes: ["B_FAIL"] }], operations: ["submitJob", "getJob"] });
    // Submitted, Succeeded: total + 2 types; Failed: total + 2 types + 6 codes (4 system, B_FAIL, OTHER);
    // Retried, TimedOut, Canceled, WaitMs, RunMs, TotalMs: 2 types each; ApiRequests: 3 routes × 3 classes.
    expect(count.byMetric).to.include({ JobsSubmitted: 3, JobsSucceeded: 3, JobsFailed: 9, JobsRetried: 2, WaitMs: 2, ApiRequests: 9 });
    expect(count.total).to.equal(3 + 3 + 9 + 2 * 6 + 9);
  });
});
