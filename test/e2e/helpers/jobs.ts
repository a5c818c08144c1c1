import { waitFor } from "../../helpers/waitFor";
import { checkedFetch } from "./checkedFetch";

/** A job as `GET /jobs/{jobId}` answers it (what these tests read of it). */
export interface JobAnswer {
  jobId: string;
  status: string;
  attempts: number;
}

/** Submits a job over the stack's HTTP API; its id. */
export async function submitJob(apiUrl: string, submission: { type: string; payload: unknown; delaySeconds?: number }): Promise<string> {
  const response = await checkedFetch(`${apiUrl}/jobs`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(submission) });
  if (response.status !== 202) throw new Error(`POST /jobs answered ${response.status}: ${await response.text()}`);
  return ((await response.json()) as { jobId: string }).jobId;
}

/** Reads a job over the stack's HTTP API. */
export async function readJob(apiUrl: string, jobId: string): Promise<JobAnswer> {
  const response = await checkedFetch(`${apiUrl}/jobs/${jobId}`);
  if (response.status !== 200) throw new Error(`GET /jobs/${jobId} answered ${response.status}`);
  return (await response.json()) as JobAnswer;
}

/** Waits until every job is in one of `statuses` (by default, any terminal one). */
export async function waitForJobs(apiUrl: string, jobIds: string[], statuses: readonly string[] = ["SUCCEEDED", "FAILED", "CANCELED"], timeoutMs = 30_000): Promise<JobAnswer[]> {
  return waitFor(
    `jobs ${jobIds.join(", ")} to be ${statuses.join(" or ")}`,
    async () => {
      const jobs = await Promise.all(jobIds.map((jobId) => readJob(apiUrl, jobId)));
      return jobs.every((job) => statuses.includes(job.status)) ? jobs : undefined;
    },
    timeoutMs,
  );
}
