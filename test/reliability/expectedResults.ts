import { createHash } from "node:crypto";
import type { JobSubmission } from "./carefulClient";

/**
 * The result each built-in job type must have produced for `job`, computed here from the
 * payload (not by the job type's own code): text.transform, hash.digest, and demo.unreliable
 * (which reports the attempt that succeeded).
 */
export function expectedResult(job: JobSubmission, attempts: number): unknown {
  const payload = job.payload as Record<string, any>;
  if (job.type === "text.transform") {
    const text: string = payload.text;
    return { originalLength: [...text].length, uppercase: text.toUpperCase(), wordCount: text.split(/\s+/).filter(Boolean).length };
  }
  if (job.type === "hash.digest") return { algorithm: payload.algorithm, hex: createHash(payload.algorithm).update(payload.text, "utf8").digest("hex") };
  return { attempt: attempts, sleptMs: payload.sleepMs };
}
