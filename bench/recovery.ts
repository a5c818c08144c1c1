import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BatchWriteCommand, DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { JobQueue } from "../handlers/adapters/sqsJobQueue";
import { silentLogger } from "../handlers/log";
import { DEFAULTS, JOB_TABLE } from "../handlers/settings";
import { startEmulators } from "../local/emulators";
import { recoverActiveJobs } from "../local/recovery";

/** What the startup recovery cost with `jobs` items on disk. */
export interface RecoveryRow {
  jobs: number;
  activeJobs: number;
  /** The table and its sweep index read and checked. */
  scanMs: number;
  /** Emulators up on the data dir plus the recovery pass: what a start pays for the table. */
  startMs: number;
}

/**
 * What the local stack's startup recovery costs with a table of `jobs` on disk: finished jobs of
 * the usual size, one in a hundred active; the emulators started on the data dir, the table and
 * its sweep index scanned and checked, every active job enqueued (to a queue that only counts).
 */
export async function measureRecovery(jobs: number): Promise<RecoveryRow> {
  const dir = mkdtempSync(join(tmpdir(), "cloudqueue-recovery-"));
  try {
    let emulators = await startEmulators({ dataDir: dir });
    const documents = DynamoDBDocumentClient.from(emulators.dynamo);
    const now = Date.now();
    const text = "x".repeat(600);
    for (let start = 0; start < jobs; start += 25) {
      const items = Array.from({ length: Math.min(25, jobs - start) }, (_, offset) => {
        const n = start + offset;
        const jobId = `${n.toString(16).padStart(8, "0")}-0000-4000-8000-000000000000`;
        const active = n % 100 === 0;
        return {
          jobId,
          type: "text.transform",
          status: active ? "QUEUED" : "SUCCEEDED",
          payload: { text },
          result: active ? undefined : { originalLength: 600, uppercase: text.toUpperCase().slice(0, 100), wordCount: 1 },
          attempts: active ? 0 : 1,
          maxAttempts: 3,
          createdAt: new Date(now).toISOString(),
          updatedAt: new Date(now).toISOString(),
          ...(active && { [JOB_TABLE.sweepIndex.hashKey]: n % DEFAULTS.sweepShards, [JOB_TABLE.sweepIndex.rangeKey]: now + 120_000 }),
        };
      });
      await documents.send(new BatchWriteCommand({ RequestItems: { [emulators.tableName]: items.map((Item) => ({ PutRequest: { Item: JSON.parse(JSON.stringify(Item)) } })) } }));
    }
    await emulators.close();
    // As a restart finds it: the emulators started again on the data dir, then the recovery pass.
    const restarted = Date.now();
    emulators = await startEmulators({ dataDir: dir });
    let enqueued = 0;
    const queue: JobQueue = { enqueue: async () => void enqueued++, enqueueBatch: async (entries) => ((enqueued += entries.length), { failed: [] }), delayRedelivery: async () => undefined };
    const report = await recoverActiveJobs({ dynamo: emulators.dynamo, tableName: emulators.tableName, queue, logger: silentLogger, sweepGraceSeconds: DEFAULTS.sweepGraceSeconds });
    const startMs = Date.now() - restarted;
    await emulators.close();
    if (enqueued !== report.active || report.errors > 0) throw new Error(`recovery enqueued ${enqueued} of ${report.active} active jobs, ${report.errors} errors`);
    return { jobs, activeJobs: report.active, scanMs: report.scanMs, startMs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
