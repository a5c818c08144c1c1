// @ts-check
import { ApiError, BULK_FROM, STATUS_TEXT, withRetryAfter } from "./api.js";
import { byId, el, messageOf, setMessage } from "./dom.js";
import { renderJobDetail } from "./jobDetail.js";
import { shortId } from "./jobTable.js";

/**
 * The operations view's job detail: opened from a row of the table (focus moves to its heading),
 * read again with the table, closed back to the row it was opened from. Its Retry and Cancel go
 * through the same dry run and confirmation as any bulk action.
 *
 * @typedef {import("./api.js").ApiClient} ApiClient
 */

export class DetailPanel {
  /**
   * @param {() => ApiClient} api
   * @param {{ onAction: (action: "retry" | "cancel", jobId: string) => void, onOpenChange: (jobId: string | undefined) => void, opener: (jobId: string) => HTMLElement | null, fallbackFocus: HTMLElement }} options
   */
  constructor(api, options) {
    this.api = api;
    this.options = options;
    /** @type {string | undefined} */
    this.jobId = undefined;
    this.ui = {
      section: byId("detail-section", HTMLElement),
      heading: byId("detail-heading", HTMLElement),
      view: byId("detail-view", HTMLElement),
      retry: byId("detail-retry", HTMLButtonElement),
      cancel: byId("detail-cancel", HTMLButtonElement),
      close: byId("detail-close", HTMLButtonElement),
      error: byId("detail-action-error", HTMLElement),
    };
    this.ui.close.addEventListener("click", () => this.close());
    this.ui.retry.addEventListener("click", () => this.jobId && options.onAction("retry", this.jobId));
    this.ui.cancel.addEventListener("click", () => this.jobId && options.onAction("cancel", this.jobId));
  }

  /** @param {string} jobId */
  async open(jobId) {
    this.jobId = jobId;
    this.options.onOpenChange(jobId);
    this.ui.section.hidden = false;
    this.ui.heading.textContent = `Job ${shortId(jobId)}`;
    this.ui.view.replaceChildren(el("p", { class: "hint" }, "Loading…"));
    await this.reload();
    this.ui.section.scrollIntoView({ block: "nearest" });
    this.ui.heading.focus();
  }

  /** Reads the open job again (nothing to do when none is open). */
  async reload() {
    const jobId = this.jobId;
    if (!jobId) return;
    const { ui } = this;
    setMessage(ui.error, "");
    try {
      const job = await withRetryAfter(() => this.api().get(jobId));
      if (this.jobId !== jobId) return;
      ui.heading.textContent = `Job ${shortId(job.jobId)}: ${job.type}, ${STATUS_TEXT[job.status] ?? job.status}`;
      renderJobDetail(ui.view, job);
      ui.retry.hidden = !BULK_FROM.retry.includes(job.status);
      ui.cancel.hidden = !BULK_FROM.cancel.includes(job.status);
    } catch (error) {
      if (this.jobId !== jobId) return;
      ui.view.replaceChildren();
      ui.retry.hidden = true;
      ui.cancel.hidden = true;
      setMessage(ui.error, error instanceof ApiError && error.status === 404 ? "This job no longer exists." : `Could not read the job: ${messageOf(error)}`);
    }
  }

  close() {
    const jobId = this.jobId;
    this.jobId = undefined;
    this.ui.section.hidden = true;
    this.options.onOpenChange(undefined);
    // The table may have been drawn again since it was opened: the job's button as it is now.
    const target = jobId ? this.options.opener(jobId) : null;
    (target ?? this.options.fallbackFocus).focus();
  }
}
