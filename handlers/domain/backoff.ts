/** Settings of the retry backoff. */
export interface BackoffSettings {
  /** Delay before the second attempt, before jitter. @default 2 */
  baseSeconds: number;
  /** Upper bound of any delay. @default 300 */
  maxSeconds: number;
}

export const DEFAULT_BACKOFF: BackoffSettings = { baseSeconds: 2, maxSeconds: 300 };

/**
 * Seconds to wait before attempt `attempts + 1`, after `attempts` failed ones: exponential with
 * "equal jitter" (half fixed, half random), so that jobs failing together do not return together
 * yet every job still waits at least half its exponential step.
 *
 * @param random a number in [0, 1); `Math.random` in production, fixed in tests.
 */
export function backoffSeconds(attempts: number, settings: BackoffSettings = DEFAULT_BACKOFF, random = Math.random()): number {
  const exponential = Math.min(settings.maxSeconds, settings.baseSeconds * 2 ** Math.max(0, attempts - 1));
  const half = exponential / 2;
  return Math.max(1, Math.round(half + half * random));
}
