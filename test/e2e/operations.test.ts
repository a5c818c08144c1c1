import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { expect } from "chai";
import type { Page, Request } from "playwright-core";
import { waitFor } from "../helpers/waitFor";
import { launchBrowser } from "./helpers/browser";
import { readJob, submitJob, waitForJobs } from "./helpers/jobs";
import { SpawnedStack } from "./helpers/localStack";

/** The fields of `GET /jobs/summary` these tests read. */
interface Summary {
  byStatus: Record<string, number>;
}

/** A bulk call the page sent: its body and its Idempotency-Key. */
interface BulkCall {
  action: string;
  body: { dryRun?: boolean; jobIds?: string[]; filter?: Record<string, unknown>; cursor?: string; limit?: number };
  idempotencyKey: string | undefined;
}

/** A `datetime-local` value (local time, to the second) for an epoch ms. */
function localInputValue(ms: number): string {
  const date = new Date(ms);
  const two = (value: number) => String(value).padStart(2, "0");
  return `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())}T${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
}

/**
 * The page's operations view in Debian's Chromium against `npm start`: one stack and one browser,
 * jobs submitted over the API (some succeed, one after a retry, some fail for good, some wait out
 * a long delay), then what an operator does: the counts, a filtered table paged by cursor, a
 * job's attempts, a bulk retry of selected jobs and a bulk cancel of a whole filter, each after
 * its dry run. Set CLOUDQUEUE_OPERATIONS_SCREENSHOT to a path (docs/operations-view.png) to write
 * the view's picture there; without it the picture goes to a temporary folder.
 */
describe("operations view in a real browser against npm start", function () {
  this.timeout(60_000);
  let stack: SpawnedStack;
  let api: string;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;
  const failed: string[] = [];
  const succeeded: string[] = [];
  let flaky: string;
  const delayed: string[] = [];
  let delayedEarly: string;
  let delayedOtherType: string;
  /** A whole second between the early delayed job and the others: the time filter's boundary. */
  let batchFromMs: number;
  const bulkCalls: BulkCall[] = [];

  before(async () => {
    stack = await SpawnedStack.start();
    api = stack.ready.apiUrl;
    browser = await launchBrowser({ viewport: { width: 1280, height: 900 } });

    // A delayed job created before the boundary, then the batch after it: a filter from the boundary takes the batch only.
    delayedEarly = await submitJob(api, { type: "text.transform", payload: { text: "early" }, delaySeconds: 900 });
    const earlyCreatedMs = Date.parse(((await (await fetch(`${api}/jobs/${delayedEarly}`)).json()) as { createdAt: string }).createdAt);
    batchFromMs = Math.floor(earlyCreatedMs / 1000) * 1000 + 1000;
    await waitFor("the clock to pass the time filter's boundary", async () => (Date.now() > batchFromMs ? true : undefined), 5_000, 20);

    // Permanent failures that take a moment: a retried one is still running when the table is read again.
    const failing = Array.from({ length: 7 }, (_, index) => submitJob(api, { type: "demo.unreliable", payload: { sleepMs: 2500 + index, failAttempts: 0, permanent: true } }));
    const succeeding = [submitJob(api, { type: "text.transform", payload: { text: "hello cloudqueue" } }), submitJob(api, { type: "hash.digest", payload: { text: "abc", algorithm: "sha256" } })];
    const flakyJob = submitJob(api, { type: "demo.unreliable", payload: { sleepMs: 0, failAttempts: 1, permanent: false } });
    const delaying = Array.from({ length: 6 }, (_, index) => submitJob(api, { type: "text.transform", payload: { text: `later ${index}` }, delaySeconds: 900 }));
    const otherType = submitJob(api, { type: "hash.digest", payload: { text: "later", algorithm: "sha256" }, delaySeconds: 900 });
    failed.push(...(await Promise.all(failing)));
    succeeded.push(...(await Promise.all(succeeding)));
    flaky = await flakyJob;
    delayed.push(...(await Promise.all(delaying)));
    delayedOtherType = await otherType;
    await waitForJobs(api, failed, ["FAILED"]);
    await waitForJobs(api, [...succeeded, flaky], ["SUCCEEDED"]);

    page = await browser.context.newPage();
    page.on("request", (request: Request) => {
      const match = /\/jobs\/bulk\/(retry|cancel)$/.exec(new URL(request.url()).pathname);
      if (match && request.method() === "POST") bulkCalls.push({ action: match[1]!, body: request.postDataJSON(), idempotencyKey: request.headers()["idempotency-key"] });
    });
    await page.goto(stack.ready.pageUrl);
    await page.waitForSelector("#job-type option", { state: "attached" });
  });

  after(async () => {
    await browser?.close();
    await stack?.dispose();
  });

  async function summary(): Promise<Summary> {
    const response = await fetch(`${api}/jobs/summary`);
    expect(response.status).to.equal(200);
    return (await response.json()) as Summary;
  }

  /** The id of the element that has focus. */
  function focusedId(): Promise<string | null> {
    return page.evaluate<string | null>("document.activeElement && document.activeElement.id");
  }

  /** The figure a count shows, from its `data-value`. */
  async function count(status: string): Promise<number> {
    return Number(await page.getAttribute(`#status-counts button[data-status="${status}"] .count-value`, "data-value"));
  }

  /** Waits until the table is not being read, and returns its rows' job ids and statuses. */
  async function rows(): Promise<Array<{ jobId: string; status: string }>> {
    await page.waitForSelector("#jobs-table:not([aria-busy])");
    return page.$$eval("#jobs-body tr", (trs) => trs.map((tr) => ({ jobId: tr.getAttribute("data-job-id")!, status: tr.getAttribute("data-status")! })));
  }

  /** Sets the filter form (statuses checked, others cleared) and shows its first page. */
  async function filter(options: { status?: string[]; type?: string; createdFrom?: string; pageSize?: number }): Promise<void> {
    await page.click("#filter-clear");
    for (const status of options.status ?? []) await page.check(`#filter-status-${status}`);
    if (options.type) await page.selectOption("#filter-type", options.type);
    if (options.createdFrom) await page.fill("#filter-created-after", options.createdFrom);
    await page.selectOption("#filter-page-size", String(options.pageSize ?? 25));
    await page.click("#filter-apply");
    await rows();
  }

  it("switches to the operations view by its link and by #operations, and counts the jobs by status", async () => {
    await page.click("#nav-operations");

    expect(new URL(page.url()).hash).to.equal("#operations");
    await page.waitForSelector("#operations-view:not([hidden])");
    expect(await page.isVisible("#submit-view")).to.equal(false);
    expect(await page.getAttribute("#nav-operations", "aria-current")).to.equal("page");
    expect(await page.getAttribute("#nav-submit", "aria-current")).to.equal(null);
    expect(await focusedId(), "focus moves to the view's heading").to.equal("counts-heading");
    await page.waitForSelector('#status-counts button[data-status="FAILED"] .count-value[data-value]');
    const expected = await summary();
    for (const status of ["QUEUED", "SUCCEEDED", "FAILED", "CANCELED"]) expect(await count(status), status).to.equal(expected.byStatus[status]);
    expect(await count("FAILED")).to.equal(7);
    expect(await count("QUEUED")).to.equal(8);
    expect(await count("SUCCEEDED")).to.equal(3);
    expect(await count("ALL")).to.equal(18);

    // Linked: a fresh tab at #operations opens on this view; Back returns to the form.
    const linked = await browser.context.newPage();
    try {
      await linked.goto(`${stack.ready.pageUrl}#operations`);
      await linked.waitForSelector('#status-counts button[data-status="FAILED"] .count-value[data-value="7"]');
      expect(await linked.isVisible("#submit-view")).to.equal(false);
      expect(await linked.title()).to.match(/^Operations/);
    } finally {
      await linked.close();
    }
    await page.goBack();
    await page.waitForSelector("#submit-view:not([hidden])");
    expect(await page.isVisible("#operations-view")).to.equal(false);
    await page.goForward();
    await page.waitForSelector("#operations-view:not([hidden])");
  });

  it("sends the page's access token with the view's requests, and reads the view again when it is set (jwt stacks)", async () => {
    // This stack is open; config.json is made to say jwt so the page asks for a token, as on a closed stack.
    const tab = await browser.context.newPage();
    const calls: Array<{ path: string; authorization: string | undefined }> = [];
    tab.on("request", (request) => {
      const path = new URL(request.url()).pathname;
      if (path === "/jobs" || path === "/jobs/summary") calls.push({ path, authorization: request.headers().authorization });
    });
    try {
      await tab.route("**/config.json", (route) => route.fulfill({ status: 200, contentType: "application/json", body: JSON.stringify({ apiUrl: "/", auth: "jwt" }) }));
      await tab.goto(`${stack.ready.pageUrl}#operations`);
      await tab.waitForSelector("#access-section:not([hidden])");
      await waitFor("the view's first reads", async () => (calls.some((call) => call.path === "/jobs") && calls.some((call) => call.path === "/jobs/summary") ? true : undefined), 10_000, 20);
      expect(calls.every((call) => call.authorization === undefined)).to.equal(true);

      const before = calls.length;
      await tab.fill("#access-token", "Bearer test-token");
      await tab.click("#use-token");
      await waitFor("the view's reads with the token", async () => (new Set(calls.slice(before).map((call) => call.path)).size === 2 ? true : undefined), 10_000, 20);
      expect(calls.slice(before).map((call) => call.authorization)).to.satisfy((values: unknown[]) => values.every((value) => value === "Bearer test-token"));
    } finally {
      await tab.close();
    }
  });

  it("labels every control, gives the table a caption and header cells, and fits a phone's screen", async () => {
    await rows();
    // Each control's name: aria-label, else its <label>, else (a button) its text.
    const unlabelled = await page.evaluate<string[]>(`[...document.querySelectorAll("#operations-view input, #operations-view select, #operations-view button")]
      .filter((control) => !(control.getAttribute("aria-label") || (control.labels && control.labels[0] ? control.labels[0].textContent : control.textContent) || "").trim())
      .map((control) => control.outerHTML)`);
    expect(unlabelled).to.deep.equal([]);
    expect(await page.textContent("#jobs-caption")).to.match(/newest first: page 1/);
    expect(await page.$$eval("#jobs-table thead th", (ths) => ths.every((th) => th.getAttribute("scope") === "col"))).to.equal(true);
    expect(await page.$$eval("#jobs-body tr", (trs) => trs.every((tr) => tr.querySelector('th[scope="row"]') !== null))).to.equal(true);
    const failedRows = (await rows()).filter((row) => row.status === "FAILED").length;
    expect(failedRows).to.be.at.least(1);
    expect(await page.getByRole("checkbox", { name: /^Select job [0-9a-f]{8}, demo\.unreliable, FAILED$/ }).count()).to.equal(failedRows);

    // On a phone's screen the page itself does not scroll sideways (a wide table scrolls in its own box).
    await page.setViewportSize({ width: 360, height: 740 });
    try {
      expect(await page.evaluate<number>("document.documentElement.scrollWidth - document.documentElement.clientWidth")).to.be.at.most(0);
    } finally {
      await page.setViewportSize({ width: 1280, height: 900 });
    }
  });

  it("filters by status FAILED and pages through them five at most at a time, Previous going back by the cursors it came by", async () => {
    await filter({ status: ["FAILED"], pageSize: 5 });

    expect(await page.textContent("#jobs-caption")).to.match(/^Failed jobs, newest first: page 1/);
    const firstPage = await rows();
    const seen = [...firstPage];
    let pages = 1;
    while (await page.isEnabled("#page-next")) {
      await page.click("#page-next");
      pages++;
      await page.waitForSelector(`#page-status:text-is("Page ${pages}")`);
      const shown = await rows();
      expect(shown.length, `page ${pages}`).to.be.at.most(5);
      seen.push(...shown);
      expect(pages, "pages").to.be.below(20);
    }
    expect(firstPage.length).to.be.within(1, 5);
    expect(pages).to.be.at.least(2);
    expect(seen.every((row) => row.status === "FAILED")).to.equal(true);
    expect(seen.map((row) => row.jobId)).to.have.members(failed);

    for (let back = pages - 1; back >= 1; back--) {
      await page.click("#page-previous");
      await page.waitForSelector(`#page-status:text-is("Page ${back}")`);
    }
    expect(await rows()).to.deep.equal(firstPage);
    expect(await page.isEnabled("#page-previous")).to.equal(false);
  });

  it("lists the failed jobs from the Failed figure, and opens a job's detail with its attempt history and timeline", async () => {
    await page.click("#filter-clear");
    await rows();
    await page.click('#status-counts button[data-status="FAILED"]');
    expect(await page.getAttribute('#status-counts button[data-status="FAILED"]', "aria-pressed")).to.equal("true");
    expect(await page.isChecked("#filter-status-FAILED")).to.equal(true);
    expect((await rows()).map((row) => row.status)).to.satisfy((statuses: string[]) => statuses.length > 0 && statuses.every((status) => status === "FAILED"));

    await filter({ status: ["SUCCEEDED"], type: "demo.unreliable" });
    expect((await rows()).map((row) => row.jobId)).to.deep.equal([flaky]);
    await page.click(`#jobs-body button.job-open[data-job-id="${flaky}"]`);
    await page.waitForSelector('#detail-status[data-status="SUCCEEDED"]');

    expect(await focusedId(), "focus moves to the detail").to.equal("detail-heading");
    expect(await page.textContent("#detail-job-id")).to.equal(flaky);
    expect(await page.textContent("#detail-attempts")).to.equal("2 of 4");
    const attempts = await page.$$eval("#attempt-history tbody tr", (trs) => trs.map((tr) => [...tr.children].map((cell) => cell.textContent?.trim())));
    expect(attempts.map((cells) => [cells[0], cells[4], cells[5]])).to.deep.equal([
      ["1", "failed, to be retried", "DEMO_TRANSIENT"],
      ["2", "succeeded", "—"],
    ]);
    expect(await page.textContent("#attempt-history caption")).to.match(/^Attempt history/);
    const timeline = await page.$$eval("#job-timeline li .timeline-text", (items) => items.map((item) => item.textContent));
    expect(timeline).to.deep.equal(["Submitted", "Attempt 1 started", "Attempt 1 failed, to be retried (DEMO_TRANSIENT)", "Attempt 2 started", "Attempt 2 succeeded", "Finished: SUCCEEDED"]);
    expect(await page.isVisible("#detail-retry")).to.equal(false);

    // The picture: every demo.unreliable job in the table, the detail still open on the one that succeeded.
    await filter({ type: "demo.unreliable" });
    expect(await page.getAttribute(`#jobs-body tr[data-job-id="${flaky}"]`, "class")).to.equal("is-open");
    expect(await page.textContent("#detail-job-id")).to.equal(flaky);
    const screenshot = process.env.CLOUDQUEUE_OPERATIONS_SCREENSHOT ? resolve(process.env.CLOUDQUEUE_OPERATIONS_SCREENSHOT) : undefined;
    const folder = screenshot ? undefined : mkdtempSync(join(tmpdir(), "cloudqueue-operations-"));
    const path = screenshot ?? join(folder!, "operations-view.png");
    try {
      mkdirSync(dirname(path), { recursive: true });
      await page.screenshot({ path, fullPage: true });
      expect(readFileSync(path).subarray(1, 4).toString("latin1"), "a PNG").to.equal("PNG");
    } finally {
      if (folder) rmSync(folder, { recursive: true, force: true });
    }

    await page.click("#detail-close");
    expect(await page.isVisible("#detail-section")).to.equal(false);
    expect(await page.evaluate<string | null>('document.activeElement && document.activeElement.getAttribute("data-job-id")'), "focus returns to the job's button").to.equal(flaky);
  });

  it("retries selected failed jobs after a dry run and a confirmation, and reads the table again", async () => {
    await filter({ status: ["FAILED"] });
    const shown = await rows();
    expect(shown.length).to.be.at.least(2);
    const chosen = shown.slice(0, 2).map((row) => row.jobId);
    for (const jobId of chosen) await page.check(`#jobs-body input.row-select[data-job-id="${jobId}"]`);
    expect(await page.textContent("#selection-count")).to.equal("2 jobs selected");
    bulkCalls.length = 0;

    // The dry run asks first; going back changes nothing and gives focus back.
    await page.click("#retry-selected");
    const dialog = page.getByRole("dialog", { name: "Retry 2 jobs?" });
    await dialog.waitFor();
    expect(await focusedId(), "focus starts on the choice that changes nothing").to.equal("bulk-dismiss");
    expect(await page.$$eval("#bulk-dialog-sample tr", (trs) => trs.length)).to.equal(2);
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });
    expect(await focusedId()).to.equal("retry-selected");
    expect((await Promise.all(chosen.map((jobId) => readJob(api, jobId)))).map((job) => job.status)).to.deep.equal(["FAILED", "FAILED"]);

    await page.click("#retry-selected");
    await dialog.waitFor();
    await page.click("#bulk-confirm");
    await page.waitForSelector('#bulk-result-summary[data-changed="2"]');

    expect(await page.textContent("#bulk-result-summary")).to.equal("2 jobs retried, 0 skipped.");
    await page.locator("#live-status", { hasText: "2 jobs retried" }).waitFor({ state: "attached" });
    expect(bulkCalls.map((call) => [call.action, call.body.dryRun, call.body.jobIds])).to.deep.equal([
      ["retry", true, chosen],
      ["retry", true, chosen],
      ["retry", false, chosen],
    ]);
    expect(bulkCalls[2]!.idempotencyKey).to.match(/^[0-9a-f-]{36}-0$/);
    // Each retried job runs again for 2.5 s, so the table, read again at once, no longer lists it as FAILED.
    const after = (await rows()).map((row) => row.jobId);
    expect(after).to.not.include(chosen[0]);
    expect(after).to.not.include(chosen[1]);
    expect(await page.textContent("#selection-count")).to.equal("No job selected");

    await waitForJobs(api, chosen, ["FAILED"]);
    for (const jobId of failed) {
      const runs = stack.transitions().filter((line) => line.jobId === jobId && line.to === "IN_PROGRESS").length;
      expect(runs, `runs of ${jobId}`).to.equal(chosen.includes(jobId) ? 2 : 1);
    }
  });

  it("cancels every delayed queued job a filter matches, call by call with progress, and leaves the others queued", async () => {
    const before = await summary();
    await filter({ status: ["QUEUED"], type: "text.transform", createdFrom: localInputValue(batchFromMs), pageSize: 5 });
    const listed = new Set<string>();
    for (const row of await rows()) listed.add(row.jobId);
    expect([...listed].every((jobId) => delayed.includes(jobId))).to.equal(true);
    bulkCalls.length = 0;

    // The second call is held until the page has shown the first one's progress.
    let progressSeen: string | null = null;
    await page.route("**/jobs/bulk/cancel", async (route) => {
      const body = route.request().postDataJSON() as BulkCall["body"];
      if (body.dryRun === false && body.cursor !== undefined && progressSeen === null) {
        await page.waitForSelector("#bulk-progress:not([hidden])");
        progressSeen = await page.textContent("#bulk-progress-label");
      }
      await route.continue();
    });
    try {
      await page.click("#cancel-matching");
      const dialog = page.getByRole("dialog", { name: "Cancel 6 jobs?" });
      await dialog.waitFor();
      expect(await page.$$eval("#bulk-dialog-sample tr", (trs) => trs.length)).to.equal(6);
      await page.click("#bulk-confirm");
      await page.waitForSelector("#bulk-result-summary[data-changed]");
    } finally {
      await page.unroute("**/jobs/bulk/cancel");
    }

    expect(await page.textContent("#bulk-result-summary")).to.equal("6 jobs canceled, 0 skipped.");
    expect(progressSeen).to.match(/^Canceling: \d+ of about 6 examined, \d+ canceled, 0 skipped\./);
    const [dryRun, ...calls] = bulkCalls;
    expect(dryRun!.body.dryRun).to.equal(true);
    expect(dryRun!.body.filter).to.deep.equal({ status: ["QUEUED"], type: "text.transform", createdAfter: new Date(batchFromMs).toISOString() });
    expect(calls.length, "calls").to.be.at.least(2);
    const operation = calls[0]!.idempotencyKey!.replace(/-0$/, "");
    expect(calls.map((call) => call.idempotencyKey)).to.deep.equal(calls.map((_, index) => `${operation}-${index}`));
    expect(calls[0]!.body.cursor).to.equal(undefined);
    expect(calls.slice(1).every((call) => typeof call.body.cursor === "string")).to.equal(true);
    expect(calls.every((call) => call.body.limit === 5 && JSON.stringify(call.body.filter) === JSON.stringify(dryRun!.body.filter))).to.equal(true);

    const states = await Promise.all([...delayed, delayedEarly, delayedOtherType].map((jobId) => readJob(api, jobId)));
    expect(states.map((job) => job.status)).to.deep.equal([...delayed.map(() => "CANCELED"), "QUEUED", "QUEUED"]);
    expect(await rows()).to.deep.equal([]);
    expect(await page.textContent("#jobs-empty")).to.equal("No jobs match these filters.");
    const afterwards = await summary();
    expect(afterwards.byStatus.QUEUED).to.equal(before.byStatus.QUEUED! - 6);
    expect(afterwards.byStatus.CANCELED).to.equal(before.byStatus.CANCELED! + 6);
    await page.waitForSelector(`#status-counts button[data-status="CANCELED"] .count-value[data-value="${afterwards.byStatus.CANCELED}"]`);
  });
});
