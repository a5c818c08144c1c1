import { expect } from "chai";
import { Registry } from "prom-client";
import { jsonLogger, type Logger } from "../../../handlers/log";
import { METRICS, type MetricName, type MetricRecord } from "../../../handlers/metrics";
import { EmfMetrics, MAX_SERIES_PER_METRIC, prometheusName, RejectReason } from "../../../local/emfMetrics";

const UNIVERSE = {
  jobTypes: [
    { type: "text.transform" },
    { type: "demo.unreliable", errorCodes: ["DEMO_PERMANENT", "DEMO_TRANSIENT"] },
  ],
  operations: ["submitJob", "getJob"],
};

/** A registry fed by the handlers' own logger: the lines are the ones Lambda would write. */
function setUp(namespace = "CloudQueue") {
  const registry = new Registry();
  const rejections: string[] = [];
  const metrics = new EmfMetrics({ registry, namespace, universe: UNIVERSE, onFirstReject: (reason) => rejections.push(reason) });
  const lines: string[] = [];
  const logger: Logger = jsonLogger({ namespace, write: (line) => (lines.push(line), metrics.ingestLine(line)), now: () => 1_796_000_000_000 });
  /** The value of one series, `undefined` when the registry has no such series. */
  const value = async (name: string, labels: Record<string, string | number> = {}, sampleName = name) => {
    const family = (await registry.getMetricsAsJSON()).find((candidate) => candidate.name === name);
    const sample = family?.values.find(
      (candidate) => ((candidate as { metricName?: string }).metricName ?? family.name) === sampleName && Object.keys(candidate.labels).length === Object.keys(labels).length && Object.entries(labels).every(([key, wanted]) => candidate.labels[key] === wanted),
    );
    return sample?.value;
  };
  return { registry, metrics, logger, lines, rejections, value };
}

/** A record with `_aws` built by hand, for what the handlers' logger would never write. */
function emfLine(members: Record<string, unknown>, directives: unknown[]): string {
  return JSON.stringify({ event: "test", ...members, _aws: { Timestamp: 1, CloudWatchMetrics: directives } });
}

