import { expect } from "chai";
import { checkedFetch } from "./helpers/checkedFetch";
import { SpawnedStack, type TransitionLine } from "./helpers/localStack";
import { waitFor } from "../helpers/waitFor";

const TERMINAL = ["SUCCEEDED", "FAILED", "CANCELED"];

interface JobBody {
  jobId: string;
  status: string;
  attempts: number;
  createdAt: string;
  startedAt?: string;
  result?: Record<string, unknown>;
}

async function submit(apiUrl: string, body: unknown): Promise<string> {
  const response = await checkedFetch(`${apiUrl}/jobs`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  expect(response.status, await response.clone().text()).to.equal(202);
  return ((await response.json()) as JobBody).jobId;
}

async function read(apiUrl: string, jobId: string): Promise<JobBody> {
  const response = await checkedFetch(`${apiUrl}/jobs/${jobId}`);
  expect(response.status).to.equal(200);
  return (await response.json()) as JobBody;
}

/**
 * Ctrl-C with work in every state, then `npm start` again on the same data dir: the jobs that
 * were running finish during the drain, the queued ones (whose SQS messages died with the
 * first process) finish after the restart, and every job reaches a terminal state exactly once.
 */
describe("npm start: stop with jobs queued and in flight, start again on the same data dir", function () {
  this.timeout(90_000);
  const stacks: SpawnedStack[] = [];

  after(async () => {
    // Both processes share the data dir: dispose (which deletes it) only once both are gone.
    for (const stack of stacks) await stack.stop("SIGKILL").catch(() => undefined);
    await stacks[0]?.dispose();
  });

  it("drains the running jobs, resumes the queued ones, and finishes each exactly once", async () => {
    const first = await SpawnedStack.start();
    stacks.push(first);
    const api = first.ready.apiUrl;

    const running = await Promise.all([1, 2, 3].map(() => submit(api, { type: "demo.unreliable", payload: { sleepMs: 2_000, failAttempts: 0, permanent: false } })));
    const delayed = await Promise.all([1, 2, 3].map((n) => submit(api, { type: "text.transform", payload: { text: `delayed ${n}` }, delaySeconds: 6 })));
    const retrying = await submit(api, { type: "demo.unreliable", payload: { sleepMs: 0, failAttempts: 1, permanent: false } });
    await waitFor("the long jobs to be running", async () => {
      const jobs = await Promise.all(running.map((jobId) => read(api, jobId)));
      return jobs.every((job) => job.status === "IN_PROGRESS") ? true : undefined;
    });
    await waitFor("the retrying job to wait for its backoff", async () => {
      const job = await read(api, retrying);
      return job.status === "QUEUED" && job.attempts === 1 ? true : undefined;
    });

    expect(await first.stop("SIGINT"), "exit code after Ctrl-C").to.equal(0);
    const drained = first.transitions().filter((line) => line.to === "SUCCEEDED").map((line) => line.jobId);
    expect(drained, "the running jobs finished during the drain").to.include.members(running);
    expect(first.lines.join("\n")).to.contain("CloudQueue stopped.");

    const second = await SpawnedStack.start({ dataDir: first.dataDir });
    stacks.push(second);
    expect(second.lines.join("\n")).to.match(/resumed 4 active/);
    const all = [...running, ...delayed, retrying];
    const finished = await waitFor("every job to be terminal", async () => {
      const jobs = await Promise.all(all.map((jobId) => read(second.ready.apiUrl, jobId)));
      return jobs.every((job) => TERMINAL.includes(job.status)) ? jobs : undefined;
    });
    expect(await second.stop("SIGINT")).to.equal(0);

    expect(finished.map((job) => job.status)).to.deep.equal(all.map(() => "SUCCEEDED"));
    const transitions: TransitionLine[] = [...first.transitions(), ...second.transitions()];
    for (const jobId of all) {
      const terminal = transitions.filter((line) => line.jobId === jobId && TERMINAL.includes(line.to));
      expect(terminal, `terminal transitions of ${jobId}`).to.have.length(1);
    }
    for (const job of finished.filter((job) => running.includes(job.jobId) || delayed.includes(job.jobId))) {
      expect(job.attempts, `attempts of ${job.jobId}`).to.equal(1);
    }
    expect(finished.find((job) => job.jobId === retrying)?.attempts).to.equal(2);
    // The recovery pass keeps a delay: a delayed job never runs before it is due.
    for (const job of finished.filter((job) => delayed.includes(job.jobId))) {
      expect(Date.parse(job.startedAt!) - Date.parse(job.createdAt), `delay of ${job.jobId}`).to.be.at.least(6_000);
    }
  });
});
