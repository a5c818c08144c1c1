// @ts-check
import { ApiError, isTerminal } from "./api.js";

/**
 * Polls a job until it is terminal, with a backoff that keeps reads few: 0.25 s, 0.5 s, 1 s,
 * 2 s, then every 4 s. A job that finishes in about a second is seen finished on the third
 * read (at 0.25, 0.75 and 1.75 s). A delayed job is not read before it can run.
 *
 * @typedef {import("./api.js").Job} Job
 */

/** Delays between reads, in ms; the last repeats. */
export const POLL_DELAYS_MS = [250, 500, 1000, 2000, 4000];

/**
 * The wait before the next read of `job`, after `reads` reads.
 * @param {number} reads
 * @param {Job} job
 * @param {number} nowMs
 */
export function nextDelayMs(reads, job, nowMs) {
  const backoff = POLL_DELAYS_MS[Math.min(reads, POLL_DELAYS_MS.length - 1)] ?? 4000;
  if (job.status === "QUEUED" && job.attempts === 0 && job.delaySeconds) {
    // Nothing happens to a delayed job before its delay ends, unless someone cancels it.
    const runsAt = Date.parse(job.createdAt) + job.delaySeconds * 1000;
    if (runsAt - nowMs > backoff) return Math.min(runsAt - nowMs + 250, 30_000);
  }
  return backoff;
}

export class JobPoller {
  /**
   * @param {(jobId: string) => Promise<Job>} read
   * @param {(job: Job) => void} onUpdate called with every read
   * @param {(error: unknown) => void} onError called when a read fails (polling goes on)
   */
  constructor(read, onUpdate, onError) {
    this.read = read;
    this.onUpdate = onUpdate;
    this.onError = onError;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.timer = undefined;
    this.generation = 0;
  }

  /**
   * Starts polling `job` (stopping any other); nothing to do for a terminal one.
   * @param {Job} job
   */
  follow(job) {
    this.stop();
    if (isTerminal(job.status)) return;
    const generation = this.generation;
    let reads = 0;
    /** @param {Job} current @param {number} [atLeastMs] */
    const schedule = (current, atLeastMs = 0) => {
      this.timer = setTimeout(async () => {
        if (generation !== this.generation) return;
        try {
          const next = await this.read(current.jobId);
          reads++;
          if (generation !== this.generation) return;
          this.onUpdate(next);
          if (!isTerminal(next.status)) schedule(next);
        } catch (error) {
          reads++;
          if (generation !== this.generation) return;
          this.onError(error);
          // A throttled or unavailable API says when to ask again: wait at least that long.
          const retryAfterMs = error instanceof ApiError && error.retryAfterSeconds ? error.retryAfterSeconds * 1000 : 0;
          schedule(current, retryAfterMs);
        }
      }, Math.max(atLeastMs, nextDelayMs(reads, current, Date.now())));
    };
    schedule(job);
  }

  stop() {
    this.generation++;
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
