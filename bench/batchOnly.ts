import { measureBatchThroughput } from "./batch";
import { StackProcess } from "./stackClient";

/**
 * The bulk producer's measurement alone (`node -r ts-node/register/transpile-only bench/batchOnly.ts [jobs] [clients]`):
 * prints its row as JSON; `npm run bench` runs it among the others and writes it to `bench/results.json`.
 */
async function main(): Promise<void> {
  const jobs = Number(process.argv[2] ?? 10_000);
  const clients = Number(process.argv[3] ?? 10);
  const stack = await StackProcess.start();
  try {
    const started = Date.now();
    const row = await measureBatchThroughput(stack, clients, jobs);
    console.log(JSON.stringify({ ...row, wallSeconds: Math.round((Date.now() - started) / 1000) }, null, 2));
  } finally {
    await stack.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
