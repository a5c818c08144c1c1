// @ts-check
import { BULK_FROM, STATUS_TEXT } from "./api.js";

/**
 * The operations view's filters, as `GET /jobs` and the bulk routes take them. Pure: no DOM.
 *
 * @typedef {import("./api.js").JobFilter} JobFilter
 * @typedef {import("./api.js").JobStatus} JobStatus
 */

/**
 * A `datetime-local` input's value (the person's local time, no zone) as an RFC 3339 time in
 * UTC; `undefined` for an empty or unreadable value.
 * @param {string} value
 * @returns {string | undefined}
 */
export function localTimeToIso(value) {
  if (value.trim() === "") return undefined;
  // Without a zone, the Date constructor reads a date-time as local time, as the input shows it.
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/**
 * The filter a bulk action sends for the view's filter: its statuses narrowed to those the
 * action moves jobs from (the API refuses any other), none named meaning all of those.
 * `undefined` when the filter names statuses and none of them is one the action starts from:
 * there is nothing to act on, and nothing to ask.
 * @param {"retry" | "cancel"} action
 * @param {JobFilter} filter
 * @returns {JobFilter | undefined}
 */
export function bulkFilterFor(action, filter) {
  const { status, ...rest } = filter;
  if (!status || status.length === 0) return rest;
  const eligible = status.filter((candidate) => BULK_FROM[action].includes(candidate));
  return eligible.length > 0 ? { ...rest, status: eligible } : undefined;
}

/**
 * A filter in words, for a heading or a confirmation: "Failed or canceled jobs of type
 * demo.unreliable created after …".
 * @param {JobFilter} filter
 * @param {(iso: string) => string} [formatTime]
 */
export function describeFilter(filter, formatTime = (iso) => new Date(iso).toLocaleString()) {
  const statuses = filter.status && filter.status.length > 0 ? filter.status.map((status) => STATUS_TEXT[status].toLowerCase()) : [];
  const head = statuses.length > 0 ? `${capitalize(joinWords(statuses, "or"))} jobs` : "Jobs of any status";
  const parts = [head];
  if (filter.type) parts.push(`of type ${filter.type}`);
  if (filter.createdAfter) parts.push(`created from ${formatTime(filter.createdAfter)}`);
  if (filter.createdBefore) parts.push(`${filter.createdAfter ? "to" : "created up to"} ${formatTime(filter.createdBefore)}`);
  return parts.join(" ");
}

/** @param {string[]} words @param {string} last */
function joinWords(words, last) {
  if (words.length <= 1) return words.join("");
  return `${words.slice(0, -1).join(", ")} ${last} ${words[words.length - 1]}`;
}

/** @param {string} text */
function capitalize(text) {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
