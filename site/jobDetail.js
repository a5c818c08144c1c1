// @ts-check
import { STATUS_TEXT } from "./api.js";
import { el, timeElement } from "./dom.js";

/**
 * A job in full for the operations view: its fields, error, payload and result, the attempts of
 * its current run as a table, and a timeline from submission to its end.
 *
 * @typedef {import("./api.js").Job} Job
 * @typedef {import("./api.js").Attempt} Attempt
 * @typedef {{ at: string | undefined, text: string, kind: "created" | "attempt" | "succeeded" | "failed" | "end" | "waiting" }} TimelineEntry
 */

/** Each attempt outcome in words. */
export const OUTCOME_TEXT = /** @type {const} */ ({
  RUNNING: "running",
  SUCCEEDED: "succeeded",
  FAILED: "failed",
  RETRYING: "failed, to be retried",
  LEASE_EXPIRED: "lease expired (its worker was lost)",
});

/**
 * What happened to a job, in order: submitted, each attempt's start and end, and how it ended
 * (or what it waits for). In the order of its life rather than sorted by time, so that clocks
 * of different workers cannot reorder it.
 * @param {Job} job
 * @returns {TimelineEntry[]}
 */
export function timelineOf(job) {
  /** @type {TimelineEntry[]} */
  const entries = [{ at: job.createdAt, text: job.delaySeconds ? `Submitted, to run after a ${job.delaySeconds} s delay` : "Submitted", kind: "created" }];
  const history = job.attemptHistory ?? [];
  for (const attempt of history) {
    entries.push({ at: attempt.startedAt, text: `Attempt ${attempt.attempt} started`, kind: "attempt" });
    if (attempt.outcome !== "RUNNING") {
      const code = attempt.errorCode ? ` (${attempt.errorCode})` : "";
      entries.push({ at: attempt.finishedAt, text: `Attempt ${attempt.attempt} ${OUTCOME_TEXT[attempt.outcome] ?? attempt.outcome}${code}`, kind: attempt.outcome === "SUCCEEDED" ? "succeeded" : "failed" });
    }
  }
  switch (job.status) {
    case "SUCCEEDED":
    case "FAILED":
      entries.push({ at: job.finishedAt ?? job.updatedAt, text: `Finished: ${job.status}`, kind: "end" });
      break;
    case "CANCELED":
      entries.push({ at: job.finishedAt ?? job.updatedAt, text: "Canceled", kind: "end" });
      break;
    case "QUEUED":
      entries.push({ at: undefined, text: history.length > 0 ? `Waiting for attempt ${history.length + 1}` : "Waiting for its first attempt", kind: "waiting" });
      break;
    default:
      break;
  }
  return entries;
}

/**
 * How long an attempt took, in words (`1.2 s`); `—` while it runs.
 * @param {Attempt} attempt
 */
export function attemptDuration(attempt) {
  if (!attempt.finishedAt) return "—";
  const ms = Date.parse(attempt.finishedAt) - Date.parse(attempt.startedAt);
  if (!Number.isFinite(ms) || ms < 0) return "—";
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/**
 * @param {HTMLElement} container
 * @param {Job} job
 */
export function renderJobDetail(container, job) {
  const meta = el(
    "dl",
    { class: "job-meta" },
    el("dt", {}, "Job ID"),
    el("dd", {}, el("code", { id: "detail-job-id" }, job.jobId)),
    el("dt", {}, "Type"),
    el("dd", { id: "detail-type" }, job.type),
    el("dt", {}, "Status"),
    el("dd", {}, el("span", { id: "detail-status", class: `status status-${job.status}`, "data-status": job.status, title: STATUS_TEXT[job.status] ?? job.status }, job.status)),
    el("dt", {}, "Attempts"),
    el("dd", { id: "detail-attempts" }, job.attempts === undefined ? "—" : `${job.attempts} of ${job.maxAttempts ?? "?"}`),
    job.owner !== undefined && el("dt", {}, "Owner"),
    job.owner !== undefined && el("dd", {}, el("code", {}, job.owner)),
    el("dt", {}, "Created"),
    el("dd", {}, timeElement(job.createdAt)),
    job.finishedAt && el("dt", {}, "Finished"),
    job.finishedAt && el("dd", {}, timeElement(job.finishedAt)),
    job.updatedAt && el("dt", {}, "Updated"),
    job.updatedAt && el("dd", {}, timeElement(job.updatedAt)),
  );
  container.replaceChildren(meta);
  if (job.error) {
    container.append(
      el(
        "div",
        { id: "detail-error", class: `job-error${job.status === "FAILED" ? " is-final" : ""}` },
        el("h3", {}, job.status === "FAILED" ? "Error" : "Last error"),
        el("p", {}, el("code", { id: "detail-error-code" }, job.error.code), " ", el("span", { id: "detail-error-message" }, job.error.message)),
        el("p", { class: "hint" }, job.error.retryable ? "This error is retryable." : "This error is not retryable."),
      ),
    );
  }
  container.append(renderAttempts(job.attemptHistory ?? []), renderTimeline(timelineOf(job)));
  container.append(rawJson("Payload", job.payload));
  if (job.result !== undefined) container.append(rawJson("Result", job.result));
}

/** @param {Attempt[]} history */
function renderAttempts(history) {
  if (history.length === 0) return el("p", { id: "attempt-history-empty", class: "hint" }, "No attempt yet in this run.");
  return el(
    "div",
    { class: "table-wrap" },
    el(
      "table",
      { id: "attempt-history", class: "data-table" },
      el("caption", {}, "Attempt history ", el("span", { class: "hint" }, "(this run: since the job was submitted or last retried)")),
      el(
        "thead",
        {},
        el("tr", {}, ...["Attempt", "Started", "Finished", "Took", "Outcome", "Error code"].map((name) => el("th", { scope: "col" }, name))),
      ),
      el(
        "tbody",
        {},
        ...history.map((attempt) =>
          el(
            "tr",
            { "data-attempt": attempt.attempt, "data-outcome": attempt.outcome },
            el("th", { scope: "row" }, String(attempt.attempt)),
            el("td", {}, timeElement(attempt.startedAt)),
            el("td", {}, timeElement(attempt.finishedAt)),
            el("td", {}, attemptDuration(attempt)),
            el("td", { class: "attempt-outcome" }, OUTCOME_TEXT[attempt.outcome] ?? attempt.outcome),
            el("td", {}, attempt.errorCode ? el("code", {}, attempt.errorCode) : "—"),
          ),
        ),
      ),
    ),
  );
}

/** @param {TimelineEntry[]} entries */
function renderTimeline(entries) {
  return el(
    "div",
    { class: "timeline-block" },
    el("h3", { id: "timeline-heading" }, "Timeline"),
    el(
      "ol",
      { id: "job-timeline", class: "timeline", "aria-labelledby": "timeline-heading" },
      ...entries.map((entry) => el("li", { class: `timeline-${entry.kind}` }, el("span", { class: "timeline-text" }, entry.text), " ", entry.at ? el("span", { class: "timeline-time" }, timeElement(entry.at)) : "")),
    ),
  );
}

/** @param {string} name @param {unknown} value */
function rawJson(name, value) {
  return el("details", { class: "raw-json" }, el("summary", {}, name), el("pre", {}, JSON.stringify(value, null, 2) ?? "—"));
}
