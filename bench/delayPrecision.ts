/**
 * `npm run bench:delays`: how close to its due time a job delayed past 900 s becomes visible.
 *
 * Jobs are stored due an hour ahead (so they wait in the sweep index with no message); the
 * sweeper runs with its clock moved to a few seconds before they are due (the injected clock of
 * the tests: no real hour passes), hands them off with the remaining `DelaySeconds`, and a
 * receive loop (1 s long polls, as the event source mapping does) notes when each message
 * arrives. Lateness = arrival in the sweeper's clock − due. It measures the hand-off's rounding,
 * the emulator's delay timer and the polling; on AWS the sweeper's schedule adds nothing as long
 * as it runs in the 15 minutes before due.
 */
import { randomUUID } from "node:crypto";
import { DynamoJobStore } from "../handlers/adapters/dynamoJobStore";
import { SqsJobQueue } from "../handlers/adapters/sqsJobQueue";
import type { Job } from "../handlers/domain/job";
import { silentLogger } from "../handlers/log";
import { DEFAULTS } from "../handlers/settings";
import { createSweeperHandler } from "../handlers/sweeper/handler";
import { startEmulators } from "../local/emulators";
import { SqsEventSource } from "../local/sqsEvents";

export interface DelayPrecision {
  jobs: number;
  /** Jobs that became visible before they were due (must be 0). */
  early: number;
  /** Lateness in ms: min, median, max. */
  latenessMs: { min: number; median: number; max: number };
}

export async function measureDelayPrecision(jobs = 20): Promise<DelayPrecision> {
  const emulators = await startEmulators({ tableName: `delays-${Date.now()}` });
  try {
    const settings = { tableName: emulators.tableName, sweepShards: DEFAULTS.sweepShards, sweepGraceSeconds: DEFAULTS.sweepGraceSeconds, retentionDays: DEFAULTS.retentionDays };
    const store = new DynamoJobStore(emulators.dynamo, settings);
    const queue = new SqsJobQueue(emulators.sqs, { queueUrl: emulators.queueUrl });
    const events = new SqsEventSource(emulators.sqs, emulators.queueUrl, emulators.queueArn);
    const startMs = Date.now();
    const dueAt = new Map<string, number>();
    for (let index = 0; index < jobs; index++) {
      // Due an hour ahead, spread over 7 s in uneven steps so the rounding of DelaySeconds varies.
      const due = startMs + 3_600_000 + Math.round((index * 7_000) / jobs) + (index % 3) * 113;
      const now = new Date(startMs).toISOString();
      const job: Job = { jobId: randomUUID(), type: "bench.delay", status: "QUEUED", payload: {}, attempts: 0, maxAttempts: 1, delaySeconds: Math.ceil((due - startMs) / 1000), dueAt: due, createdAt: now, updatedAt: now };
      await store.create(job);
      dueAt.set(job.jobId, due);
    }
    // The sweeper's clock: 2 s before the first job is due.
    const offsetMs = Math.min(...dueAt.values()) - 2_000 - Date.now();
    const sweeper = createSweeperHandler({ store, queue, logger: silentLogger, sweepGraceSeconds: settings.sweepGraceSeconds, maxJobsPerRun: 500, now: () => Date.now() + offsetMs });
    const report = await sweeper();
    if (report.handedOff !== jobs) throw new Error(`the sweeper handed off ${report.handedOff} of ${jobs} jobs`);

    const lateness: number[] = [];
    const deadline = Date.now() + 30_000;
    while (lateness.length < jobs && Date.now() < deadline) {
      const messages = await events.receive(10, 1);
      const arrivedMs = Date.now() + offsetMs;
      for (const message of messages) {
        const { jobId } = JSON.parse(message.Body ?? "{}") as { jobId: string };
        const due = dueAt.get(jobId);
        if (due !== undefined) lateness.push(arrivedMs - due);
      }
      await events.settle(messages, { batchItemFailures: [] });
    }
    if (lateness.length < jobs) throw new Error(`only ${lateness.length} of ${jobs} messages arrived`);
    lateness.sort((a, b) => a - b);
    return { jobs, early: lateness.filter((ms) => ms < 0).length, latenessMs: { min: lateness[0]!, median: lateness[Math.floor(jobs / 2)]!, max: lateness[jobs - 1]! } };
  } finally {
    await emulators.close();
  }
}

if (require.main === module) {
  measureDelayPrecision().then(
    (result) => {
      console.log(`delays past 900 s: ${result.jobs} jobs handed off by the sweeper, ${result.early} visible early; lateness after due: min ${result.latenessMs.min} ms, median ${result.latenessMs.median} ms, max ${result.latenessMs.max} ms`);
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
