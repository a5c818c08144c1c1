import type { GenericSchema } from "valibot";
import { restoreErrorShape } from "../errorShape";

/** What a running job may know about its run. */
export interface RunContext {
  jobId: string;
  /** 1 for the first attempt. */
  attempt: number;
  /**
   * Aborted when the run is cut off at its timeout. A job type must stop when it aborts: the
   * worker cannot kill a run, so one that ignores its signal keeps going after its attempt has
   * been given up and may overlap the next attempt (which the worker holds back until the cut-off
   * attempt's lease ends).
   */
  signal: AbortSignal;
}

/**
 * A job type: one module. The schema drives API validation, `GET /job-types` (as JSON Schema)
 * and the site's form.
 */
export interface JobType<TPayload = any, TResult = unknown> {
  type: string;
  description: string;
  schema: GenericSchema<unknown, TPayload>;
  /** A valid payload, shown prefilled in the site's form. */
  example: TPayload;
  /** The run is cut off after this many seconds (or earlier, before the Lambda's own timeout). */
  timeoutSeconds: number;
  /** Attempts before the job is `FAILED` (the first run counts). */
  maxAttempts: number;
  /**
   * The codes its {@link JobFailure}s use: each is its own value of the `ErrorCode` metric
   * dimension (handlers/metrics.ts). A code not listed still reaches the job and its log record,
   * and counts as `OTHER` in the metric, so that no job type can grow the bill unbounded.
   */
  errorCodes?: readonly string[];
  run(payload: TPayload, context: RunContext): Promise<TResult>;
}

/**
 * Thrown by a job type to fail with a specific code; `retryable: false` fails the job at once
 * whatever its attempts. Any other thrown error is retryable with code `JOB_ERROR`.
 */
export class JobFailure extends Error {
  readonly code: string;
  readonly retryable: boolean;

  constructor(code: string, message: string, options: { retryable: boolean; cause?: unknown }) {
    super(message, { cause: options.cause });
    restoreErrorShape(this, message, { cause: options.cause });
    this.name = "JobFailure";
    this.code = code;
    this.retryable = options.retryable;
  }
}

/** Resolves after `ms`, or rejects as soon as `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    // onAbort is declared before the timer that uses it: Pulumi's closure serializer (which puts
    // this code in the worker Lambda) cannot resolve a const referenced above its declaration.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
