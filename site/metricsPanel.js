// @ts-check
import { retryAfterSeconds } from "./api.js";
import { byId } from "./dom.js";
import { formatSeconds, parseFamilies, snapshot, STATUSES, summarySentence } from "./metrics.js";

/**
 * The live metrics panel: the local stack's registry read every {@link POLL_MS} while the tab
 * is visible. The deployed site has no `/metrics` (CloudFront answers 404): there the panel
 * stays hidden and the page asks once, never again.
 *
 * @typedef {import("./metrics.js").Family} Family
 * @typedef {import("./metrics.js").Snapshot} Snapshot
 * @typedef {import("./metrics.js").Durations} Durations
 * @typedef {import("./metrics.js").QueueDepth} QueueDepth
 * @typedef {{ kind: "metrics", families: Family[] } | { kind: "absent" } | { kind: "later", afterMs: number } | { kind: "failed" }} Reading
 */

/** The local front's registry, on the page's own origin (the CSP allows no other). */
export const METRICS_URL = "/metrics";

/** Between two reads while the tab is visible. */
export const POLL_MS = 2000;

/** The longest wait between reads after failures (doubling from {@link POLL_MS}). */
export const MAX_BACKOFF_MS = 30_000;

/** A screen reader is told the counts at most this often, and only when they changed. */
export const ANNOUNCE_EVERY_MS = 15_000;

/**
 * Answers meaning "this origin has no metrics": the deployed site's 404 (and what a CDN or
 * proxy might answer instead). Anything else that fails is taken as a hiccup, and retried.
 */
const ABSENT_STATUSES = [401, 403, 404, 405, 410, 501];

/**
 * One read of the registry, as JSON.
 * @returns {Promise<Reading>}
 */
export async function readMetrics() {
  /** @type {Response} */
  let response;
  try {
    response = await fetch(METRICS_URL, { headers: { accept: "application/json" }, cache: "no-store" });
  } catch {
    return { kind: "failed" };
  }
  if (ABSENT_STATUSES.includes(response.status)) return { kind: "absent" };
  if (!response.ok) {
    // 503 with Retry-After: a stack still starting says when to ask again.
    const wait = retryAfterSeconds(response);
    return wait ? { kind: "later", afterMs: wait * 1000 } : { kind: "failed" };
  }
  // Something else answering at /metrics (an HTML page, a text exposition) is not this registry.
  if (!(response.headers.get("content-type") ?? "").startsWith("application/json")) return { kind: "absent" };
  // A body cut off on the way (the stack stopped mid-answer) is a failed read, worth another try;
  // a body that arrives whole but is not the registry's JSON means this origin has none.
  let text;
  try {
    text = await response.text();
  } catch {
    return { kind: "failed" };
  }
  try {
    const families = parseFamilies(JSON.parse(text));
    return families ? { kind: "metrics", families } : { kind: "absent" };
  } catch {
    return { kind: "absent" };
  }
}

export class MetricsPanel {
  /** @param {() => Promise<Reading>} [read] */
  constructor(read = readMetrics) {
    this.read = read;
    this.ui = {
      section: byId("metrics-section", HTMLElement),
      updated: byId("metrics-updated", HTMLElement),
      live: byId("metrics-live", HTMLElement),
      inFlight: byId("metrics-in-flight", HTMLElement),
    };
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.timer = undefined;
    this.reading = false;
    this.stopped = false;
    this.failures = 0;
    /** @type {string | undefined} */
    this.lastUpdated = undefined;
    /** @type {{ text: string, atMs: number } | undefined} */
    this.announced = undefined;
    this.onVisibilityChange = () => {
      if (document.visibilityState === "visible") this.pollSoon(0);
      else this.cancelTimer();
    };
  }

  start() {
    document.addEventListener("visibilitychange", this.onVisibilityChange);
    if (document.visibilityState === "visible") void this.poll();
  }

  /** For good: this origin has no metrics. */
  stop() {
    this.stopped = true;
    this.cancelTimer();
    document.removeEventListener("visibilitychange", this.onVisibilityChange);
  }

