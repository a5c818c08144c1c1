import * as v from "valibot";
import { JobFailure, sleep, type JobType } from "./jobType";

const schema = v.strictObject({
  sleepMs: v.pipe(v.number("sleepMs must be a number"), v.integer("sleepMs must be an integer"), v.minValue(0), v.maxValue(60_000)),
  failAttempts: v.pipe(v.number("failAttempts must be a number"), v.integer("failAttempts must be an integer"), v.minValue(0), v.maxValue(10)),
  permanent: v.boolean("permanent must be true or false"),
});

export interface DemoUnreliableResult {
  attempt: number;
  sleptMs: number;
}

/**
 * Sleeps, then fails its first `failAttempts` attempts (retryably), or every attempt with a
 * non-retryable error when `permanent`. For demonstrating retries, timeouts and failures.
 */
export const demoUnreliable: JobType<v.InferOutput<typeof schema>, DemoUnreliableResult> = {
  type: "demo.unreliable",
  description: "Sleeps sleepMs, then fails the first failAttempts attempts (or always, if permanent); for demonstrating retries.",
  schema,
  example: { sleepMs: 500, failAttempts: 2, permanent: false },
  timeoutSeconds: 30,
  maxAttempts: 4,
  errorCodes: ["DEMO_PERMANENT", "DEMO_TRANSIENT"],
  async run({ sleepMs, failAttempts, permanent }, { attempt, signal }) {
    await sleep(sleepMs, signal);
    if (permanent) {
      throw new JobFailure("DEMO_PERMANENT", "demo.unreliable was asked to fail permanently", { retryable: false });
    }
    if (attempt <= failAttempts) {
      throw new JobFailure("DEMO_TRANSIENT", `demo.unreliable failed attempt ${attempt} of the first ${failAttempts}`, { retryable: true });
    }
    return { attempt, sleptMs: sleepMs };
  },
};
