import { createInterface } from "node:readline/promises";

/** A question answered yes only by `y` or `yes` (any case); anything else, end of input included, is no. */
export async function confirm(question: string, input: NodeJS.ReadableStream, output: NodeJS.WritableStream): Promise<boolean> {
  const readline = createInterface({ input, output, terminal: false });
  try {
    const answer = await Promise.race([readline.question(`${question} [y/N] `), new Promise<string>((resolve) => readline.once("close", () => resolve("")))]);
    return /^(y|yes)$/i.test(answer.trim());
  } finally {
    readline.close();
  }
}
