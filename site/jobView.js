// @ts-check
import { STATUS_TEXT } from "./api.js";
import { el, timeElement } from "./dom.js";

/**
 * Renders one job: id, type, status, attempts, timestamps, result or error, and the changes
 * this page has seen while polling (so retries stay visible after the job succeeds).
 *
 * @typedef {import("./api.js").Job} Job
 * @typedef {{ at: string, text: string }} HistoryEntry
 */

/**
 * What changed between two reads of a job, in words; `undefined` when nothing did.
 * @param {Job | undefined} previous
 * @param {Job} job
 * @returns {string | undefined}
 */
export function describeChange(previous, job) {
  if (previous && previous.status === job.status && previous.attempts === job.attempts) return undefined;
  const attempt = job.attempts ? `attempt ${job.attempts} of ${job.maxAttempts ?? "?"}` : "";
  switch (job.status) {
    case "QUEUED":
      if (job.error) return `${job.status}: attempt ${job.attempts} failed (${job.error.code}: ${job.error.message}); retrying`;
      if (job.runAt && Date.parse(job.runAt) > Date.now()) return `${job.status}: runs at ${job.runAt}`;
      return job.delaySeconds ? `${job.status}: runs after a ${job.delaySeconds} s delay` : `${job.status}`;
    case "IN_PROGRESS":
      return `${job.status}: ${attempt}`;
    case "SUCCEEDED":
      return `${job.status} on ${attempt}`;
    case "FAILED":
      return `${job.status} on ${attempt}${job.error ? `: ${job.error.code}` : ""}`;
    default:
      return job.status;
  }
}

/**
 * @param {HTMLElement} container
 * @param {Job} job
 * @param {HistoryEntry[]} history
 */
export function renderJob(container, job, history) {
  const status = STATUS_TEXT[job.status] ?? job.status;
  const meta = el(
    "dl",
    { class: "job-meta" },
    el("dt", {}, "Job ID"),
    el("dd", {}, el("code", { id: "job-id" }, job.jobId)),
    el("dt", {}, "Type"),
    el("dd", { id: "job-type-name" }, job.type),
    el("dt", {}, "Status"),
    el("dd", {}, el("span", { id: "job-status", class: `status status-${job.status}`, "data-status": job.status, title: status }, job.status)),
    el("dt", {}, "Attempts"),
    el("dd", { id: "job-attempts" }, job.attempts === undefined ? "—" : `${job.attempts} of ${job.maxAttempts ?? "?"}`),
    el("dt", {}, "Created"),
    el("dd", { id: "job-created" }, timeElement(job.createdAt)),
    job.startedAt && el("dt", {}, "Last started"),
    job.startedAt && el("dd", { id: "job-started" }, timeElement(job.startedAt)),
    job.finishedAt && el("dt", {}, "Finished"),
    job.finishedAt && el("dd", { id: "job-finished" }, timeElement(job.finishedAt)),
    job.updatedAt && el("dt", {}, "Updated"),
    job.updatedAt && el("dd", { id: "job-updated" }, timeElement(job.updatedAt)),
  );
  container.replaceChildren(meta);

  if (job.status === "SUCCEEDED" && job.result !== undefined) container.append(renderResult(job.result));
  if (job.error) {
    const heading = job.status === "FAILED" ? "Error" : "Last error";
    container.append(
      el(
        "div",
        { id: "job-error", class: `job-error${job.status === "FAILED" ? " is-final" : ""}` },
        el("h3", {}, heading),
        el("p", {}, el("code", { id: "job-error-code" }, job.error.code), " ", el("span", { id: "job-error-message" }, job.error.message)),
        el("p", { class: "hint" }, job.error.retryable ? "This error is retryable." : "This error is not retryable."),
      ),
    );
  }
  if (history.length > 0) {
    container.append(
      el("h3", {}, "Seen from this page"),
      el(
        "ol",
        { id: "job-history", class: "job-history" },
        ...history.map((entry) => el("li", {}, timeElement(entry.at), " ", entry.text)),
      ),
    );
  }
}

/**
 * A result object of plain values as a table of names and values, plus the raw JSON.
 * @param {unknown} result
 */
function renderResult(result) {
  const section = el("div", { id: "job-result", class: "job-result" }, el("h3", {}, "Result"));
  if (result && typeof result === "object" && !Array.isArray(result)) {
    const rows = Object.entries(result).map(([name, value]) =>
      el("div", { class: "result-row", "data-field": name }, el("dt", {}, name), el("dd", {}, typeof value === "object" ? JSON.stringify(value) : String(value))),
    );
    section.append(el("dl", { class: "result-fields" }, ...rows));
  }
  section.append(el("details", {}, el("summary", {}, "Raw JSON"), el("pre", {}, JSON.stringify(result, null, 2))));
  return section;
}
