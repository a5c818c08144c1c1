import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { DynamoDBClient, ScanCommand } from "@aws-sdk/client-dynamodb";
import { expect } from "chai";
import type { BrowserContext, Page } from "playwright-core";
import { LOCAL_AWS } from "../../local/emulators";
import { checkApiAnswers, launchBrowser, type ApiAnswerCheck } from "./helpers/browser";
import { SpawnedStack } from "./helpers/localStack";

/**
 * The page in Debian's Chromium against the stack `npm start` runs (its own script, a free port,
 * a temporary data dir): what a person does and sees.
 */
describe("site in a real browser against npm start", function () {
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
    await page.goto(stack.ready.pageUrl);
    await page.waitForSelector("#job-type option", { state: "attached" });
  });

  afterEach(async () => {
    const { checked, failures } = await answers.settle();
    await page.close();
    expect(failures, "the API's answers the page received, against the OpenAPI document").to.deep.equal([]);
    expect(checked, "API answers checked (the page reads the job types at least)").to.be.greaterThan(0);
  });

  /** Chooses a type, sets its fields (text, number, checkbox), and submits. */
  async function submit(type: string, fields: Record<string, string | number | boolean>, delaySeconds = 0): Promise<string> {
    await page.selectOption("#job-type", type);
    for (const [name, value] of Object.entries(fields)) {
      if (typeof value === "boolean") await page.setChecked(`#field-${name}`, value);
      else await page.fill(`#field-${name}`, String(value));
    }
    await page.fill("#delay-seconds", String(delaySeconds));
    await page.click("#submit-job");
    await page.waitForSelector("#job-id");
    return (await page.textContent("#job-id"))!.trim();
  }

  async function waitForStatus(status: string, timeout = 30_000): Promise<void> {
    await page.waitForSelector(`#job-status[data-status="${status}"]`, { timeout });
  }

  async function resultField(name: string): Promise<string> {
    return (await page.textContent(`#job-result [data-field="${name}"] dd`))!.trim();
  }

  async function itemCount(): Promise<number> {
    const dynamo = new DynamoDBClient({ ...LOCAL_AWS, endpoint: stack.ready.dynamoEndpoint });
    try {
      const { Count } = await dynamo.send(new ScanCommand({ TableName: stack.ready.tableName, Select: "COUNT" }));
      return Count ?? 0;
    } finally {
      dynamo.destroy();
    }
  }

  it("lists the job types and prefills each form with the example", async () => {
    const types = await page.$$eval("#job-type option", (options) => options.map((option) => option.getAttribute("value")));
    expect(types).to.include.members(["text.transform", "hash.digest", "demo.unreliable"]);
    expect(await page.inputValue("#field-text")).to.equal("hello cloudqueue");
    await page.selectOption("#job-type", "demo.unreliable");
    expect(await page.inputValue("#field-sleepMs")).to.equal("500");
    expect(await page.inputValue("#field-failAttempts")).to.equal("2");
    expect(await page.isChecked("#field-permanent")).to.equal(false);
    await page.selectOption("#job-type", "hash.digest");
    expect(await page.textContent("#field-algorithm option:checked")).to.equal("sha256");
    expect(await page.getAttribute("label[for=field-text]", "for")).to.equal("field-text");
  });

  it("runs text.transform on 'hello cloudqueue' and shows its result, reading the job at most 4 times", async () => {
    const reads: string[] = [];
    page.on("request", (request) => {
      if (request.method() === "GET" && /\/jobs\/[0-9a-f-]{36}$/.test(request.url())) reads.push(request.url());
    });
    const jobId = await submit("text.transform", { text: "hello cloudqueue" });
    expect(jobId).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    await waitForStatus("SUCCEEDED");

    expect(await resultField("originalLength")).to.equal("16");
    expect(await resultField("uppercase")).to.equal("HELLO CLOUDQUEUE");
    expect(await resultField("wordCount")).to.equal("2");
    expect(await page.textContent("#job-attempts")).to.equal("1 of 3");
    expect(await page.getAttribute("#job-finished time", "datetime")).to.match(/^\d{4}-\d\d-\d\dT/);
    await page.locator("#live-status", { hasText: "SUCCEEDED" }).waitFor({ state: "attached" });
    expect(await page.textContent("#recent-jobs")).to.contain("text.transform");
    expect(reads.length).to.be.within(1, 4);

    if (process.env.CLOUDQUEUE_SCREENSHOT) {
      const path = resolve(process.env.CLOUDQUEUE_SCREENSHOT);
      mkdirSync(dirname(path), { recursive: true });
      await page.screenshot({ path, fullPage: true });
    }
  });

  it("shows demo.unreliable's two failed attempts, then its success", async () => {
    await submit("demo.unreliable", { sleepMs: 300, failAttempts: 2, permanent: false });
    await waitForStatus("SUCCEEDED");

    expect(await page.textContent("#job-attempts")).to.equal("3 of 4");
    expect(await resultField("attempt")).to.equal("3");
    const history = await page.textContent("#job-history");
    expect(history).to.match(/attempt 1 failed \(DEMO_TRANSIENT/);
    expect(history).to.contain("SUCCEEDED on attempt 3 of 4");
  });

  it("shows a permanent failure as FAILED with its error, and a retry runs the job again", async () => {
    const jobId = await submit("demo.unreliable", { sleepMs: 0, failAttempts: 0, permanent: true });
    await waitForStatus("FAILED");
    expect(await page.textContent("#job-error-code")).to.equal("DEMO_PERMANENT");
    expect(await page.textContent("#job-error-message")).to.equal("demo.unreliable was asked to fail permanently");
    expect(await page.textContent("#job-attempts")).to.equal("1 of 4");
    expect(await page.isVisible("#cancel-job")).to.equal(false);

    await page.click("#retry-job");
    await page.locator("#job-history li", { hasText: "FAILED on attempt" }).nth(1).waitFor({ timeout: 30_000 });
    await waitForStatus("FAILED");
    const runs = stack.transitions().filter((line) => line.jobId === jobId && line.to === "IN_PROGRESS");
    expect(runs, "the worker ran the job twice").to.have.length(2);
    expect(await page.textContent("#job-attempts")).to.equal("1 of 4");
  });

  it("cancels a delayed job while it is queued", async () => {
    const jobId = await submit("text.transform", { text: "not yet" }, 120);
    expect(await page.getAttribute("#job-status", "data-status")).to.equal("QUEUED");
    await page.click("#cancel-job");
    await waitForStatus("CANCELED");
    expect(await page.isVisible("#cancel-job")).to.equal(false);
    expect(await page.isVisible("#retry-job")).to.equal(true);
    await page.locator("#live-status", { hasText: "canceled" }).waitFor({ state: "attached" });
    expect(stack.transitions().filter((line) => line.jobId === jobId).map((line) => line.to)).to.deep.equal(["QUEUED", "CANCELED"]);
  });

  it("shows the API's validation message next to the field and creates no job", async () => {
    const before = await itemCount();
    await page.selectOption("#job-type", "text.transform");
    await page.fill("#field-text", "");
    await page.click("#submit-job");
    await page.waitForSelector("#field-text-error:not([hidden])");

    expect(await page.textContent("#field-text-error")).to.equal("text must not be empty");
    expect(await page.getAttribute("#field-text", "aria-invalid")).to.equal("true");
    expect(await page.getAttribute("#field-text", "aria-describedby")).to.contain("field-text-error");
    expect(await page.isVisible("#job-section")).to.equal(false);
    expect(await itemCount()).to.equal(before);

    await page.selectOption("#job-type", "demo.unreliable");
    await page.fill("#field-sleepMs", "70000");
    await page.click("#submit-job");
    await page.waitForSelector("#field-sleepMs-error:not([hidden])");
    expect(await page.textContent("#field-sleepMs-error")).to.contain("60000");
    expect(await itemCount()).to.equal(before);
  });

  it("waits out a 503 with Retry-After (a stack still starting) before loading the job types", async () => {
    const fresh = await context.newPage();
    let refused = 0;
    await fresh.route("**/job-types", async (route) => {
      if (refused++ < 2) {
        await route.fulfill({ status: 503, headers: { "retry-after": "1", "content-type": "application/problem+json" }, body: JSON.stringify({ type: "urn:cloudqueue:problem:starting", title: "Service Unavailable", status: 503, detail: "CloudQueue is starting; retry in a moment" }) });
      } else {
        await route.continue();
      }
    });
    try {
      await fresh.goto(stack.ready.pageUrl);
      await fresh.waitForSelector("#job-type option", { state: "attached", timeout: 10_000 });
      expect(refused).to.equal(3);
      expect(await fresh.isVisible("#load-error")).to.equal(false);
    } finally {
      await fresh.close();
    }
  });

  it("explains API Gateway's own answers (its {message} JSON, not problem+json) and stores nothing", async () => {
    const before = await itemCount();
    const answers: Array<[number, string, RegExp]> = [
      [429, "Too Many Requests", /throttling requests; wait a moment/],
      [413, "Request Entity Too Large", /larger than API Gateway accepts/],
      [504, "Endpoint request timed out", /did not answer in time.*check Recent jobs/],
    ];
    for (const [status, message, shown] of answers) {
      await page.route("**/jobs", (route) => route.fulfill({ status, headers: { "content-type": "application/json" }, body: JSON.stringify({ message }) }), { times: 1 });
      await page.click("#submit-job");
      await page.waitForSelector("#form-error:not([hidden])");
      expect(await page.textContent("#form-error"), String(status)).to.match(shown);
    }
    expect(await itemCount()).to.equal(before);
  });

  it("keeps recent jobs across a reload and reopens one", async () => {
    const jobId = await submit("hash.digest", { text: "abc" });
    await waitForStatus("SUCCEEDED");
    await page.reload();
    await page.waitForSelector(`button[data-job-id="${jobId}"]`);
    await page.click(`button[data-job-id="${jobId}"]`);
    await waitForStatus("SUCCEEDED");
    expect(await resultField("hex")).to.equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });

  it("fits a phone's screen without sideways scrolling", async () => {
    await page.setViewportSize({ width: 360, height: 740 });
    await submit("text.transform", { text: "hello cloudqueue" });
    await waitForStatus("SUCCEEDED");
    const overflow = await page.evaluate<number>("document.documentElement.scrollWidth - document.documentElement.clientWidth");
    expect(overflow).to.be.at.most(0);
  });
});
