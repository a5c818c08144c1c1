// @ts-check
import { byId, el, timeElement } from "./dom.js";
import { shortId } from "./jobTable.js";

/**
 * The confirmation a bulk action asks for after its dry run: how many jobs match now and some of
 * them, in a modal `<dialog>` (the browser keeps focus inside it and closes it on Escape). Focus
 * starts on "Go back", the choice that changes nothing, and returns to the control that opened it.
 *
 * @typedef {import("./api.js").BulkDryRun} BulkDryRun
 */

/** @type {Record<"retry" | "cancel", { verb: string, effect: string }>} */
const WORDS = {
  retry: { verb: "Retry", effect: "Each is queued again and runs anew, its attempts counted from 1." },
  cancel: { verb: "Cancel", effect: "Each is canceled unless a worker takes it first." },
};

/**
 * "3 jobs", "1 job", "at least 10000 jobs".
 * @param {number} count
 * @param {boolean} [atLeast]
 */
export function jobCount(count, atLeast = false) {
  return `${atLeast ? "at least " : ""}${count} ${count === 1 && !atLeast ? "job" : "jobs"}`;
}

export class BulkDialog {
  constructor() {
    this.dialog = byId("bulk-dialog", HTMLDialogElement);
    this.title = byId("bulk-dialog-title", HTMLElement);
    this.summary = byId("bulk-dialog-summary", HTMLElement);
    this.sample = byId("bulk-dialog-sample", HTMLTableSectionElement);
    this.sampleCaption = byId("bulk-dialog-sample-caption", HTMLElement);
    this.confirm = byId("bulk-confirm", HTMLButtonElement);
    this.dismiss = byId("bulk-dismiss", HTMLButtonElement);
    this.confirm.addEventListener("click", () => this.dialog.close("confirm"));
    this.dismiss.addEventListener("click", () => this.dialog.close("dismiss"));
  }

  /**
   * Shows the dry run's answer and waits for the choice.
   * @param {"retry" | "cancel"} action
   * @param {BulkDryRun} dryRun
   * @param {string} scope what was asked for, in words ("Failed jobs of type …", "3 selected jobs")
   * @returns {Promise<boolean>} whether to go ahead
   */
  ask(action, dryRun, scope) {
    const { verb, effect } = WORDS[action];
    const count = jobCount(dryRun.matched, dryRun.matchedAtLeast);
    this.title.textContent = `${verb} ${count}?`;
    this.summary.textContent = `${scope}: ${count} can be ${action === "retry" ? "retried" : "canceled"} now (a dry run: nothing has changed yet). ${effect} A job that changes before its turn is skipped and counted.`;
    this.sampleCaption.textContent = dryRun.sample.length < dryRun.matched ? `${dryRun.sample.length} of them` : dryRun.sample.length === 1 ? "The job" : "The jobs";
    this.sample.replaceChildren(
      ...dryRun.sample.map((job) =>
        el("tr", {}, el("th", { scope: "row" }, el("code", { title: job.jobId }, shortId(job.jobId))), el("td", {}, job.type), el("td", {}, el("span", { class: `status status-${job.status}` }, job.status)), el("td", {}, timeElement(job.createdAt))),
      ),
    );
    this.confirm.textContent = `${verb} ${count}`;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : undefined;
    this.dialog.returnValue = "";
    this.dialog.showModal();
    this.dismiss.focus();
    return new Promise((resolve) => {
      this.dialog.addEventListener(
        "close",
        () => {
          if (opener?.isConnected) opener.focus();
          resolve(this.dialog.returnValue === "confirm");
        },
        { once: true },
      );
    });
  }
}
