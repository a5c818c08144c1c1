import * as v from "valibot";
import { ErrorCode, type Job, type JobErrorInfo } from "../domain/job";
import { JobFailure, type JobTypeRegistry } from "../domain/jobTypes";

/** How one run of a job ended, before it is committed. */
export type RunResult = { ok: true; result: unknown } | { ok: false; error: JobErrorInfo };

const MAX_ERROR_MESSAGE = 1_000;

/** The largest result stored: DynamoDB items hold 400 KB, and the job's other fields need room. */
const MAX_RESULT_BYTES = 350_000;

/**
 * Runs a claimed job's type once, cut off at the type's timeout or after `maxBudgetMs`, whichever
 * comes first: the run's signal aborts and the attempt fails `TIMED_OUT` (retryable). The job
 * type's own failures are classified here, and its result is made storable (plain JSON).
 */
export async function runAttempt(job: Job, jobTypes: JobTypeRegistry, maxBudgetMs: number): Promise<RunResult> {
  const jobType = jobTypes.get(job.type);
  if (!jobType) return failure(ErrorCode.UNKNOWN_TYPE, `this deployment has no job type ${job.type}`, false);
  const budgetMs = Math.min(jobType.timeoutSeconds * 1000, maxBudgetMs);
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
    .then((result): RunResult => storable(result), (error: unknown): RunResult => classify(error));
  try {
    return await Promise.race([run, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The result as DynamoDB can store it: a JSON round trip (class instances, `undefined` and NaN
 * become plain data) within {@link MAX_RESULT_BYTES}; otherwise a non-retryable failure, since
 * running again would give the same result.
 */
function storable(result: unknown): RunResult {
  let json: string | undefined;
  try {
    json = JSON.stringify(result ?? null);
  } catch (error) {
    return failure(ErrorCode.RESULT_NOT_STORABLE, `the result is not JSON: ${error instanceof Error ? error.message : String(error)}`, false);
  }
  if (Buffer.byteLength(json) > MAX_RESULT_BYTES) return failure(ErrorCode.RESULT_NOT_STORABLE, `the result is over ${MAX_RESULT_BYTES} bytes`, false);
  return { ok: true, result: JSON.parse(json) };
}

function classify(error: unknown): RunResult {
  if (error instanceof JobFailure) return failure(error.code, error.message, error.retryable);
  const message = error instanceof Error ? error.message : String(error);
  return failure(ErrorCode.JOB_ERROR, message, true);
}

function failure(code: string, message: string, retryable: boolean): RunResult {
  return { ok: false, error: { code, message: message.slice(0, MAX_ERROR_MESSAGE), retryable } };
}
