import * as v from "valibot";
import { ErrorCode, type Job, type JobErrorInfo } from "../domain/job";
import { JobFailure, type JobTypeRegistry } from "../domain/jobTypes";

/** How one run of a job ended, before it is committed. */
export type RunResult = { ok: true; result: unknown } | { ok: false; error: JobErrorInfo };

const MAX_ERROR_MESSAGE = 1_000;

/**
 * Runs a claimed job's type once, cut off after `budgetMs`: the run's signal aborts and the
 * attempt fails `TIMED_OUT` (retryable). The job type's own failures are classified here.
 */
export async function runAttempt(job: Job, jobTypes: JobTypeRegistry, budgetMs: number): Promise<RunResult> {
  const jobType = jobTypes.get(job.type);
  if (!jobType) return failure(ErrorCode.UNKNOWN_TYPE, `this deployment has no job type ${job.type}`, false);
  // Stored payloads were validated on submit; parsing again gives the type its typed input and
  // refuses items written by anything else.
  const payload = v.safeParse(jobType.schema, job.payload);
  if (!payload.success) return failure("INVALID_PAYLOAD", "the stored payload does not match the job type's schema", false);

  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<RunResult>((resolve) => {
    timer = setTimeout(() => {
      controller.abort(new JobFailure(ErrorCode.TIMED_OUT, `the attempt exceeded ${budgetMs} ms`, { retryable: true }));
      resolve(failure(ErrorCode.TIMED_OUT, `the attempt was cut off after ${budgetMs} ms`, true));
    }, Math.max(0, budgetMs));
  });
  const run = jobType
    .run(payload.output, { jobId: job.jobId, attempt: job.attempts, signal: controller.signal })
    .then((result): RunResult => ({ ok: true, result }), (error: unknown): RunResult => classify(error));
  try {
    return await Promise.race([run, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

function classify(error: unknown): RunResult {
  if (error instanceof JobFailure) return failure(error.code, error.message, error.retryable);
  const message = error instanceof Error ? error.message : String(error);
  return failure(ErrorCode.JOB_ERROR, message, true);
}

function failure(code: string, message: string, retryable: boolean): RunResult {
  return { ok: false, error: { code, message: message.slice(0, MAX_ERROR_MESSAGE), retryable } };
}
