import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { isApiPath } from "../../../handlers/routes";
import { assertStackAnswerConforms } from "./checkedFetch";

/** Debian's Chromium, installed by `.ci/run`. */
export const CHROMIUM_PATH = "/usr/bin/chromium";

/** Flags that keep Chromium quiet, offline and fast in a container. */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-quic",
  "--no-first-run",
  "--disable-component-update",
  "--disable-sync",
];

/** A Chromium with a fresh profile; `close()` also deletes the profile. */
export async function launchBrowser(options: { viewport?: { width: number; height: number } } = {}): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const userDataDir = mkdtempSync(join(tmpdir(), "cloudqueue-chromium-"));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: options.viewport ?? { width: 1000, height: 900 },
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** What {@link checkApiAnswers} found. */
export interface ApiAnswerCheck {
  /** Waits for the checks under way: how many answers were checked, and what did not conform (one message per answer). */
  settle(): Promise<{ checked: number; failures: string[] }>;
}

/**
 * Checks every answer of the stack's API (`origin`) the page receives against the stack's OpenAPI
 * document (`checkedFetch.ts`). An answer a test made up (`route.fulfill`: no server sent it) is
 * not the API's and is not checked; nor is one whose body the browser no longer holds.
 */
export function checkApiAnswers(page: Page, origin: string): ApiAnswerCheck {
  const pending = new Set<Promise<void>>();
  const failures: string[] = [];
  let checked = 0;
  page.on("response", (response) => {
    const url = new URL(response.url());
    if (url.origin !== origin || !isApiPath(url.pathname)) return;
    const check = (async () => {
      if ((await response.serverAddr()) === null) return;
      const method = response.request().method();
      let body = "";
      if (method !== "HEAD") {
        try {
          body = await response.text();
        } catch {
          return;
        }
      }
      checked += 1;
      try {
        await assertStackAnswerConforms(origin, method, `${url.pathname}${url.search}`, response.status(), await response.allHeaders(), body);
      } catch (error) {
        failures.push(error instanceof Error ? error.message : String(error));
      }
    })();
    pending.add(check);
    void check.finally(() => pending.delete(check));
  });
  return {
    async settle() {
      while (pending.size > 0) await Promise.all([...pending]);
      return { checked, failures };
    },
  };
}
