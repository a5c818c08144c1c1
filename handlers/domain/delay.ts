/**
 * Jobs due later than SQS can delay a message (SPEC §14). A job due within 900 s is enqueued at
 * once with the remaining delay; one due later is stored with no message, its sweep index entry
 * set to its hand-off time (900 s before due), and the sweeper sends its message then, with the
 * exact remaining `DelaySeconds`. Until then it is an ordinary `QUEUED` job: read, listed and
 * canceled like any other.
 */
import { MAX_DELAY_SECONDS } from "./submission";

const MAX_DELAY_MS = MAX_DELAY_SECONDS * 1000;

/** Whether a job due at `dueAtMs` must wait in the sweep index, with no message, at `nowMs`. */
export function waitsInSweepIndex(dueAtMs: number, nowMs: number): boolean {
  return dueAtMs - nowMs > MAX_DELAY_MS;
}

/** When the sweeper hands a waiting job to SQS: as soon as its remaining delay fits one message. */
export function handOffAtMs(dueAtMs: number): number {
  return dueAtMs - MAX_DELAY_MS;
}

/**
 * The `DelaySeconds` of a message sent at `nowMs` for a job due at `dueAtMs`: the remaining
 * time rounded up (a job never becomes visible before it is due), at most 900, at least 0.
 */
export function messageDelaySeconds(dueAtMs: number, nowMs: number): number {
  return Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.ceil((dueAtMs - nowMs) / 1000)));
}
