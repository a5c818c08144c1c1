/** A job as a client submits it. */
export interface JobSubmission {
  type: string;
  payload: Record<string, unknown>;
  delaySeconds?: number;
}

/** How one submission went, as the client saw it. */
export interface SubmissionOutcome {
  jobId: string;
  /** 202 (created) or 200 (an earlier try had been stored: `Idempotent-Replayed`). */
  status: 200 | 202;
  /** Requests sent, the accepted one included. */
  tries: number;
  /** Tries that failed without an answer (refused, reset, timed out) or with a 5xx / 429. */
  failedTries: number;
}

export interface CarefulClientOptions {
  /** The API's base URL now: read before every try, so a client follows a restarted stack. */
  apiUrl: () => string;
  /** Gives up after this long. @default 60000 */
  deadlineMs?: number;
  /** Pause before the first retry, doubled up to 1 s. @default 100 */
  retryPauseMs?: number;
  /** Abandons one request after this long (a stopping server may leave it unanswered). @default 10000 */
  requestTimeoutMs?: number;
}

/** A 4xx other than 429: the request itself is wrong, and retrying it cannot help. */
export class SubmissionRefused extends Error {
  constructor(readonly status: number, readonly body: string) {
    super(`submission refused with ${status}: ${body}`);
    this.name = "SubmissionRefused";
  }
}

/**
 * Submits a job the way a careful client does (SPEC §3): one `Idempotency-Key` for the job,
 * the same key and body on every retry, and retries on anything that leaves the outcome unknown
 * (no answer, a 5xx, a 429). A retry of a request that had in fact been stored answers 200 with
 * the stored job, so the client ends with exactly one job whatever happened in between.
 */
export async function submitCarefully(job: JobSubmission, idempotencyKey: string, options: CarefulClientOptions): Promise<SubmissionOutcome> {
  const deadline = Date.now() + (options.deadlineMs ?? 60_000);
  let pause = options.retryPauseMs ?? 100;
  let tries = 0;
  let failedTries = 0;
  for (;;) {
    tries++;
    try {
      const response = await fetch(`${options.apiUrl()}/jobs`, {
        method: "POST",
        headers: { "content-type": "application/json", "idempotency-key": idempotencyKey },
        body: JSON.stringify(job),
        signal: AbortSignal.timeout(options.requestTimeoutMs ?? 10_000),
      });
      const text = await response.text();
      if (response.status === 202 || response.status === 200) {
        const body = JSON.parse(text) as { jobId?: unknown };
        if (typeof body.jobId !== "string") throw new Error(`no jobId in ${text}`);
        return { jobId: body.jobId, status: response.status, tries, failedTries };
      }
      if (response.status < 500 && response.status !== 429) throw new SubmissionRefused(response.status, text);
    } catch (error) {
      if (error instanceof SubmissionRefused) throw error;
      // No answer: the job may or may not be stored; only a retry with the same key tells.
    }
    failedTries++;
    if (Date.now() > deadline) throw new Error(`submission ${idempotencyKey} not accepted after ${tries} tries`);
    await new Promise((resolve) => setTimeout(resolve, pause * (0.5 + Math.random())));
    pause = Math.min(1_000, pause * 2);
  }
}

/** Reads one job; `undefined` when the API does not answer 200 (e.g. while it restarts). */
export async function readJob(apiUrl: string, jobId: string): Promise<Record<string, any> | undefined> {
  try {
    const response = await fetch(`${apiUrl}/jobs/${jobId}`, { signal: AbortSignal.timeout(10_000) });
    if (response.status !== 200) return undefined;
    return (await response.json()) as Record<string, any>;
  } catch {
    return undefined;
  }
}
