import { expect } from "chai";
import { METRICS, type MetricName } from "../../handlers/metrics";
import { prometheusName, RejectReason } from "../../local/emfMetrics";
import { waitFor } from "../helpers/waitFor";
import { checkedFetch } from "./helpers/checkedFetch";
import { submitJob, waitForJobs } from "./helpers/jobs";
import { SpawnedStack } from "./helpers/localStack";
import { Exposition, PrometheusServer, promtoolCheck, scrape } from "./helpers/prometheus";

/**
 * `npm start`'s `/metrics` as Prometheus's own tools read it: promtool's checker, a parser of the
 * text format, and a Prometheus server scraping it.
 */
describe("npm start's /metrics, read by Prometheus's tools", function () {
  this.timeout(60_000);
  let stack: SpawnedStack;
  const succeed = { type: "text.transform", payload: { text: "metrics" } };
  const failPermanently = { type: "demo.unreliable", payload: { sleepMs: 0, failAttempts: 0, permanent: true } };

  before(async () => {
    stack = await SpawnedStack.start();
    const jobIds = await Promise.all([succeed, succeed, succeed, failPermanently, failPermanently].map((submission) => submitJob(stack.ready.apiUrl, submission)));
    await waitForJobs(stack.ready.apiUrl, jobIds);
  });

  after(async () => {
    await stack?.dispose();
  });

  /** The exposition once it has counted `succeeded` successes (a record is logged just after its commit). */
  async function expositionWith(succeeded: number): Promise<Exposition> {
    return waitFor(`an exposition counting ${succeeded} successes`, async () => {
      const exposition = new Exposition((await scrape(stack.ready.metricsUrl)).text);
      return exposition.total("cloudqueue_jobs_succeeded_total") === succeeded ? exposition : undefined;
    });
  }

  it("names its URL in the banner, beside the page's, outside the API's paths", () => {
    expect(stack.ready.metricsUrl).to.equal(`${stack.ready.apiUrl}/metrics`);
  });

  it("serves a text exposition promtool accepts, counting the records of the jobs it ran, with the gauges EMF lacks", async () => {
    const exposition = await expositionWith(3);
    const { contentType, text } = await scrape(stack.ready.metricsUrl);
    expect(contentType).to.equal("text/plain; version=0.0.4; charset=utf-8");
    const check = promtoolCheck(text);
    expect(check.status, check.output).to.equal(0);
    expect(check.output, "promtool's lint findings").to.equal("");

    // Every catalog metric, as the type its unit makes it.
    for (const name of Object.keys(METRICS) as MetricName[]) {
      expect(exposition.family(prometheusName(name))?.type, name).to.equal(METRICS[name].unit === "Count" ? "COUNTER" : "HISTOGRAM");
    }
    expect(exposition.value("cloudqueue_jobs_submitted_total", { job_type: "text.transform" })).to.equal(3);
    expect(exposition.value("cloudqueue_jobs_submitted_total", { job_type: "demo.unreliable" })).to.equal(2);
    expect(exposition.value("cloudqueue_jobs_succeeded_total", { job_type: "text.transform" })).to.equal(3);
    expect(exposition.value("cloudqueue_jobs_failed_total", { job_type: "demo.unreliable", error_code: "DEMO_PERMANENT" })).to.equal(2);
    expect(exposition.total("cloudqueue_jobs_failed_total")).to.equal(2);
    expect(exposition.value("cloudqueue_api_requests_total", { route: "submitJob", status_class: "2xx" })).to.equal(5);
    // The histograms' values are read by Prometheus itself, below: this parser merges the series
    // of a labelled histogram into one.
    // The handlers' records and the catalog agree: nothing was refused.
    for (const reason of Object.values(RejectReason)) expect(exposition.value("cloudqueue_local_emf_metrics_rejected_total", { reason }), reason).to.equal(0);

    // What EMF does not carry, read when scraped.
    const statuses = Object.fromEntries(["QUEUED", "IN_PROGRESS", "SUCCEEDED", "FAILED", "CANCELED"].map((status) => [status, exposition.value("cloudqueue_jobs", { status })]));
    expect(statuses).to.deep.equal({ QUEUED: 0, IN_PROGRESS: 0, SUCCEEDED: 3, FAILED: 2, CANCELED: 0 });
    for (const queue of ["jobs", "dlq"]) {
      for (const state of ["visible", "in_flight", "delayed"]) expect(exposition.value("cloudqueue_queue_messages", { queue, state }), `${queue} ${state}`).to.equal(0);
    }
    expect(exposition.value("cloudqueue_worker_invocations_in_flight")).to.equal(0);
    expect(exposition.value("cloudqueue_worker_max_concurrency")).to.equal(10);
  });

  it("counts a delayed job as queued and delayed in the queue, then canceled", async () => {
    const jobId = await submitJob(stack.ready.apiUrl, { ...succeed, delaySeconds: 600 });
    const queued = await waitFor("the delayed job in the exposition", async () => {
      const exposition = new Exposition((await scrape(stack.ready.metricsUrl)).text);
      return exposition.value("cloudqueue_jobs", { status: "QUEUED" }) === 1 ? exposition : undefined;
    });
    expect(queued.value("cloudqueue_queue_messages", { queue: "jobs", state: "delayed" })).to.equal(1);

    expect((await checkedFetch(`${stack.ready.apiUrl}/jobs/${jobId}`, { method: "DELETE" })).status).to.equal(200);
    const canceled = await waitFor("the canceled job in the exposition", async () => {
      const exposition = new Exposition((await scrape(stack.ready.metricsUrl)).text);
      return exposition.value("cloudqueue_jobs", { status: "CANCELED" }) === 1 ? exposition : undefined;
    });
    expect(canceled.value("cloudqueue_jobs", { status: "QUEUED" })).to.equal(0);
    expect(canceled.value("cloudqueue_jobs_canceled_total", { job_type: "text.transform" })).to.equal(1);
  });

  it("answers HEAD as GET, other methods 405 with Allow, and Accept: application/json with the same registry as JSON", async () => {
    const head = await fetch(stack.ready.metricsUrl, { method: "HEAD" });
    expect(head.status).to.equal(200);
    expect(head.headers.get("content-type")).to.match(/^text\/plain; version=0\.0\.4/);
    expect(await head.text()).to.equal("");
    for (const method of ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"]) {
      const refused = await fetch(stack.ready.metricsUrl, { method });
      expect(refused.status, method).to.equal(405);
      expect(refused.headers.get("allow"), method).to.equal("GET, HEAD");
      expect(refused.headers.get("content-type"), method).to.equal("application/problem+json");
    }

    const json = await fetch(stack.ready.metricsUrl, { headers: { accept: "application/json" } });
    expect(json.status).to.equal(200);
    expect(json.headers.get("content-type")).to.equal("application/json");
    expect(json.headers.get("vary")).to.equal("Accept");
    const families = (await json.json()) as { name: string; type: string; values: { value: number; labels: Record<string, string> }[] }[];
    const text = new Exposition((await scrape(stack.ready.metricsUrl)).text);
    expect(families.map((family) => family.name).sort()).to.deep.equal(text.families.map((family) => family.name).sort());
    const succeeded = families.find((family) => family.name === "cloudqueue_jobs_succeeded_total");
    expect(succeeded?.values.find((sample) => sample.labels.job_type === "text.transform")?.value).to.equal(text.value("cloudqueue_jobs_succeeded_total", { job_type: "text.transform" }));
  });

  describe("scraped by a real Prometheus", () => {
    let prometheus: PrometheusServer;

    before(async () => {
      prometheus = await PrometheusServer.start({ target: new URL(stack.ready.metricsUrl).host, metricsPath: "/metrics", jobName: "cloudqueue", intervalSeconds: 1 });
    });

    after(async () => {
      await prometheus?.stop();
    });

    it("sees the target up, and counts in its query API every job the stack ran, a new one included", async () => {
      const before = await expositionWith(3);
      const submitted = before.total("cloudqueue_jobs_submitted_total");
      const jobIds = await Promise.all([succeed, succeed, failPermanently].map((submission) => submitJob(stack.ready.apiUrl, submission)));
      await waitForJobs(stack.ready.apiUrl, jobIds);

      const query = async (promql: string, expected: number) =>
        waitFor(`Prometheus to answer ${expected} for ${promql}\n${prometheus.log()}`, async () => {
          const [result] = await prometheus.query(promql);
          return result?.value === expected ? result : undefined;
        }, 20_000, 250);
      await query('up{job="cloudqueue"}', 1);
      await query("sum(cloudqueue_jobs_submitted_total)", submitted + 3);
      await query('sum by (job_type) (cloudqueue_jobs_succeeded_total{job_type="text.transform"})', 5);
      await query('sum by (error_code) (cloudqueue_jobs_failed_total{error_code="DEMO_PERMANENT"})', 3);
      await query('cloudqueue_jobs{status="SUCCEEDED"}', 5);
      // Durations, one observation per claim and per commit, by job type.
      await query('cloudqueue_run_seconds_count{job_type="text.transform"}', 5);
      await query('cloudqueue_run_seconds_bucket{job_type="text.transform",le="+Inf"}', 5);
      await query('cloudqueue_wait_seconds_count{job_type="demo.unreliable"}', 3);
      await query('cloudqueue_total_seconds_count{job_type="demo.unreliable"}', 3);
      await query('cloudqueue_wait_seconds_count{job_type="hash.digest"}', 0);
      const [quantile] = await prometheus.query('histogram_quantile(0.5, sum by (le) (cloudqueue_run_seconds_bucket{job_type="text.transform"}))');
      expect(quantile?.value).to.be.greaterThan(0);
      const [target] = await prometheus.targets();
      expect(target).to.include({ health: "up", lastError: "", scrapeUrl: stack.ready.metricsUrl });
    });
  });
});
