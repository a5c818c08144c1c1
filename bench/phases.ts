import { ApiClient, inParallel, percentile, type StackProcess } from "./stackClient";

/** The job every throughput and calls measurement submits. */
export const JOB = { type: "text.transform", payload: { text: "hello cloudqueue" } };

/** Waits until `done(counts)` holds or `timeoutMs` passes. */
export async function until(stack: StackProcess, done: (counts: Record<string, number>) => boolean, timeoutMs: number): Promise<Record<string, number>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const counts = await stack.counts();
    if (done(counts) || Date.now() > deadline) return counts;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Polls every job until all are terminal; returns their last states. */
export async function terminal(api: ApiClient, jobIds: string[], timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  const states = new Map<string, Awaited<ReturnType<ApiClient["job"]>>>();
  let pending = jobIds;
  while (pending.length > 0) {
    if (Date.now() > deadline) throw new Error(`${pending.length} jobs not terminal after ${timeoutMs} ms`);
    const jobs = await inParallel(pending.length, 20, (index) => api.job(pending[index]!));
    jobs.forEach((job, index) => states.set(pending[index]!, job));
    pending = pending.filter((jobId) => !["SUCCEEDED", "FAILED", "CANCELED"].includes(states.get(jobId)!.status));
    if (pending.length > 0) await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return states;
}

export interface CallsPerJobResult {
  jobs: number;
  callsPerJob: Record<string, number>;
  statusReads: number;
  notes: string[];
  /** The handlers' log records (CloudWatch Logs ingests them by the byte). */
  logBytes: LogBytes;
}

export interface LogBytes {
  /** Per job, its status reads aside. */
  perJob: number;
  /** One `GET /jobs/{jobId}`'s `api.request` record. */
  perStatusRead: number;
  byEvent: Record<string, { lines: number; bytesPerLine: number }>;
}

/**
 * Phase 1: AWS calls per job, by operation, over `jobs` jobs. Submits them, waits (by the
 * counters, so without reading status) until every job committed, then reads each job's status
 * exactly once: GetItem counts one per status read plus whatever the system itself read.
 */
export async function measureCallsPerJob(stack: StackProcess, jobs: number): Promise<CallsPerJobResult> {
  const api = new ApiClient(stack.apiUrl);
  await stack.reset();
  const jobIds = (await inParallel(jobs, 20, () => api.submit(JOB))).map((submitted) => submitted.jobId);
  await until(stack, (counts) => (counts.UpdateItem ?? 0) >= 2 * jobs && (counts.DeleteMessageBatch ?? 0) > 0, 120_000);
  await new Promise((resolve) => setTimeout(resolve, 1_000)); // the last batches' deletes
  const states = await inParallel(jobIds.length, 20, (index) => api.job(jobIds[index]!));
  const notSucceeded = states.filter((job) => job.status !== "SUCCEEDED").length;
  if (notSucceeded > 0) throw new Error(`${notSucceeded} jobs did not succeed`);
  const counts = await stack.counts();
  const logs = await stack.logs();
  const readBytes = logs["api.request:getJob"] ?? { lines: 0, bytes: 0 };
  const totalBytes = Object.values(logs).reduce((sum, entry) => sum + entry.bytes, 0);
  const logBytes = {
    // Everything a job writes but its status reads: its transitions, its submit's request record,
    // the sweeper's runs in the meantime (amortised, as on AWS).
    perJob: Math.round((totalBytes - readBytes.bytes) / jobs),
    perStatusRead: readBytes.lines === 0 ? 0 : Math.round(readBytes.bytes / readBytes.lines),
    byEvent: Object.fromEntries(Object.entries(logs).map(([event, entry]) => [event, { lines: entry.lines, bytesPerLine: Math.round(entry.bytes / entry.lines) }])),
  };
  const callsPerJob = Object.fromEntries(Object.entries(counts).map(([operation, count]) => [operation, round(count / jobs, 3)]));
  for (const operation of ["PutItem", "SendMessage", "UpdateItem", "GetItem", "Scan"]) callsPerJob[operation] ??= 0;

  const notes = [
    `GetItem: ${counts.GetItem ?? 0} for ${jobs} status reads (one per read); the system itself read nothing.`,
    `UpdateItem: one claim and one commit per job.`,
    `ReceiveMessage: ${counts.ReceiveMessage ?? 0} receives for ${counts.DeleteMessageBatch ?? 0} batches: the local poller asks for one message with a long poll, then for the rest of the batch without waiting (local-aws-sqs holds a long poll until the batch is full), and idle pollers long-poll an empty queue; Lambda's own pollers make the same idle polls on AWS.`,
    `DeleteMessageBatch: one per batch of up to ${10} records, amortised.`,
  ];
  if (counts.Query) notes.push(`Query: ${counts.Query} from the sweeper's scheduled runs (one per index shard per run), independent of the job count.`);
  if (notSucceeded === 0 && (counts.GetItem ?? 0) > jobs) notes.push(`GetItem above the floor: ${(counts.GetItem ?? 0) - jobs} reads by the system.`);
  return { jobs, callsPerJob, statusReads: jobs, notes, logBytes };
}

export interface ThroughputRow {
  clients: number;
  jobs: number;
  jobsPerSec: number;
  /** Jobs over the time from the first submission to the last 202: the rate the clients submitted at. */
  submitJobsPerSec: number;
  ceilingJobsPerSec: number;
  shareOfCeiling: number;
  submitP50Ms: number;
  submitP99Ms: number;
  e2eP50Ms: number;
  e2eP99Ms: number;
}

/**
 * Phase 2: `clients` concurrent clients each submit jobs back to back until `jobs` are submitted.
 * Throughput is jobs over the time from the first submission to the last job's `finishedAt`;
 * end-to-end latency is `finishedAt − createdAt` of each job (the stack's clock, ms).
 */
export async function measureThroughput(stack: StackProcess, clients: number, jobs: number, ceilingJobsPerSec: number): Promise<ThroughputRow> {
  const api = new ApiClient(stack.apiUrl);
  await stack.reset();
  const started = Date.now();
  const submitted = await inParallel(jobs, clients, () => api.submit(JOB));
  const submitSeconds = (Date.now() - started) / 1000;
  // Wait by the counters (claims + commits), not by reading status, which would load the stack.
  await until(stack, (counts) => (counts.UpdateItem ?? 0) >= 2 * jobs, 300_000);
  const states = await terminal(api, submitted.map((s) => s.jobId), 60_000);
  const finishedAts = [...states.values()].map((job) => Date.parse(job.finishedAt!));
  const e2e = [...states.values()].map((job) => Date.parse(job.finishedAt!) - Date.parse(job.createdAt));
  const seconds = (Math.max(...finishedAts) - started) / 1000;
  const jobsPerSec = jobs / seconds;
  return {
    clients,
    jobs,
    jobsPerSec: round(jobsPerSec, 1),
    submitJobsPerSec: round(jobs / submitSeconds, 1),
    ceilingJobsPerSec: round(ceilingJobsPerSec, 1),
    shareOfCeiling: round(jobsPerSec / ceilingJobsPerSec, 3),
    submitP50Ms: round(percentile(submitted.map((s) => s.ms), 50), 1),
    submitP99Ms: round(percentile(submitted.map((s) => s.ms), 99), 1),
    e2eP50Ms: percentile(e2e, 50),
    e2eP99Ms: percentile(e2e, 99),
  };
}

export function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
