import { createHash } from "node:crypto";
import * as v from "valibot";
import type { JobType } from "./jobType";

const schema = v.strictObject({
  text: v.pipe(v.string("text must be a string"), v.maxLength(100_000, "text must be at most 100000 characters")),
  algorithm: v.picklist(["sha256", "sha512"], "algorithm must be sha256 or sha512"),
});

export interface HashDigestResult {
  algorithm: "sha256" | "sha512";
  hex: string;
}

/** The SHA-256 or SHA-512 digest of a UTF-8 text, in hex. */
export const hashDigest: JobType<v.InferOutput<typeof schema>, HashDigestResult> = {
  type: "hash.digest",
  description: "Returns the SHA-256 or SHA-512 digest of the UTF-8 text, in lower-case hex.",
  schema,
  example: { text: "hello cloudqueue", algorithm: "sha256" },
  timeoutSeconds: 10,
  maxAttempts: 3,
  async run({ text, algorithm }) {
    return { algorithm, hex: createHash(algorithm).update(text, "utf8").digest("hex") };
  },
};
