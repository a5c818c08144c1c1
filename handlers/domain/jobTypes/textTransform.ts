import * as v from "valibot";
import type { JobType } from "./jobType";

const schema = v.strictObject({
  text: v.pipe(
    v.string("text must be a string"),
    v.check((text) => [...text].length >= 1, "text must not be empty"),
    v.check((text) => [...text].length <= 10_000, "text must be at most 10000 characters"),
    v.metadata({ minLength: 1, maxLength: 10_000 }),
  ),
});

export interface TextTransformResult {
  /** Length in Unicode code points. */
  originalLength: number;
  uppercase: string;
  /** Words split on Unicode white space. */
  wordCount: number;
}

/** The seed's job: length, upper case and word count of a text. */
export const textTransform: JobType<v.InferOutput<typeof schema>, TextTransformResult> = {
  type: "text.transform",
  description: "Returns the text's length in code points, its upper-case form and its word count.",
  schema,
  example: { text: "hello cloudqueue" },
  timeoutSeconds: 10,
  maxAttempts: 3,
  async run({ text }) {
    return {
      originalLength: [...text].length,
      uppercase: text.toUpperCase(),
      wordCount: text.split(/\p{White_Space}+/u).filter((word) => word.length > 0).length,
    };
  },
};
