// @ts-check
import { STATUS_TEXT } from "./api.js";
import { el, timeElement } from "./dom.js";

/**
 * The operations view's table rows and its row of counts. Rendering only: the view keeps the
 * state and listens on the containers.
 *
 * @typedef {import("./api.js").Job} Job
 * @typedef {import("./api.js").JobStatus} JobStatus
 * @typedef {import("./api.js").StatusCounts} StatusCounts
 */

/** The job statuses, in the order of a job's life. */
export const JOB_STATUSES = /** @type {JobStatus[]} */ (Object.keys(STATUS_TEXT));

/** A job id as the table shows it: its first 8 characters (the whole id is in the detail). */
export function shortId(/** @type {string} */ jobId) {
  return jobId.slice(0, 8);
}

/**
 * One row per job: a checkbox to select it, its id (a button that opens its detail, the row's
 * header), type, status, attempts, creation time and error code.
 * @param {HTMLTableSectionElement} tbody
 * @param {Job[]} jobs
 * @param {ReadonlySet<string>} selected
 * @param {string | undefined} openJobId the job whose detail is shown
 */
export function renderJobRows(tbody, jobs, selected, openJobId) {
  tbody.replaceChildren(
    ...jobs.map((job) => {
      const name = `${shortId(job.jobId)}, ${job.type}, ${job.status}`;
      return el(
        "tr",
        { "data-job-id": job.jobId, "data-status": job.status, class: job.jobId === openJobId ? "is-open" : undefined },
        el("td", { class: "select-cell" }, el("input", { type: "checkbox", class: "row-select", "data-job-id": job.jobId, checked: selected.has(job.jobId), "aria-label": `Select job ${name}` })),
        el(
          "th",
          { scope: "row" },
          el("button", { type: "button", class: "link job-open", "data-job-id": job.jobId, title: job.jobId, "aria-label": `Open job ${name}` }, el("code", {}, shortId(job.jobId))),
        ),
        el("td", {}, job.type),
        el("td", {}, el("span", { class: `status status-${job.status}`, title: STATUS_TEXT[job.status] ?? job.status }, job.status)),
        el("td", { class: "numeric" }, job.attempts === undefined ? "—" : `${job.attempts} of ${job.maxAttempts ?? "?"}`),
        el("td", {}, timeElement(job.createdAt)),
        el("td", {}, job.error ? el("code", { title: job.error.message }, job.error.code) : "—"),
      );
    }),
  );
}

/**
 * The counts as a row of figures, each a button that lists those jobs (`aria-pressed` on the
 * one the status filter shows now): "All" first, then each status.
 * @param {HTMLUListElement} list
 * @param {StatusCounts | undefined} counts `undefined` while unknown
 * @param {JobStatus | "ALL" | undefined} active
 */
export function renderStatusCounts(list, counts, active) {
  const total = counts ? JOB_STATUSES.reduce((sum, status) => sum + (counts[status] ?? 0), 0) : undefined;
  /** @type {[JobStatus | "ALL", string, number | undefined][]} */
  const figures = [["ALL", "All", total], ...JOB_STATUSES.map((status) => /** @type {[JobStatus, string, number | undefined]} */ ([status, STATUS_TEXT[status], counts?.[status]]))];
  list.replaceChildren(
    ...figures.map(([status, label, value]) =>
      el(
        "li",
        {},
        el(
          "button",
          { type: "button", class: `count-figure count-${status}`, "data-status": status, "aria-pressed": status === active ? "true" : "false" },
          el("span", { class: "count-value", "data-value": value }, value === undefined ? "—" : String(value)),
          " ",
          el("span", { class: "count-label" }, label),
        ),
      ),
    ),
  );
}
