import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { SpawnedStack, spawnStartScript, type TransitionLine } from "../e2e/helpers/localStack";
import { expectedResult } from "./expectedResults";
import { readJob, submitCarefully, type JobSubmission } from "./carefulClient";
import { mapLimit, report } from "./cluster";
import { waitFor } from "../helpers/waitFor";

/** Load, `kill -9` at a random moment, restart on the same data dir: this many times. */
const CYCLES = 10;
const CLIENTS = 8;
const TERMINAL = ["SUCCEEDED", "FAILED", "CANCELED"];
/** The kill comes this long after the stack is ready (and the load has begun), at random. */
const KILL_AFTER_MS = { min: 300, max: 2_500 };
/** Share of restarts that are themselves killed while starting (mid-recovery, mid-repair), at random. */
const KILLED_WHILE_STARTING = 0.3;

/** A small, seeded PRNG (mulberry32): a failing run can be replayed with its printed seed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** The mix: quick text and hash jobs, and demo jobs that run 100–400 ms (often mid-run at a kill). */
function jobOf(n: number): JobSubmission {
  const text = `crash job ${n} ${"y ".repeat(n % 5)}`.trim();
  switch (n % 4) {
    case 1:
      return { type: "hash.digest", payload: { text, algorithm: n % 8 === 1 ? "sha512" : "sha256" } };
    case 3:
      return { type: "demo.unreliable", payload: { sleepMs: 100 + ((n * 53) % 301), failAttempts: 0, permanent: false } };
    default:
      return { type: "text.transform", payload: { text } };
  }
}


/**
 * The embedded default must not lose a job to a crash of its own process: `npm start` under load
 * is killed with SIGKILL at a random moment, again and again, and started on the same data dir.
 * A kill may land between dynalite's index write and its item write, between a put and its
 * SendMessage, mid-run, mid-commit. After the last restart every accepted job must reach a
 * terminal state with the right result, none may stay stuck, and none may have two terminal
 * commits in the logs of all runs.
 */
describe("reliability: npm start killed with SIGKILL mid-load, again and again", function () {
  this.timeout(240_000);
  const stacks: SpawnedStack[] = [];
  const dataDir = mkdtempSync(join(tmpdir(), "cloudqueue-crash-"));

  after(async () => {
    for (const stack of stacks) await stack.stop("SIGKILL").catch(() => undefined);
    await stacks.at(-1)?.dispose();
  });

  it(`recovers every accepted job after ${CYCLES} kills, each terminal once with the right result`, async () => {
    const seed = Number(process.env.CLOUDQUEUE_CRASH_SEED ?? Date.now() % 1_000_000);
    const next = random(seed);
    const runId = `${seed}-${Date.now()}`;
    let current = await SpawnedStack.start({ dataDir });
    stacks.push(current);
    const restarts: number[] = [];

    // Clients submit until the last kill; each follows the stack across restarts (its URL changes).
    let submitting = true;
    let counter = 0;
    const accepted = new Map<number, string>();
    const clients = mapLimit(
      Array.from({ length: CLIENTS }, (_, client) => client),
      CLIENTS,
      async () => {
        while (submitting) {
          const n = counter++;
          const outcome = await submitCarefully(jobOf(n), `crash-${runId}-${n}`, { apiUrl: () => current.ready.apiUrl, deadlineMs: 90_000, requestTimeoutMs: 5_000 });
          accepted.set(n, outcome.jobId);
        }
      },
    );

    const killedAt: number[] = [];
    let killedWhileStarting = 0;
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      await new Promise((resolve) => setTimeout(resolve, KILL_AFTER_MS.min + next() * (KILL_AFTER_MS.max - KILL_AFTER_MS.min)));
      killedAt.push(Date.now());
      await current.stop("SIGKILL");
      if (cycle === CYCLES - 1) submitting = false;
      if (next() < KILLED_WHILE_STARTING) {
        // A start killed before its banner: in the emulators' start, the table scan or the index repair.
        const starting = spawnStartScript(["--port", "0", "--data-dir", dataDir]);
        const closed = new Promise((resolve) => starting.once("close", resolve));
        await new Promise((resolve) => setTimeout(resolve, 200 + next() * 1_800));
        try {
          process.kill(-starting.pid!, "SIGKILL");
        } catch {
          // It had already failed or ended.
        }
        await closed;
        killedWhileStarting++;
      }
      current = await SpawnedStack.start({ dataDir });
      stacks.push(current);
      restarts.push(Date.now());
    }
    await clients;

    const indexed = [...accepted.entries()].sort(([a], [b]) => a - b);
    const jobIds = indexed.map(([, jobId]) => jobId);
    const finals = await waitFor(
      "every accepted job to be terminal",
      async () => {
        const read = await mapLimit(jobIds, 10, (jobId) => readJob(current.ready.apiUrl, jobId));
        return read.every((job) => job && TERMINAL.includes(job.status)) ? read.map((job) => job!) : undefined;
      },
      120_000,
      500,
    );

    // Assess, over the logs of every run.
    const transitions: TransitionLine[] = stacks.flatMap((stack) => stack.transitions());
    const terminalCommits = new Map<string, number>();
    for (const line of transitions) if (TERMINAL.includes(line.to)) terminalCommits.set(line.jobId, (terminalCommits.get(line.jobId) ?? 0) + 1);
    const runs = transitions.filter((line) => line.to === "IN_PROGRESS").length;
    const banners = stacks.map((stack) => stack.lines.join("\n"));
    const repaired = banners.reduce((sum, banner) => sum + Number(/repaired (\d+) sweep index/.exec(banner)?.[1] ?? 0), 0);
    const resumed = banners.map((banner) => Number(/resumed (\d+) active/.exec(banner)?.[1] ?? 0));
    // Recovery time: from the restart after the kill a job lived through to the job's end.
    let slowestRecoveryMs = 0;
    for (const job of finals) {
      const created = Date.parse(job.createdAt);
      const finished = Date.parse(job.finishedAt);
      const crashes = killedAt.map((at, index) => [at, restarts[index]!] as const).filter(([at]) => at > created && at < finished);
      if (crashes.length > 0) slowestRecoveryMs = Math.max(slowestRecoveryMs, finished - crashes.at(-1)![1]);
    }
    report("crash and restart", {
      seed,
      cycles: CYCLES,
      kills: killedAt.length,
      killedWhileStarting,
      accepted: jobIds.length,
      terminal: finals.filter((job) => TERMINAL.includes(job.status)).length,
      runs,
      resumedPerRestart: resumed.slice(1).join(","),
      sweepIndexEntriesRepaired: repaired,
      terminalCommitsLogged: [...terminalCommits.values()].reduce((sum, count) => sum + count, 0),
      terminalCommitsLostWithAKilledProcessLog: jobIds.filter((jobId) => !terminalCommits.has(jobId)).length,
      slowestRecoverySeconds: (slowestRecoveryMs / 1000).toFixed(1),
    });

    expect(new Set(jobIds).size, "one distinct job per accepted submission").to.equal(jobIds.length);
    expect(jobIds.length, "the load was real").to.be.above(CYCLES * 5);
    expect([...terminalCommits.entries()].filter(([, count]) => count > 1), "jobs with two terminal commits").to.deep.equal([]);
    indexed.forEach(([n, jobId], position) => {
      const job = finals[position]!;
      const where = `job ${n} (${jobOf(n).type}) ${jobId}`;
      expect(job.status, `${where}: ${JSON.stringify(job.error)}`).to.equal("SUCCEEDED");
      expect(job.result, where).to.deep.equal(expectedResult(jobOf(n), job.attempts));
    });
  });
});
