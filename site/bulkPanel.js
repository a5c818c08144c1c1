// @ts-check
import { withRetryAfter } from "./api.js";
import { BulkDialog, jobCount } from "./bulkDialog.js";
import { runBulk } from "./bulkRun.js";
import { byId, el, messageOf, setMessage } from "./dom.js";
import { shortId } from "./jobTable.js";

/**
 * A bulk retry or cancel as a person goes through it: a dry run, the confirmation, the action
 * call by call with a progress bar and a Stop button, then what changed and what was skipped.
 *
 * @typedef {import("./api.js").ApiClient} ApiClient
 * @typedef {import("./api.js").BulkRequest} BulkRequest
 * @typedef {import("./bulkRun.js").BulkTotals} BulkTotals
 */

const PAST = { retry: "retried", cancel: "canceled" };

export class BulkPanel {
  /**
   * @param {() => ApiClient} api
   * @param {(message: string) => void} announce
   * @param {HTMLButtonElement[]} buttons every button that starts a bulk action (marked busy while one runs)
   * @param {() => Promise<void>} afterChange reads the table and counts again
   */
  constructor(api, announce, buttons, afterChange) {
    this.api = api;
    this.announce = announce;
    this.buttons = buttons;
    this.afterChange = afterChange;
    this.dialog = new BulkDialog();
    this.busy = false;
    this.stopRequested = false;
    this.ui = {
      progress: byId("bulk-progress", HTMLElement),
      progressLabel: byId("bulk-progress-label", HTMLElement),
      progressBar: byId("bulk-progress-bar", HTMLProgressElement),
      stop: byId("bulk-stop", HTMLButtonElement),
      result: byId("bulk-result", HTMLElement),
      error: byId("bulk-error", HTMLElement),
    };
    this.ui.stop.addEventListener("click", () => {
      this.stopRequested = true;
      this.ui.stop.disabled = true;
      this.ui.progressLabel.textContent += " Stopping after this call…";
    });
  }

  /**
   * Dry run, confirmation, the action call by call with progress, its summary, and the table
   * and counts read again.
   * @param {"retry" | "cancel"} action
   * @param {Pick<BulkRequest, "filter" | "jobIds">} target
   * @param {string} scope what is acted on, in words ("Failed jobs of type …", "The 2 jobs selected")
   * @param {number} limit jobs a call moves at most
   */
  async run(action, target, scope, limit) {
    const { ui } = this;
    if (this.busy) return this.announce("A bulk action is still running.");
    this.setBusy(true);
    setMessage(ui.error, "");
    ui.result.hidden = true;
    ui.result.replaceChildren();
    try {
      this.announce(`Counting the jobs to ${action}…`);
      const dryRun = await withRetryAfter(() => this.api().bulk(action, { ...target, dryRun: true }));
      if (!dryRun.dryRun) throw new Error("the API acted instead of answering a dry run");
      if (dryRun.matched === 0) return this.finish(`Nothing to ${action}: no job that can be ${PAST[action]} now among ${scope.charAt(0).toLowerCase()}${scope.slice(1)}.`);
      if (!(await this.dialog.ask(action, dryRun, scope))) return this.announce("Nothing was changed.");
      this.stopRequested = false;
      this.showProgress(action, dryRun.matchedAtLeast ? undefined : dryRun.matched, undefined);
      const totals = await runBulk(this.api(), action, target, {
        // A page at a time: progress moves in steps a person can follow, and Stop takes effect soon.
        limit,
        onProgress: (progress) => this.showProgress(action, dryRun.matchedAtLeast ? undefined : dryRun.matched, progress),
        shouldStop: () => this.stopRequested,
      });
      ui.progress.hidden = true;
      this.showResult(action, totals);
      await this.afterChange();
      // The button that started it may be gone or disabled now (no selection left, a detail's
      // Retry once its job is queued): the outcome takes focus rather than the page's body.
      const focused = document.activeElement;
      if (!(focused instanceof HTMLElement) || focused === document.body || focused.closest("[hidden]")) ui.result.focus();
    } catch (error) {
      ui.progress.hidden = true;
      setMessage(ui.error, `Could not ${action} the jobs: ${messageOf(error)}`);
    } finally {
      this.setBusy(false);
    }
  }

  /** @param {string} message a bulk action's outcome when it changed nothing */
  finish(message) {
    this.ui.result.replaceChildren(el("p", { id: "bulk-result-summary", "data-changed": 0 }, message));
    this.ui.result.classList.remove("is-error");
    this.ui.result.hidden = false;
    this.announce(message);
  }

  /** @param {boolean} busy */
  setBusy(busy) {
    this.busy = busy;
    // aria-disabled, not disabled: the button that started it keeps focus and says why it does nothing.
    for (const button of this.buttons) {
      if (busy) button.setAttribute("aria-disabled", "true");
      else button.removeAttribute("aria-disabled");
    }
  }

  /**
   * @param {"retry" | "cancel"} action
   * @param {number | undefined} matched the dry run's count, unless it stopped counting
   * @param {BulkTotals | undefined} totals
   */
  showProgress(action, matched, totals) {
    const { ui } = this;
    ui.progress.hidden = false;
    ui.stop.disabled = this.stopRequested;
    const examined = totals?.examined ?? 0;
    if (matched !== undefined) {
      ui.progressBar.max = Math.max(matched, examined, 1);
      ui.progressBar.value = examined;
    } else {
      ui.progressBar.removeAttribute("value");
    }
    const verb = action === "retry" ? "Retrying" : "Canceling";
    ui.progressLabel.textContent = `${verb}: ${examined}${matched !== undefined ? ` of about ${matched}` : ""} examined, ${totals?.changed ?? 0} ${PAST[action]}, ${totals?.skipped ?? 0} skipped.`;
  }

  /**
   * @param {"retry" | "cancel"} action
   * @param {BulkTotals} totals
   */
  showResult(action, totals) {
    const sentence = `${jobCount(totals.changed).replace(/^./, (first) => first.toUpperCase())} ${PAST[action]}, ${totals.skipped} skipped.`;
    const ending = totals.failure
      ? ` It ended early: ${messageOf(totals.failure)}. Running it again goes on from there (a job already ${PAST[action]} is not moved twice).`
      : totals.stopped
        ? " Stopped before the end: more jobs may match."
        : "";
    const skipped = totals.skippedJobs
      .slice(0, 10)
      .map((job) => el("li", {}, el("code", { title: job.jobId }, shortId(job.jobId)), ` ${job.reason === "not-found" ? "no longer exists" : `had changed${job.status ? ` (now ${job.status})` : ""}`}`));
    this.ui.result.replaceChildren(
      el("p", { id: "bulk-result-summary", "data-changed": totals.changed, "data-skipped": totals.skipped }, sentence + ending),
      skipped.length > 0 ? el("ul", { class: "skipped-jobs", "aria-label": "Skipped jobs" }, ...skipped) : "",
    );
    this.ui.result.classList.toggle("is-error", Boolean(totals.failure));
    this.ui.result.hidden = false;
    this.announce(sentence + ending);
  }
}
