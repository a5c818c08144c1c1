import { DeleteCommand, PutCommand, ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { JobStatus } from "../handlers/domain/job";
import { JOB_TABLE } from "../handlers/settings";

const SHARD = JOB_TABLE.sweepIndex.hashKey;
const SWEEP_AT = JOB_TABLE.sweepIndex.rangeKey;

/** A job as the startup pass reads it from the table: what recovery and the index need. */
export interface ScannedJob {
  jobId: string;
  /** Absent only on a bare item a repair left behind (see {@link repairSweepIndex}). */
  status: JobStatus | undefined;
  sweepShard?: number;
  sweepAt?: number;
  leaseExpiresAt?: number;
  attempts?: number;
  /** Re-enqueues by the sweeper since the job last became due. */
  sweeps?: number;
  createdAt?: string;
  delaySeconds?: number;
  /** When the job is due (epoch ms); absent on jobs stored before it existed. */
  dueAt?: number;
  /** The API request the job came from: its new message carries it, as the sweeper's does. */
  requestId?: string;
}

/** One entry of the sweep index (keys only). */
export interface IndexEntry {
  jobId: string;
  sweepShard: number;
  sweepAt: number;
}

/** Whether a status keeps a job in the sweep index. */
export function isActive(status: JobStatus | undefined): boolean {
  return status === JobStatus.QUEUED || status === JobStatus.IN_PROGRESS;
}

/** Every item of the table (the fields recovery needs), page by page. */
export async function scanJobs(documents: DynamoDBDocumentClient, tableName: string): Promise<ScannedJob[]> {
  const jobs: ScannedJob[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await documents.send(
      new ScanCommand({
        TableName: tableName,
        ProjectionExpression: "jobId, #status, #shard, #sweepAt, leaseExpiresAt, attempts, sweeps, createdAt, delaySeconds, dueAt, requestId",
        ExpressionAttributeNames: { "#status": "status", "#shard": SHARD, "#sweepAt": SWEEP_AT },
        ExclusiveStartKey: startKey,
        ConsistentRead: true,
      }),
    );
    for (const item of page.Items ?? []) {
      jobs.push({
        jobId: String(item.jobId),
        status: typeof item.status === "string" ? (item.status as JobStatus) : undefined,
        sweepShard: typeof item[SHARD] === "number" ? item[SHARD] : undefined,
        sweepAt: typeof item[SWEEP_AT] === "number" ? item[SWEEP_AT] : undefined,
        leaseExpiresAt: typeof item.leaseExpiresAt === "number" ? item.leaseExpiresAt : undefined,
        attempts: typeof item.attempts === "number" ? item.attempts : undefined,
        sweeps: typeof item.sweeps === "number" ? item.sweeps : undefined,
        createdAt: typeof item.createdAt === "string" ? item.createdAt : undefined,
        delaySeconds: typeof item.delaySeconds === "number" ? item.delaySeconds : undefined,
        dueAt: typeof item.dueAt === "number" ? item.dueAt : undefined,
        requestId: typeof item.requestId === "string" ? item.requestId : undefined,
      });
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return jobs;
}

/** Every entry of the sweep index, page by page. */
export async function scanSweepIndex(documents: DynamoDBDocumentClient, tableName: string): Promise<IndexEntry[]> {
  const entries: IndexEntry[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await documents.send(new ScanCommand({ TableName: tableName, IndexName: JOB_TABLE.sweepIndex.name, ExclusiveStartKey: startKey }));
    for (const item of page.Items ?? []) entries.push({ jobId: String(item.jobId), sweepShard: Number(item[SHARD]), sweepAt: Number(item[SWEEP_AT]) });
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return entries;
}

/** What a repair pass changed. */
export interface IndexRepairReport {
  /** Active jobs whose own index entry was missing, written again. */
  restored: number;
  /** Index entries that named no job, or not the job's present keys, removed. */
  removed: number;
  /** Repairs that failed (their jobs are named in `failedJobIds`); the rest went on. */
  failedJobIds: string[];
}

/**
 * Makes the sweep index say exactly what the table says: one entry per active job, at the job's
 * own `(sweepShard, sweepAt)`, and nothing else.
 *
 * Why it is needed: dynalite writes a GSI's entries and then the item as separate LevelDB writes
 * (`db/index.js`, `updateIndexes`), so a process killed between them leaves an active job that
 * the index no longer names (a terminal commit's index delete landed, its item write did not),
 * or an entry the item does not have. On AWS a GSI always converges; here nothing would ever fix
 * it, and the sweeper and this recovery read only the index.
 *
 * The only way to reach an index entry through the API is to write an item whose keys are (or
 * were) that entry's, so every repair is such a write, each conditional on the item as it was
 * read (it runs before the poller and the sweeper start; the conditions keep it safe anyway):
 * - a missing entry: the item's sweep keys set to their own values (dynalite puts the entry);
 * - an extra entry of an existing job: the item moved to that entry's keys, then back (dynalite
 *   deletes the entry it moves away from);
 * - an entry of no item: a bare item at those keys, created and deleted again.
 */
export async function repairSweepIndex(documents: DynamoDBDocumentClient, tableName: string, jobs: readonly ScannedJob[], entries: readonly IndexEntry[]): Promise<IndexRepairReport> {
  const report: IndexRepairReport = { restored: 0, removed: 0, failedJobIds: [] };
  const attempt = async (jobId: string, repair: () => Promise<void>) => {
    try {
      await repair();
    } catch {
      report.failedJobIds.push(jobId);
    }
  };
  const byJob = new Map<string, IndexEntry[]>();
  for (const entry of entries) byJob.set(entry.jobId, [...(byJob.get(entry.jobId) ?? []), entry]);
  const jobIds = new Set(jobs.map((job) => job.jobId));

  for (const job of jobs) {
    if (job.status === undefined) {
      // A bare item a repair wrote and did not get to delete (killed in between): delete it now.
      await attempt(job.jobId, async () => {
        await deleteBareItem(documents, tableName, job.jobId);
        report.removed += (byJob.get(job.jobId) ?? []).length;
      });
      continue;
    }
    const own = byJob.get(job.jobId) ?? [];
    const indexed = isActive(job.status) && job.sweepShard !== undefined && job.sweepAt !== undefined;
    const stray = own.filter((entry) => !indexed || entry.sweepShard !== job.sweepShard || entry.sweepAt !== job.sweepAt);
    for (const entry of stray) {
      await attempt(job.jobId, async () => {
        await moveThroughEntry(documents, tableName, job, entry);
        report.removed++;
      });
    }
    if (indexed && own.length === stray.length) {
      await attempt(job.jobId, async () => {
        await touchSweepKeys(documents, tableName, job);
        report.restored++;
      });
    } else if (!isActive(job.status) && stray.length === 0 && (job.sweepShard !== undefined || job.sweepAt !== undefined)) {
      // A finished job that still carries sweep keys (a repair killed after its index delete):
      // drop them, so that it can never reappear in the index.
      await attempt(job.jobId, () => removeSweepKeys(documents, tableName, job));
    }
  }
  for (const entry of entries) {
    if (jobIds.has(entry.jobId)) continue;
    await attempt(entry.jobId, async () => {
      await removeOrphanEntry(documents, tableName, entry);
      report.removed++;
    });
  }
  return report;
}

const NAMES = { "#status": "status", "#shard": SHARD, "#sweepAt": SWEEP_AT };

/** One conditional write of a job's sweep keys (`#shard`, `#sweepAt`, `#status` named). */
async function updateSweepKeys(documents: DynamoDBDocumentClient, tableName: string, jobId: string, update: string, condition: string, values: Record<string, unknown>): Promise<void> {
  await documents.send(
    new UpdateCommand({ TableName: tableName, Key: { jobId }, UpdateExpression: update, ConditionExpression: condition, ExpressionAttributeNames: NAMES, ExpressionAttributeValues: values }),
  );
}

/** Writes the item's sweep keys with their own values: dynalite puts the index entry again. */
async function touchSweepKeys(documents: DynamoDBDocumentClient, tableName: string, job: ScannedJob): Promise<void> {
  await updateSweepKeys(documents, tableName, job.jobId, "SET #shard = :shard, #sweepAt = :sweepAt", "#status = :status AND #shard = :shard AND #sweepAt = :sweepAt", {
    ":status": job.status,
    ":shard": job.sweepShard,
    ":sweepAt": job.sweepAt,
  });
}

/** Removes the sweep keys of a finished job (dynalite deletes any entry at them). */
async function removeSweepKeys(documents: DynamoDBDocumentClient, tableName: string, job: ScannedJob): Promise<void> {
  await updateSweepKeys(documents, tableName, job.jobId, "REMOVE #shard, #sweepAt", "#status = :status", { ":status": job.status });
}

/**
 * Moves the item onto a stray entry's keys, then back to its own keys if it is active, or to no
 * keys if it is finished: the second write makes dynalite delete the stray entry. A finished job
 * never keeps keys, so a start killed between the two writes is finished by the next one.
 */
async function moveThroughEntry(documents: DynamoDBDocumentClient, tableName: string, job: ScannedJob, entry: IndexEntry): Promise<void> {
  const hadKeys = job.sweepShard !== undefined && job.sweepAt !== undefined;
  const keepKeys = hadKeys && isActive(job.status);
  const stray = { ":status": job.status, ":strayShard": entry.sweepShard, ":straySweepAt": entry.sweepAt };
  const own = { ":shard": job.sweepShard, ":sweepAt": job.sweepAt };
  await updateSweepKeys(
    documents,
    tableName,
    job.jobId,
    "SET #shard = :strayShard, #sweepAt = :straySweepAt",
    hadKeys ? "#status = :status AND #shard = :shard AND #sweepAt = :sweepAt" : "#status = :status AND attribute_not_exists(#sweepAt)",
    hadKeys ? { ...stray, ...own } : stray,
  );
  await updateSweepKeys(
    documents,
    tableName,
    job.jobId,
    keepKeys ? "SET #shard = :shard, #sweepAt = :sweepAt" : "REMOVE #shard, #sweepAt",
    "#status = :status AND #shard = :strayShard AND #sweepAt = :straySweepAt",
    keepKeys ? { ...stray, ...own } : stray,
  );
}

/** An entry whose item was never written (a create killed after its index put): a bare item there, then gone. */
async function removeOrphanEntry(documents: DynamoDBDocumentClient, tableName: string, entry: IndexEntry): Promise<void> {
  await documents.send(
    new PutCommand({
      TableName: tableName,
      Item: { jobId: entry.jobId, [SHARD]: entry.sweepShard, [SWEEP_AT]: entry.sweepAt },
      ConditionExpression: "attribute_not_exists(jobId)",
    }),
  );
  await deleteBareItem(documents, tableName, entry.jobId);
}

async function deleteBareItem(documents: DynamoDBDocumentClient, tableName: string, jobId: string): Promise<void> {
  await documents.send(
    new DeleteCommand({
      TableName: tableName,
      Key: { jobId },
      // Only a bare item a repair wrote: never a job.
      ConditionExpression: "attribute_not_exists(#status)",
      ExpressionAttributeNames: { "#status": "status" },
    }),
  );
}