describe("local metrics: EMF records to Prometheus", () => {
  it("names every catalog metric by one rule: counters cloudqueue_<snake>_total, durations cloudqueue_<snake>_seconds", () => {
    expect(prometheusName("JobsSucceeded")).to.equal("cloudqueue_jobs_succeeded_total");
    expect(prometheusName("ApiRequests")).to.equal("cloudqueue_api_requests_total");
    expect(prometheusName("WaitMs")).to.equal("cloudqueue_wait_seconds");
    expect(prometheusName("TotalMs")).to.equal("cloudqueue_total_seconds");
    for (const name of Object.keys(METRICS) as MetricName[]) {
      expect(prometheusName(name), name).to.match(METRICS[name].unit === "Count" ? /^cloudqueue_[a-z_]+_total$/ : /^cloudqueue_[a-z_]+_seconds$/);
    }
  });

  it("counts a record once per metric, labelled with every dimension its directive's sets name, durations in seconds", async () => {
    const { logger, value } = setUp();
    const failed: MetricRecord = { metrics: { JobsFailed: 1, RunMs: 250, TotalMs: 1_500 }, dimensions: { JobType: "demo.unreliable", ErrorCode: "DEMO_PERMANENT" } };
    logger.info("job.transition", { jobId: "a" }, failed);

    // JobsFailed's sets are [], [JobType], [ErrorCode]: one series with both labels, not three.
    expect(await value("cloudqueue_jobs_failed_total", { job_type: "demo.unreliable", error_code: "DEMO_PERMANENT" })).to.equal(1);
    expect(await value("cloudqueue_jobs_failed_total", { job_type: "demo.unreliable" })).to.equal(undefined);
    expect(await value("cloudqueue_jobs_failed_total", {})).to.equal(undefined);
    // RunMs's only set is [JobType]: the ErrorCode member of the same record is not its label.
    expect(await value("cloudqueue_run_seconds", { job_type: "demo.unreliable" }, "cloudqueue_run_seconds_count")).to.equal(1);
    expect(await value("cloudqueue_run_seconds", { job_type: "demo.unreliable" }, "cloudqueue_run_seconds_sum")).to.equal(0.25);
    expect(await value("cloudqueue_run_seconds", { job_type: "demo.unreliable", le: 0.25 }, "cloudqueue_run_seconds_bucket")).to.equal(1);
    expect(await value("cloudqueue_run_seconds", { job_type: "demo.unreliable", le: 0.1 }, "cloudqueue_run_seconds_bucket")).to.equal(0);
    expect(await value("cloudqueue_total_seconds", { job_type: "demo.unreliable" }, "cloudqueue_total_seconds_sum")).to.equal(1.5);
  });

  it("adds up records: one counter per job type, whatever else the records carry", async () => {
    const { logger, value } = setUp();
    for (let index = 0; index < 3; index++) logger.info("job.transition", { jobId: `s${index}` }, { metrics: { JobsSucceeded: 1 }, dimensions: { JobType: "text.transform" } });
    logger.info("api.request", { route: "submitJob" }, { metrics: { ApiRequests: 1 }, dimensions: { Route: "submitJob", StatusClass: "2xx" } });
    logger.info("api.request", { route: "submitJob" }, { metrics: { ApiRequests: 1 }, dimensions: { Route: "submitJob", StatusClass: "4xx" } });

    expect(await value("cloudqueue_jobs_succeeded_total", { job_type: "text.transform" })).to.equal(3);
    expect(await value("cloudqueue_api_requests_total", { route: "submitJob", status_class: "2xx" })).to.equal(1);
    expect(await value("cloudqueue_api_requests_total", { route: "submitJob", status_class: "4xx" })).to.equal(1);
  });

  it("starts every series the stack can emit at zero, so that a first increment shows in rate()", async () => {
    const { value } = setUp();
    expect(await value("cloudqueue_jobs_submitted_total", { job_type: "text.transform" })).to.equal(0);
    expect(await value("cloudqueue_jobs_failed_total", { job_type: "text.transform", error_code: "TIMED_OUT" })).to.equal(0);
    expect(await value("cloudqueue_jobs_failed_total", { job_type: "demo.unreliable", error_code: "DEMO_TRANSIENT" })).to.equal(0);
    expect(await value("cloudqueue_api_requests_total", { route: "unmatched", status_class: "5xx" })).to.equal(0);
    expect(await value("cloudqueue_wait_seconds", { job_type: "demo.unreliable" }, "cloudqueue_wait_seconds_count")).to.equal(0);
  });

  it("takes EMF's arrays of values: each one observed, their sum counted", async () => {
    const { metrics, value } = setUp();
    metrics.ingestLine(
      emfLine({ JobType: "text.transform", WaitMs: [100, 300], JobsSubmitted: [1, 1] }, [
        { Namespace: "CloudQueue", Dimensions: [["JobType"]], Metrics: [{ Name: "WaitMs", Unit: "Milliseconds" }, { Name: "JobsSubmitted" }] },
      ]),
    );
    expect(await value("cloudqueue_wait_seconds", { job_type: "text.transform" }, "cloudqueue_wait_seconds_count")).to.equal(2);
    expect(await value("cloudqueue_wait_seconds", { job_type: "text.transform" }, "cloudqueue_wait_seconds_sum")).to.be.closeTo(0.4, 1e-9);
    expect(await value("cloudqueue_jobs_submitted_total", { job_type: "text.transform" })).to.equal(2);
  });

  it("counts nothing the catalog disagrees with, and counts each refusal by reason", async () => {
    const { metrics, value, rejections } = setUp();
    const directive = (metric: Record<string, unknown>, dimensions: string[][] = [["JobType"]], namespace = "CloudQueue") => ({ Namespace: namespace, Dimensions: dimensions, Metrics: [metric] });
    const cases: [RejectReason, string][] = [
      [RejectReason.unknownMetric, emfLine({ JobType: "text.transform", JobsExploded: 1 }, [directive({ Name: "JobsExploded", Unit: "Count" })])],
      [RejectReason.unitMismatch, emfLine({ JobType: "text.transform", WaitMs: 5 }, [directive({ Name: "WaitMs", Unit: "Seconds" })])],
      [RejectReason.missingDimension, emfLine({ WaitMs: 5 }, [directive({ Name: "WaitMs", Unit: "Milliseconds" })])],
      [RejectReason.missingDimension, emfLine({ JobType: 7, WaitMs: 5 }, [directive({ Name: "WaitMs", Unit: "Milliseconds" })])],
      [RejectReason.unknownDimension, emfLine({ JobType: "text.transform", Route: "getJob", WaitMs: 5 }, [directive({ Name: "WaitMs", Unit: "Milliseconds" }, [["JobType", "Route"]])])],
      [RejectReason.otherNamespace, emfLine({ JobType: "text.transform", WaitMs: 5 }, [directive({ Name: "WaitMs", Unit: "Milliseconds" }, [["JobType"]], "CloudQueue/other-stack")])],
      [RejectReason.badValue, emfLine({ JobType: "text.transform", WaitMs: "5" }, [directive({ Name: "WaitMs", Unit: "Milliseconds" })])],
      [RejectReason.badValue, emfLine({ JobType: "text.transform" }, [directive({ Name: "WaitMs", Unit: "Milliseconds" })])],
      [RejectReason.badValue, emfLine({ JobType: "text.transform", JobsSubmitted: -1 }, [directive({ Name: "JobsSubmitted", Unit: "Count" })])],
      [RejectReason.malformed, JSON.stringify({ WaitMs: 5, _aws: { CloudWatchMetrics: "no" } })],
    ];
    for (const [reason, line] of cases) {
      const before = (await value("cloudqueue_local_emf_metrics_rejected_total", { reason })) ?? 0;
      metrics.ingestLine(line);
      expect(await value("cloudqueue_local_emf_metrics_rejected_total", { reason }), line).to.equal(before + 1);
    }
    expect(await value("cloudqueue_wait_seconds", { job_type: "text.transform" }, "cloudqueue_wait_seconds_count")).to.equal(0);
    expect(await value("cloudqueue_jobs_submitted_total", { job_type: "text.transform" })).to.equal(0);
    // Told once per reason, not once per record.
    expect([...rejections].sort()).to.deep.equal([...new Set(cases.map(([reason]) => reason))].sort());
  });

  it("reads only lines with EMF metadata, and never throws on what it cannot read", async () => {
    const { metrics, value } = setUp();
    for (const line of ["not json", "", "[1,2]", "null", '{"event":"x","note":"\\"_aws\\":{}"}', '{"_aws":', '{"_aws":null}']) {
      expect(() => metrics.ingestLine(line), line).not.to.throw();
    }
    expect(await value("cloudqueue_local_emf_metrics_rejected_total", { reason: RejectReason.malformed })).to.equal(1);
  });

  it(`keeps at most ${MAX_SERIES_PER_METRIC} label combinations per family, refusing the rest`, async () => {
    const { logger, value, registry } = setUp();
    for (let index = 0; index < MAX_SERIES_PER_METRIC + 5; index++) {
      logger.info("job.transition", {}, { metrics: { JobsSucceeded: 1 }, dimensions: { JobType: `type-${index}` } });
    }
    const family = (await registry.getMetricsAsJSON()).find((candidate) => candidate.name === "cloudqueue_jobs_succeeded_total");
    expect(family?.values).to.have.length(MAX_SERIES_PER_METRIC);
    // The universe's two job types started two series: the records could start the others.
    expect(await value("cloudqueue_local_emf_metrics_rejected_total", { reason: RejectReason.tooManySeries })).to.equal(7);
  });
});
