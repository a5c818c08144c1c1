import { launchBrowser } from "../test/e2e/helpers/browser";
import { percentile } from "./stackClient";

/**
 * Phase 4: status reads the site's own polling makes for a job that finishes in about one
 * second: the real page in Chromium submits `demo.unreliable` sleeping `sleepMs`, and every
 * `GET /jobs/{id}` the page sends until it shows `SUCCEEDED` is counted. Median over `runs`.
 */
export async function measurePollsPerJob(pageUrl: string, runs = 5, sleepMs = 900): Promise<{ pollsPerJob: number; samples: number[]; sleepMs: number }> {
  const browser = await launchBrowser();
  const samples: number[] = [];
  try {
    for (let run = 0; run < runs; run++) {
      const page = await browser.context.newPage();
      let reads = 0;
      page.on("request", (request) => {
        if (request.method() === "GET" && /\/jobs\/[0-9a-f-]{36}$/.test(new URL(request.url()).pathname)) reads++;
      });
      await page.goto(pageUrl);
      await page.selectOption("#job-type", "demo.unreliable");
      await page.fill("#field-sleepMs", String(sleepMs));
      await page.fill("#field-failAttempts", "0");
      await page.setChecked("#field-permanent", false);
      await page.click("#submit-job");
      await page.waitForSelector('#job-status[data-status="SUCCEEDED"]', { timeout: 30_000 });
      samples.push(reads);
      await page.close();
    }
  } finally {
    await browser.close();
  }
  return { pollsPerJob: percentile(samples, 50), samples, sleepMs };
}
