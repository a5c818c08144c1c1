import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { expect } from "chai";
import type { BrowserContext, Page, Route } from "playwright-core";
import { LOCAL_AWS } from "../../local/emulators";
import { waitFor } from "../helpers/waitFor";
import { submitJob, waitForJobs } from "./helpers/jobs";
import { checkApiAnswers, launchBrowser, type ApiAnswerCheck } from "./helpers/browser";
import { SpawnedStack } from "./helpers/localStack";

/**
 * The page's metrics panel in Debian's Chromium: against `npm start`'s own registry while jobs
 * run, and against answers made up to pin down what it computes, how it polls and when it hides.
 * Set CLOUDQUEUE_METRICS_SCREENSHOT to a path to write a picture of the panel there.
 */
describe("metrics panel in a real browser against npm start", function () {
  this.timeout(60_000);
  let stack: SpawnedStack;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let context: BrowserContext;
  let page: Page;
  let answers: ApiAnswerCheck;

  before(async () => {
    stack = await SpawnedStack.start();
    browser = await launchBrowser();
    context = browser.context;
  });

  after(async () => {
    await browser?.close();
    await stack?.dispose();
  });

  beforeEach(async () => {
    page = await context.newPage();
    answers = checkApiAnswers(page, new URL(stack.ready.apiUrl).origin);
  });

  afterEach(async () => {
    const { checked, failures } = await answers.settle();
    await page.close();
    expect(failures, "the API's answers the page received, against the OpenAPI document").to.deep.equal([]);
    expect(checked, "API answers checked (the page reads the job types at least)").to.be.greaterThan(0);
  });

  /** The number a cell shows, from its `data-value`; `undefined` while it shows none. */
  async function shown(id: string): Promise<number | undefined> {
    const value = await page.getAttribute(`#${id}`, "data-value");
    return value === null ? undefined : Number(value);
  }

  /** Waits until the cell's number is `expected` (the panel reads the registry every 2 s). */
  async function waitForShown(id: string, expected: number, timeout = 20_000): Promise<void> {
    await page.waitForSelector(`#${id}[data-value="${expected}"]`, { timeout });
  }

  /** Counts the page's reads of /metrics; `waitFor(n)` until there have been `n`. */
  function countMetricsReads(target: Page) {
    let reads = 0;
    target.on("request", (request) => {
      if (new URL(request.url()).pathname === "/metrics") reads++;
    });
    return {
      count: () => reads,
      waitFor: (wanted: number) => waitFor(`${wanted} reads of /metrics`, async () => (reads >= wanted ? reads : undefined), 10_000, 20),
    };
  }

  /**
   * The page's timers on a clock that moves only when told (`page.clock.runFor`): installed, then
   * paused a moment later, before the page loads.
   */
  async function pauseClock(target: Page): Promise<void> {
    const now = Date.now();
    await target.clock.install({ time: now });
    await target.clock.pauseAt(now + 1_000);
  }

  it("shows jobs by status, wait and run percentiles, queue and DLQ depth, and workers in flight, updating while jobs run", async () => {
    await page.goto(stack.ready.pageUrl);
    await page.waitForSelector("#metrics-section:not([hidden])", { timeout: 10_000 });
    // Real table and list semantics, labelled; one polite live region, not the tables themselves.
    expect(await page.textContent("#metrics-status caption")).to.equal("Jobs by status");
    expect(await page.$$eval("#metrics-status tbody th", (cells) => cells.map((cell) => cell.getAttribute("scope")))).to.deep.equal(["row", "row", "row", "row", "row"]);
    expect(await page.textContent("#metrics-durations caption")).to.equal("Wait and run time");
    expect(await page.textContent("#metrics-queues caption")).to.equal("Queues");
    expect(await page.$$eval("#metrics-queues tbody th", (cells) => cells.map((cell) => `${cell.getAttribute("scope")} ${cell.textContent}`))).to.deep.equal(["row Job queue", "row Dead-letter queue"]);
    expect(await page.$$eval("#metrics-durations thead th", (cells) => cells.map((cell) => cell.getAttribute("scope")))).to.deep.equal(["col", "col", "col"]);
    expect(await page.getAttribute("#metrics-section", "aria-labelledby")).to.equal("metrics-heading");
    expect(await page.getAttribute("#metrics-live", "aria-live")).to.equal("polite");
    expect(await page.$$eval("#metrics-section [aria-live]", (elements) => elements.length)).to.equal(0);
    await waitForShown("metrics-status-SUCCEEDED", 0);
    await waitForShown("metrics-dlq", 0);

    // A job held in its run: in progress, one worker invocation in flight. Quick ones finish
    // meanwhile, some failed.
    const slow = await submitJob(stack.ready.apiUrl, { type: "demo.unreliable", payload: { sleepMs: 8_000, failAttempts: 0, permanent: false } });
    await waitForShown("metrics-status-IN_PROGRESS", 1);
    await page.waitForSelector("#metrics-in-flight:text-is('1 of 10')");
    const quick = await Promise.all([
      ...["a", "b", "c"].map((text) => submitJob(stack.ready.apiUrl, { type: "text.transform", payload: { text } })),
      ...[1, 2].map(() => submitJob(stack.ready.apiUrl, { type: "demo.unreliable", payload: { sleepMs: 0, failAttempts: 0, permanent: true } })),
    ]);
    await waitForJobs(stack.ready.apiUrl, quick);
    await waitForShown("metrics-status-SUCCEEDED", 3);
    await waitForShown("metrics-status-FAILED", 2);
    expect(await shown("metrics-status-IN_PROGRESS"), "the held job, still running").to.equal(1);

    await waitForJobs(stack.ready.apiUrl, [slow]);
    await waitForShown("metrics-status-SUCCEEDED", 4);
    await waitForShown("metrics-status-IN_PROGRESS", 0);
    await page.waitForSelector("#metrics-in-flight:text-is('0 of 10')");
    // One wait per claim, one run per commit: six jobs.
    await waitForShown("metrics-wait-count", 6);
    await waitForShown("metrics-run-count", 6);
    for (const cell of ["metrics-wait-p50", "metrics-wait-p99", "metrics-run-p50", "metrics-run-p99"]) {
      expect(await shown(cell), cell).to.be.a("number").and.at.least(0);
      expect(await page.textContent(`#${cell}`), cell).to.match(/^\d+(\.\d+)? (ms|s)$/);
    }
    // The held job's run (8 s) is the slowest of six: p99 falls in its bucket (5 to 10 s).
    expect(await shown("metrics-run-p99")).to.be.within(5, 10);

    // A delayed job waits in the queue, delayed; a message dead-lettered shows in the DLQ.
    await submitJob(stack.ready.apiUrl, { type: "text.transform", payload: { text: "later" }, delaySeconds: 600 });
    await waitForShown("metrics-status-QUEUED", 1);
    await waitForShown("metrics-queue", 1);
    expect(await shown("metrics-queue-delayed")).to.equal(1);
    expect(await shown("metrics-queue-visible")).to.equal(0);
    const sqs = new SQSClient({ ...LOCAL_AWS, endpoint: stack.ready.sqsEndpoint });
    try {
      await sqs.send(new SendMessageCommand({ QueueUrl: stack.ready.dlqUrl, MessageBody: "a poison message" }));
    } finally {
      sqs.destroy();
    }
    await waitForShown("metrics-dlq", 1);
    expect(await page.textContent("#metrics-updated")).to.match(/^Updated /);

    if (process.env.CLOUDQUEUE_METRICS_SCREENSHOT) {
      const path = resolve(process.env.CLOUDQUEUE_METRICS_SCREENSHOT);
      mkdirSync(dirname(path), { recursive: true });
      await page.locator("#metrics-section").screenshot({ path });
    }
  });

  it("fits a phone's screen without sideways scrolling", async () => {
    await page.setViewportSize({ width: 360, height: 740 });
    await page.goto(stack.ready.pageUrl);
    await page.waitForSelector("#metrics-section:not([hidden])", { timeout: 10_000 });
    const overflow = await page.evaluate<number>("document.documentElement.scrollWidth - document.documentElement.clientWidth");
    expect(overflow).to.be.at.most(0);
  });

  describe("with made-up answers at /metrics", () => {
    /** The registry in prom-client's JSON form with the series the panel reads. */
    function registry(options: { succeeded?: number; runBuckets?: Record<string, [number, number]> } = {}) {
      // Two job types' cumulative run-time buckets: [first type, second type] per bound.
      const runBuckets = options.runBuckets ?? { "0.1": [0, 1], "0.25": [2, 1], "0.5": [4, 2], "+Inf": [4, 2] };
      const bucketValues = Object.entries(runBuckets).flatMap(([le, counts]) =>
        counts.map((value, index) => ({ value, metricName: "cloudqueue_run_seconds_bucket", labels: { le: le === "+Inf" ? le : Number(le), job_type: `type-${index}` } })),
      );
      return [
        { name: "cloudqueue_run_seconds", help: "", type: "histogram", aggregator: "sum", values: bucketValues },
        { name: "cloudqueue_wait_seconds", help: "", type: "histogram", aggregator: "sum", values: [{ value: 0, metricName: "cloudqueue_wait_seconds_bucket", labels: { le: "+Inf", job_type: "type-0" } }] },
        {
          name: "cloudqueue_jobs",
          help: "",
          type: "gauge",
          aggregator: "sum",
          values: [
            { value: 1, labels: { status: "QUEUED" } },
            { value: 0, labels: { status: "IN_PROGRESS" } },
            { value: options.succeeded ?? 7, labels: { status: "SUCCEEDED" } },
            { value: 2, labels: { status: "FAILED" } },
            { value: 0, labels: { status: "CANCELED" } },
          ],
        },
        {
          name: "cloudqueue_queue_messages",
          help: "",
          type: "gauge",
          aggregator: "sum",
          values: [
            { value: 2, labels: { queue: "jobs", state: "visible" } },
            { value: 1, labels: { queue: "jobs", state: "in_flight" } },
            { value: 0, labels: { queue: "jobs", state: "delayed" } },
            { value: 3, labels: { queue: "dlq", state: "visible" } },
            { value: 0, labels: { queue: "dlq", state: "in_flight" } },
            { value: 0, labels: { queue: "dlq", state: "delayed" } },
          ],
        },
        { name: "cloudqueue_worker_invocations_in_flight", help: "", type: "gauge", aggregator: "sum", values: [{ value: 1, labels: {} }] },
        { name: "cloudqueue_worker_max_concurrency", help: "", type: "gauge", aggregator: "sum", values: [{ value: 10, labels: {} }] },
      ];
    }

    const json = (body: unknown) => ({ status: 200, headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

    it("computes p50 and p99 over every job type as histogram_quantile does, and shows each queue's depth", async () => {
      await page.route("**/metrics", (route) => route.fulfill(json(registry())));
      await page.goto(stack.ready.pageUrl);
      await page.waitForSelector("#metrics-section:not([hidden])");
      // Summed by bound: 1 at 0.1, 3 at 0.25, 6 at 0.5 and +Inf. The 3rd of 6 is at 0.25 (from
      // 0.1, 2 of 2 in its bucket); the 5.94th at 0.25 + 0.25 x 2.94 / 3.
      expect(await page.textContent("#metrics-run-p50")).to.equal("250 ms");
      expect(await shown("metrics-run-p99")).to.be.closeTo(0.495, 1e-9);
      expect(await page.textContent("#metrics-run-p99")).to.equal("495 ms");
      expect(await shown("metrics-run-count")).to.equal(6);
      // No observations: no percentile to show.
      expect(await page.textContent("#metrics-wait-p50")).to.equal("—");
      expect(await shown("metrics-wait-count")).to.equal(0);
      expect(await shown("metrics-queue")).to.equal(3);
      expect([await shown("metrics-queue-visible"), await shown("metrics-queue-in-flight"), await shown("metrics-queue-delayed")]).to.deep.equal([2, 1, 0]);
      expect(await shown("metrics-dlq")).to.equal(3);
      expect(await shown("metrics-dlq-visible")).to.equal(3);
      expect(await page.textContent("#metrics-in-flight")).to.equal("1 of 10");
      expect(await shown("metrics-status-SUCCEEDED")).to.equal(7);
    });

    it("stays hidden, and asks no more, where /metrics answers 404 (the deployed site, through CloudFront)", async () => {
      await pauseClock(page);
      const reads = countMetricsReads(page);
      await page.route("**/metrics", (route) => route.fulfill({ status: 404, headers: { "content-type": "text/html" }, body: "<h1>Not found</h1>" }));
      const answered = page.waitForResponse((response) => new URL(response.url()).pathname === "/metrics");
      await page.goto(stack.ready.pageUrl);
      await answered;
      await page.waitForSelector("#job-type option", { state: "attached" });
      await page.clock.runFor(60_000);
      expect(await page.isHidden("#metrics-section")).to.equal(true);
      expect(reads.count(), "reads of /metrics in a minute").to.equal(1);
      // The rest of the page works as ever.
      expect(await page.isEnabled("#submit-job")).to.equal(true);
    });

    it("waits out a 503 with Retry-After (a stack still starting) before asking again", async () => {
      await pauseClock(page);
      const reads = countMetricsReads(page);
      let refused = 0;
      await page.route("**/metrics", async (route: Route) => {
        if (refused++ === 0) await route.fulfill({ status: 503, headers: { "retry-after": "5", "content-type": "application/problem+json" }, body: "{}" });
        else await route.fulfill(json(registry()));
      });
      const first = page.waitForResponse((response) => new URL(response.url()).pathname === "/metrics");
      await page.goto(stack.ready.pageUrl);
      await first;
      await page.clock.runFor(4_900);
      expect(reads.count(), "reads before Retry-After passed").to.equal(1);
      expect(await page.isHidden("#metrics-section")).to.equal(true);
      await page.clock.runFor(200);
      await page.waitForSelector("#metrics-section:not([hidden])");
      expect(await reads.waitFor(2)).to.equal(2);
    });

    it("asks nothing while the tab is hidden, and asks at once when it is shown again", async () => {
      await pauseClock(page);
      const reads = countMetricsReads(page);
      await page.route("**/metrics", (route) => route.fulfill(json(registry())));
      await page.goto(stack.ready.pageUrl);
      await page.waitForSelector("#metrics-section:not([hidden])");
      await page.clock.runFor(2_100);
      await reads.waitFor(2);

      // Headless Chromium's tab never hides: the page is told so, as a browser tells it.
      const setVisibility = (state: "hidden" | "visible") =>
        page.evaluate(`Object.defineProperty(document, "visibilityState", { value: "${state}", configurable: true }); document.dispatchEvent(new Event("visibilitychange"));`);
      await setVisibility("hidden");
      await page.clock.runFor(30_000);
      expect(reads.count(), "reads while hidden").to.equal(2);
      await setVisibility("visible");
      await page.clock.runFor(10);
      expect(await reads.waitFor(3)).to.equal(3);
    });

    it("tells a screen reader the counts when they change, at most every 15 s, never the first reading", async () => {
      await pauseClock(page);
      let succeeded = 7;
      await page.route("**/metrics", (route) => route.fulfill(json(registry({ succeeded }))));
      await page.goto(stack.ready.pageUrl);
      await page.waitForSelector("#metrics-section:not([hidden])");
      expect(await page.textContent("#metrics-live")).to.equal("");

      succeeded = 8;
      await page.clock.runFor(2_100);
      await waitForShown("metrics-status-SUCCEEDED", 8);
      expect(await page.textContent("#metrics-live"), "inside the quiet time").to.equal("");

      await page.clock.runFor(14_000);
      await page.waitForSelector("#metrics-live:has-text('8 succeeded')");
      expect(await page.textContent("#metrics-live")).to.equal("Jobs: 1 queued, 0 in progress, 8 succeeded, 2 failed, 0 canceled. Queue depth 3, dead-letter queue 3.");
    });
  });
});
