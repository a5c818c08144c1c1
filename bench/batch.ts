import { JOB, round, terminal, until } from "./phases";
import { ApiClient, inParallel, percentile, type StackProcess } from "./stackClient";

/** Jobs in one `POST /jobs/batch`: the route's most. */
export const BATCH_JOBS = 100;

/** What a bulk producer's run measured: `POST /jobs/batch` of {@link BATCH_JOBS} jobs from `clients` clients. */
export interface BatchRow {
  clients: number;
  jobs: number;
  jobsPerBatch: number;
  /** Jobs over the time from the first batch sent to the last batch's 200: the rate the clients submitted at. */
  submitJobsPerSec: number;
  /** Jobs over the time from the first batch sent to the last job's `finishedAt`, as the throughput rows count it. */
  jobsPerSec: number;
  /** One batch request's round trip. */
  requestP50Ms: number;
  requestP99Ms: number;
  /** `finishedAt − createdAt` of each job (the stack's clock, ms). */
  e2eP50Ms: number;
  e2eP99Ms: number;
  /** AWS calls per job by operation (SDK middleware counts), before any status read: what the system itself made. */
  callsPerJob: Record<string, number>;
  /** API requests per job (the api's `api.request` records), every route. */
  apiRequestsPerJob: number;
  /** The handlers' log bytes per job (its transitions, its share of the batch's request record), no status read. */
  logBytesPerJob: number;
}

/**
 * A bulk producer: `clients` concurrent clients each send `POST /jobs/batch` of {@link BATCH_JOBS}
 * jobs back to back until `jobs` are submitted. Waits by the counters (claims + commits, then the
 * last batches' deletes) and takes the AWS calls and log records then, before it reads any status;
 * then reads every job until all are terminal, for the end-to-end rate and latency.
 */
export async function measureBatchThroughput(stack: StackProcess, clients = 10, jobs = 10_000): Promise<BatchRow> {
  if (jobs % BATCH_JOBS !== 0) throw new Error(`jobs must be a multiple of ${BATCH_JOBS}, not ${jobs}`);
  const api = new ApiClient(stack.apiUrl);
  await stack.reset();
  const started = Date.now();
  const batches = await inParallel(jobs / BATCH_JOBS, clients, () => api.submitBatch(Array.from({ length: BATCH_JOBS }, () => JOB)));
  const submitSeconds = (Date.now() - started) / 1000;
  await until(stack, (counts) => (counts.UpdateItem ?? 0) >= 2 * jobs && (counts.DeleteMessageBatch ?? 0) > 0, 600_000);
  await new Promise((resolve) => setTimeout(resolve, 1_000)); // the last batches' deletes
  const counts = await stack.counts();
  const logs = await stack.logs();
  const jobIds = batches.flatMap((batch) => batch.jobIds);
  const states = await terminal(api, jobIds, 120_000);
  const notSucceeded = [...states.values()].filter((job) => job.status !== "SUCCEEDED").length;
  if (notSucceeded > 0) throw new Error(`${notSucceeded} jobs did not succeed`);
  const finishedAts = [...states.values()].map((job) => Date.parse(job.finishedAt!));
  const e2e = [...states.values()].map((job) => Date.parse(job.finishedAt!) - Date.parse(job.createdAt));
  const callsPerJob = Object.fromEntries(Object.entries(counts).map(([operation, count]) => [operation, round(count / jobs, 3)]));
  for (const operation of ["PutItem", "SendMessage", "SendMessageBatch", "UpdateItem", "GetItem", "Scan"]) callsPerJob[operation] ??= 0;
  const apiRequests = Object.entries(logs).filter(([event]) => event.startsWith("api.request:")).reduce((sum, [, entry]) => sum + entry.lines, 0);
  const logBytes = Object.values(logs).reduce((sum, entry) => sum + entry.bytes, 0);
  return {
    clients,
    jobs,
    jobsPerBatch: BATCH_JOBS,
    submitJobsPerSec: round(jobs / submitSeconds, 1),
    jobsPerSec: round(jobs / ((Math.max(...finishedAts) - started) / 1000), 1),
    requestP50Ms: round(percentile(batches.map((batch) => batch.ms), 50), 1),
    requestP99Ms: round(percentile(batches.map((batch) => batch.ms), 99), 1),
    e2eP50Ms: percentile(e2e, 50),
    e2eP99Ms: percentile(e2e, 99),
    callsPerJob,
    apiRequestsPerJob: round(apiRequests / jobs, 4),
    logBytesPerJob: Math.round(logBytes / jobs),
  };
}
