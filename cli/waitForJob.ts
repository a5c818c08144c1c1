import { nextDelayMs } from "../site/polling.js";
import { ApiError, isTerminal, type Job } from "./client";

/** Failed reads in a row a wait rides out (the API restarting, a dropped connection) before it gives up. */
export const MAX_FAILED_READS = 5;

export interface WaitOptions {
  /** Called with every read, the first job included. */
  onUpdate?(job: Job): void;
  /** Called when a read fails and the wait goes on. */
  onReadFailure?(error: ApiError, failuresInARow: number): void;
  sleep?(ms: number): Promise<void>;
  now?(): number;
}

/** The reads a wait needs: the client's `get`. */
export interface JobReader {
  get(jobId: string): Promise<Job>;
}

/**
 * Reads `job` until it is terminal, as the page does: the page's own backoff (`site/polling.js`:
 * 0.25 s, 0.5 s, 1 s, 2 s, then every 4 s; a delayed job is not read before it can run). A read
 * the API could not answer (no answer, 5xx, 429) is tried again, up to {@link MAX_FAILED_READS}
 * in a row; a refusal (404, 401, …) ends the wait at once.
 */
export async function waitForJob(client: JobReader, job: Job, options: WaitOptions = {}): Promise<Job> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const now = options.now ?? Date.now;
  let current = job;
  let reads = 0;
  let failures = 0;
  let atLeastMs = 0;
  options.onUpdate?.(current);
  while (!isTerminal(current.status)) {
    await sleep(Math.max(atLeastMs, nextDelayMs(reads, current, now())));
    atLeastMs = 0;
    reads++;
    try {
      current = await client.get(current.jobId);
      failures = 0;
    } catch (error) {
      const transient = error instanceof ApiError && (error.status === 0 || error.status === 429 || error.status >= 500);
      if (!transient || ++failures >= MAX_FAILED_READS) throw error;
      // A throttled or unavailable API says when to ask again: not before.
      atLeastMs = (error.retryAfterSeconds ?? 0) * 1000;
      options.onReadFailure?.(error, failures);
      continue;
    }
    options.onUpdate?.(current);
  }
  return current;
}
