import type { Command } from "commander";
import { integerIn, readPayload } from "../args";
import type { Job } from "../client";
import { openSession, type CliDeps, type RunState } from "../context";
import { UsageError } from "../errors";
import { EXIT } from "../exitCodes";
import { addBatchResults, batchesOf, batchTotalsText, emptyBatchTotals, parseJobLines } from "../jsonLines";
import { jobDetail, jobTypesTable, json } from "../output";
import { progressOn, type Progress } from "../progress";
import { followJob } from "./follow";

const WAIT_HELP = "wait until the job ends, then exit with its outcome (0 succeeded, 1 failed or canceled)";

/** `types`, `submit`, `get`, `wait`, `cancel`, `retry`: one job at a time. */
export function addJobCommands(program: Command, deps: CliDeps, state: RunState): void {
  const { io } = deps;

  program
    .command("types")
    .description("List the job types the stack runs, with an example payload of each")
    .action(async (_options, command: Command) => {
      const session = await openSession(command, deps, state);
      const types = await session.api.listJobTypes();
      io.stdout.write(session.json ? json(types) : jobTypesTable(types, session.width));
    });

  program
    .command("submit")
    .description("Submit a job")
    .argument("<type>", "the job type (cloudqueue types lists them)")
    .argument("<payload>", "the payload: JSON text ('{\"text\":\"hi\"}'), @file.json for a file's, - to read stdin")
    .option("--key <key>", "the Idempotency-Key: the same key and payload again answer the same job (default: a random one, so that a retried request never submits twice)")
    .option("--delay <seconds>", "seconds before the job may run (0 to 31536000: 365 days)", integerIn(0, 31_536_000))
    .option("--run-at <time>", "when the job runs, an RFC 3339 time at most 365 days ahead (not with --delay)")
    .option("--wait", WAIT_HELP)
    .action(async (type: string, payloadArgument: string, options: { key?: string; delay?: number; runAt?: string; wait?: boolean }, command: Command) => {
      const payload = await readPayload(payloadArgument, deps);
      const session = await openSession(command, deps, state);
      // The API checks the time and refuses --delay with --run-at, with a message naming the field.
      const submission = { type, payload, ...(options.delay !== undefined && { delaySeconds: options.delay }), ...(options.runAt !== undefined && { runAt: options.runAt }) };
      const job = await session.api.submit(submission, { idempotencyKey: options.key ?? `cloudqueue-cli-${deps.randomKey()}` });
      if (options.wait) return followJob(job, session, deps, state);
      io.stdout.write(session.json ? json(job) : `Submitted ${job.jobId} (${job.type}): ${job.status}\n`);
    });

  program
    .command("submit-batch")
    .description("Submit the jobs of a JSON-lines file (one {type, payload, delaySeconds?, runAt?, idempotencyKey?} per line), 100 to a request")
    .argument("<file>", "the JSON-lines file; - to read stdin")
    .action(async (file: string, _options, command: Command) => {
      let text: string;
      try {
        text = file === "-" ? await deps.readStdin() : await deps.readFile(file);
      } catch (error) {
        throw new UsageError(`cannot read the jobs file ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
      }
      const lines = parseJobLines(text, file === "-" ? "stdin" : file);
      const session = await openSession(command, deps, state);
      // A line without its own key gets one, so that a batch sent again never submits twice.
      const runKey = deps.randomKey();
      const batches = batchesOf(lines.map(({ line, job }) => ({ line, job: { ...job, idempotencyKey: job.idempotencyKey ?? `cloudqueue-cli-${runKey}-${line}` } })));
      const totals = emptyBatchTotals();
      const progress: Progress = progressOn(io.stderr, { now: io.now });
      try {
        for (const [n, batch] of batches.entries()) {
          progress.update(`Submitting: batch ${n + 1} of ${batches.length}, ${totals.lines.length} of ${lines.length} jobs sent`);
          const { results } = await session.api.submitBatch(batch.map(({ job }) => job));
          addBatchResults(totals, batch, results);
        }
      } finally {
        progress.stop();
      }
      io.stdout.write(session.json ? json(totals) : batchTotalsText(totals));
      if (totals.invalid + totals.conflict > 0) state.exitCode = EXIT.refused;
    });

  program
    .command("get")
    .description("Show a job: status, attempts, error, result, payload")
    .argument("<id>", "the job's id")
    .action(async (jobId: string, _options, command: Command) => {
      const session = await openSession(command, deps, state);
      const job = await session.api.get(jobId);
      io.stdout.write(session.json ? json(job) : jobDetail(job, io.now()));
    });

  program
    .command("wait")
    .description("Wait until a job ends; exit with its outcome (0 succeeded, 1 failed or canceled)")
    .argument("<id>", "the job's id")
    .action(async (jobId: string, _options, command: Command) => {
      const session = await openSession(command, deps, state);
      await followJob(await session.api.get(jobId), session, deps, state);
    });

  program
    .command("cancel")
    .description("Cancel a QUEUED job")
    .argument("<id>", "the job's id")
    .action(async (jobId: string, _options, command: Command) => {
      const session = await openSession(command, deps, state);
      const job = await session.api.cancel(jobId);
      io.stdout.write(session.json ? json(job) : `${job.jobId} (${job.type}): ${job.status}\n`);
    });

  program
    .command("retry")
    .description("Run a FAILED or CANCELED job again (its attempts start over)")
    .argument("<id>", "the job's id")
    .option("--wait", WAIT_HELP)
    .action(async (jobId: string, options: { wait?: boolean }, command: Command) => {
      const session = await openSession(command, deps, state);
      const job: Job = await session.api.retry(jobId);
      if (options.wait) return followJob(job, session, deps, state);
      io.stdout.write(session.json ? json(job) : `${job.jobId} (${job.type}): ${job.status} again\n`);
    });
}
