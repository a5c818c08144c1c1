import { STATUS_TEXT, type Job } from "../client";
import type { CliDeps, RunState, Session } from "../context";
import { EXIT } from "../exitCodes";
import { jobDetail, json } from "../output";
import { progressOn } from "../progress";
import { waitForJob } from "../waitForJob";

/** Where a job stands, in words: `In progress, attempt 1 of 3`, `Queued, attempt 1 of 3 failed (DEMO_TRANSIENT): retrying`. */
export function standing(job: Job): string {
  const status = STATUS_TEXT[job.status] ?? job.status;
  if (!job.attempts) return status;
  const attempt = `attempt ${job.attempts}${job.maxAttempts ? ` of ${job.maxAttempts}` : ""}`;
  if (job.status === "QUEUED") return `${status}, ${attempt} failed${job.error ? ` (${job.error.code})` : ""}: retrying`;
  return job.status === "IN_PROGRESS" ? `${status}, ${attempt}` : `${status} after ${attempt}`;
}

/**
 * Waits for `job` to end, with a live line on stderr when it is a terminal (each status change
 * kept as a line above it); then prints the job and sets the exit code to its outcome. Ctrl-C
 * stops the wait, not the job, and says how to wait again.
 */
export async function followJob(job: Job, session: Session, deps: CliDeps, state: RunState): Promise<void> {
  const { io } = deps;
  const startedMs = io.now();
  const progress = progressOn(io.stderr, { now: io.now });
  let lastSeen: string | undefined;
  const stopListening = deps.onInterrupt(() => {
    progress.stop();
    io.stderr.write(`cloudqueue: stopped waiting; job ${job.jobId} goes on (cloudqueue wait ${job.jobId})\n`);
  });
  let final: Job;
  try {
    final = await waitForJob(session.api, job, {
      now: io.now,
      sleep: deps.sleep,
      onUpdate(current) {
        progress.update(`waiting for ${current.jobId} (${current.type}): ${standing(current)}`);
        const seen = `${current.status}/${current.attempts ?? 0}`;
        if (seen !== lastSeen) {
          progress.note(`${`${((io.now() - startedMs) / 1000).toFixed(1)}s`.padStart(7)}  ${standing(current)}`);
          lastSeen = seen;
        }
      },
      onReadFailure(error, failures) {
        progress.update(`waiting for ${job.jobId}: the API did not answer (${error.status || "no connection"}), trying again (${failures})`);
      },
    });
  } finally {
    progress.stop();
    stopListening();
  }
  io.stdout.write(session.json ? json(final) : jobDetail(final, io.now()));
  if (final.status !== "SUCCEEDED") state.exitCode = EXIT.failed;
}
