// @ts-check
import { ApiError } from "./api.js";

/**
 * Drives a bulk retry or cancel to its end: the API moves at most `limit` jobs a call and
 * answers a `nextCursor` while more match, so a whole filter is a chain of calls, each with its
 * own Idempotency-Key (one operation id plus the call's index). A call that failed in a way
 * worth another try is sent again with the same key and body, so a call that did land is
 * answered from its first response rather than run twice. No DOM.
 *
 * @typedef {import("./api.js").ApiClient} ApiClient
 * @typedef {import("./api.js").BulkRequest} BulkRequest
 * @typedef {import("./api.js").BulkResult} BulkResult
 * @typedef {BulkResult["skippedJobs"][number]} SkippedJob
 * @typedef {{ calls: number, examined: number, changed: number, skipped: number, skippedJobs: SkippedJob[], done: boolean, stopped: boolean, failure?: unknown }} BulkTotals
 * @typedef {{
 *   onProgress?: (totals: BulkTotals) => void,
 *   shouldStop?: () => boolean,
 *   operationId?: string,
 *   limit?: number,
 *   sleep?: (ms: number) => Promise<void>,
 * }} BulkRunOptions
 */

/** Tries of one call at most (the first and three more). */
export const CALL_ATTEMPTS = 4;

/** Waits between tries of a call when the answer does not say how long: 1 s, 2 s, 4 s. */
export const RETRY_WAITS_MS = [1000, 2000, 4000];

/** Skipped jobs kept for the summary at most (the counts are always whole). */
export const SKIPPED_KEPT = 50;

/**
 * Failures worth sending the same call again for: the API was not reached (0), a call under
 * this key is still running (409), throttled (429), or failed or timed out on the way (5xx).
 * Anything else (a refused filter, a missing token) fails the same way every time.
 * @param {unknown} error
 */
export function isWorthRetrying(error) {
  if (!(error instanceof ApiError)) return false;
  return error.status === 0 || error.status === 409 || error.status === 429 || error.status >= 500;
}

/** A fresh operation id; its calls' Idempotency-Keys are `<id>-<index>`. */
export function newOperationId() {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  // randomUUID needs a secure context; a page served over plain HTTP from another host has none.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/**
 * Runs `action` over `target` (a filter, or job ids) call after call until the API answers no
 * `nextCursor`, `shouldStop()` says so between calls, or a call fails for good. Never throws:
 * the totals say how far it got and, in `failure`, why it ended early.
 * @param {ApiClient} api
 * @param {"retry" | "cancel"} action
 * @param {Pick<BulkRequest, "filter" | "jobIds">} target
 * @param {BulkRunOptions} [options]
 * @returns {Promise<BulkTotals>}
 */
export async function runBulk(api, action, target, options = {}) {
  const operationId = options.operationId ?? newOperationId();
  const sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  /** @type {BulkTotals} */
  const totals = { calls: 0, examined: 0, changed: 0, skipped: 0, skippedJobs: [], done: false, stopped: false };
  /** @type {string | undefined} */
  let cursor;
  for (let index = 0; ; index++) {
    /** @type {BulkRequest} */
    const request = { ...target, dryRun: false };
    if (options.limit !== undefined) request.limit = options.limit;
    if (cursor !== undefined) request.cursor = cursor;
    const idempotencyKey = `${operationId}-${index}`;
    /** @type {BulkResult} */
    let result;
    try {
      result = await callWithRetries(() => api.bulk(action, request, { idempotencyKey }), sleep);
    } catch (error) {
      totals.failure = error;
      return totals;
    }
    totals.calls++;
    totals.examined += result.examined;
    totals.changed += result.changed;
    totals.skipped += result.skipped;
    totals.skippedJobs.push(...result.skippedJobs.slice(0, Math.max(0, SKIPPED_KEPT - totals.skippedJobs.length)));
    cursor = result.nextCursor;
    if (cursor === undefined) totals.done = true;
    options.onProgress?.({ ...totals });
    if (totals.done) return totals;
    if (options.shouldStop?.()) {
      totals.stopped = true;
      return totals;
    }
  }
}

/**
 * One bulk call, sent again (same key, same body) after a failure worth it.
 * @param {() => Promise<import("./api.js").BulkDryRun | BulkResult>} call
 * @param {(ms: number) => Promise<void>} sleep
 * @returns {Promise<BulkResult>}
 */
async function callWithRetries(call, sleep) {
  for (let attempt = 1; ; attempt++) {
    try {
      const answer = await call();
      if (answer.dryRun) throw new Error("the API answered a dry run to an action");
      return answer;
    } catch (error) {
      if (!isWorthRetrying(error) || attempt >= CALL_ATTEMPTS) throw error;
      const asked = error instanceof ApiError && error.retryAfterSeconds ? error.retryAfterSeconds * 1000 : undefined;
      await sleep(asked ?? RETRY_WAITS_MS[Math.min(attempt - 1, RETRY_WAITS_MS.length - 1)] ?? 1000);
    }
  }
}