  cancelTimer() {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** @param {number} delayMs */
  pollSoon(delayMs) {
    // A hidden tab asks nothing; it asks at once when shown again.
    if (this.stopped || this.reading || this.timer !== undefined || document.visibilityState !== "visible") return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.poll();
    }, delayMs);
  }

  async poll() {
    if (this.stopped || this.reading) return;
    this.reading = true;
    /** @type {Reading} */
    let reading;
    try {
      reading = await this.read();
    } catch {
      reading = { kind: "failed" };
    } finally {
      this.reading = false;
    }
    switch (reading.kind) {
      case "absent":
        this.ui.section.hidden = true;
        this.stop();
        return;
      case "metrics":
        this.failures = 0;
        this.render(snapshot(reading.families));
        this.pollSoon(POLL_MS);
        return;
      case "later":
        this.pollSoon(Math.max(POLL_MS, reading.afterMs));
        return;
      case "failed":
        this.failures++;
        this.showStale();
        this.pollSoon(Math.min(MAX_BACKOFF_MS, POLL_MS * 2 ** this.failures));
    }
  }

  /** @param {Snapshot} snap */
  render(snap) {
    for (const status of STATUSES) setValue(byId(`metrics-status-${status}`, HTMLElement), snap.statuses?.[status], String);
    renderDurations("wait", snap.wait);
    renderDurations("run", snap.run);
    renderQueue("queue", snap.queue);
    renderQueue("dlq", snap.dlq);
    setValue(this.ui.inFlight, snap.inFlight, (count) => (snap.maxConcurrency === undefined ? String(count) : `${count} of ${snap.maxConcurrency}`));
    this.lastUpdated = new Date().toLocaleTimeString();
    this.ui.updated.textContent = `Updated ${this.lastUpdated}. Durations since the stack started, estimated from histogram buckets as Prometheus's histogram_quantile does.`;
    this.ui.section.classList.remove("is-stale");
    this.ui.section.hidden = false;
    this.announce(summarySentence(snap));
  }

  showStale() {
    if (this.ui.section.hidden) return;
    this.ui.section.classList.add("is-stale");
    this.ui.updated.textContent = `Not updated since ${this.lastUpdated ?? "the page loaded"}: the stack is not answering. Still trying.`;
  }

  /**
   * Tells a screen reader the counts when they changed, at most every {@link ANNOUNCE_EVERY_MS}:
   * the panel changes every few seconds while jobs run, and a live region that spoke each time
   * would drown the page's own announcements. The first reading is not announced (the panel just
   * appeared, it is there to be read); a change inside the quiet time is told at its end, by the
   * first reading after it.
   * @param {string} text
   */
  announce(text) {
    const nowMs = Date.now();
    if (!this.announced) {
      this.announced = { text, atMs: nowMs };
      return;
    }
    if (text === this.announced.text || nowMs - this.announced.atMs < ANNOUNCE_EVERY_MS) return;
    this.announced = { text, atMs: nowMs };
    this.ui.live.textContent = text;
  }
}

/**
 * @param {"wait" | "run"} name
 * @param {Durations | undefined} durations
 */
function renderDurations(name, durations) {
  setValue(byId(`metrics-${name}-p50`, HTMLElement), durations?.p50, formatSeconds);
  setValue(byId(`metrics-${name}-p99`, HTMLElement), durations?.p99, formatSeconds);
  setValue(byId(`metrics-${name}-count`, HTMLElement), durations?.count, String);
}

/**
 * @param {"queue" | "dlq"} name
 * @param {QueueDepth | undefined} depth
 */
function renderQueue(name, depth) {
  setValue(byId(`metrics-${name}`, HTMLElement), depth?.total, String);
  setValue(byId(`metrics-${name}-visible`, HTMLElement), depth?.visible, String);
  setValue(byId(`metrics-${name}-in-flight`, HTMLElement), depth?.inFlight, String);
  setValue(byId(`metrics-${name}-delayed`, HTMLElement), depth?.delayed, String);
}

/**
 * A cell's text, and its raw number in `data-value` (what a test or a script reads).
 * @param {HTMLElement} element
 * @param {number | undefined} value
 * @param {(value: number) => string} format
 */
function setValue(element, value, format) {
  element.textContent = value === undefined ? "—" : format(value);
  if (value === undefined) element.removeAttribute("data-value");
  else element.setAttribute("data-value", String(value));
}
