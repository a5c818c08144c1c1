import { expect } from "chai";
import type { JobStore } from "../../handlers/adapters/jobStore";
import { FaultKind } from "../helpers/awsFaults";
import { Cluster, mapLimit, report, type ProbePayload } from "./cluster";

const isClaim = (input: any) => String(input?.UpdateExpression ?? "").includes("attempts = attempts + :one");
const isCommit = (input: any) => /finishedAt = :now|#status = :status/.test(String(input?.UpdateExpression ?? ""));

/** Submits `count` probe jobs from `clients` concurrent clients; returns the accepted ones. */
async function submitAll(cluster: Cluster, count: number, clients: number, payloadOf: (n: number) => ProbePayload) {
  const accepted = new Map<string, ProbePayload>();
  let refused = 0;
  await mapLimit(
    Array.from({ length: count }, (_, n) => n),
    clients,
    async (n) => {
      const payload = payloadOf(n);
      const jobId = await cluster.submit(payload, `job-${n}-${Math.random()}`);
      if (jobId) accepted.set(jobId, payload);
      else refused++;
    },
  );
  return { accepted, refused };
}

describe("reliability: faults injected through the AWS SDK middleware", function () {
  this.timeout(180_000);
  let cluster: Cluster;
  afterEach(async () => cluster?.stop());

  it("completes every accepted job when SendMessage fails for a third of submissions (the sweeper enqueues them)", async () => {
    cluster = await Cluster.start();
    cluster.faults.rules = [{ operations: ["SendMessage"], kind: FaultKind.exhausted, rate: 0.33 }];
    const { accepted } = await submitAll(cluster, 150, 10, (n) => ({ n }));
    const verdict = cluster.verdict(accepted, await cluster.waitTerminal([...accepted.keys()], 60_000));

    report("SendMessage fails", verdict);
    expect(cluster.faults.total(FaultKind.exhausted)).to.be.greaterThan(20);
    expect(verdict).to.include({ jobs: 150, terminal: 150, lost: 0, notExactlyOnce: 0, wrongResults: 0, terminalCommits: 150 });
  });

  it("completes every job, committing each once, when DynamoDB throttles claims and commits", async () => {
    cluster = await Cluster.start();
    cluster.faults.rules = [
      { operations: ["UpdateItem"], kind: FaultKind.throttle, rate: 0.3, when: (input) => isClaim(input) || isCommit(input) },
      { operations: ["UpdateItem"], kind: FaultKind.exhausted, rate: 0.05, when: (input) => isClaim(input) || isCommit(input) },
      { operations: ["UpdateItem"], kind: FaultKind.lostResponse, rate: 0.05, when: isCommit },
    ];
    const { accepted } = await submitAll(cluster, 150, 10, (n) => ({ n }));
    const verdict = cluster.verdict(accepted, await cluster.waitTerminal([...accepted.keys()], 90_000));

    report("DynamoDB throttles claim and commit", { ...verdict, throttles: cluster.faults.total(FaultKind.throttle), exhausted: cluster.faults.total(FaultKind.exhausted), lostResponses: cluster.faults.total(FaultKind.lostResponse) });
    expect(cluster.faults.total(FaultKind.throttle)).to.be.greaterThan(30);
    expect(verdict).to.include({ jobs: 150, terminal: 150, lost: 0, notExactlyOnce: 0, wrongResults: 0 });
  });

  it("completes every job, committing each once, when writes land but the SDK gives up on them (claims, commits, puts, sweeps)", async () => {
    cluster = await Cluster.start();
    cluster.faults.rules = [
      { operations: ["UpdateItem", "PutItem"], kind: FaultKind.landedThenFailed, rate: 0.1 },
      { operations: ["SendMessage"], kind: FaultKind.exhausted, rate: 0.2 },
    ];
    const { accepted, refused } = await submitAll(cluster, 150, 10, (n) => ({ n, ...(n % 5 === 0 && { failTimes: 1 }) }));
    const verdict = cluster.verdict(accepted, await cluster.waitTerminal([...accepted.keys()], 120_000));

    report("writes land, then the SDK gives up", { ...verdict, refusedAfterClientRetries: refused, landedThenFailed: cluster.faults.total(FaultKind.landedThenFailed), sendFailures: cluster.faults.total(FaultKind.exhausted) });
    expect(refused).to.equal(0);
    expect(cluster.faults.total(FaultKind.landedThenFailed)).to.be.greaterThan(20);
    expect(verdict).to.include({ jobs: 150, terminal: 150, lost: 0, notExactlyOnce: 0, wrongResults: 0 });
    // 30 jobs fail once then succeed: 180 runs, none lost to a claim nobody saw land, none repeated.
    expect(verdict.executions).to.equal(180);
  });

  it("reclaims jobs whose worker stalled past its lease after claiming, and rejects the stale late commits", async () => {
    const stalled = new Set<string>();
    let lateCommitsRejected = 0;
    let lateCommitsAccepted = 0;
    cluster = await Cluster.start({
      workerTimeoutSeconds: 2,
      workerStore: (store): JobStore =>
        Object.create(store, {
          commit: {
            value: async (...args: Parameters<JobStore["commit"]>) => {
              const [jobId] = args;
              if (stalled.has(jobId) || (cluster.executions.get(jobId) ?? 0) > 1) return store.commit(...args);
              // The first attempt of every third job "dies" after running: its commit arrives
              // only after the lease (2 s) is long gone, as from a frozen or partitioned worker.
              if (Number.parseInt(jobId.slice(0, 2), 16) % 3 !== 0) return store.commit(...args);
              stalled.add(jobId);
              await new Promise((resolve) => setTimeout(resolve, 6_000));
              try {
                const job = await store.commit(...args);
                lateCommitsAccepted++;
                return job;
              } catch (error) {
                lateCommitsRejected++;
                throw error;
              }
            },
          },
        }),
    });
    const { accepted } = await submitAll(cluster, 60, 10, (n) => ({ n }));
    const finals = await cluster.waitTerminal([...accepted.keys()], 60_000);
    await new Promise((resolve) => setTimeout(resolve, 6_500)); // let every stalled commit arrive
    const verdict = cluster.verdict(accepted, finals);

    report("worker dies after claiming", { ...verdict, stalledAttempts: stalled.size, lateCommitsRejected, lateCommitsAccepted });
    expect(stalled.size).to.be.greaterThan(5);
    expect(lateCommitsRejected).to.equal(stalled.size);
    expect(verdict).to.include({ jobs: 60, terminal: 60, lost: 0, notExactlyOnce: 0, wrongResults: 0 });
    for (const jobId of stalled) expect(cluster.executions.get(jobId), jobId).to.equal(2);
  });

  it("runs each job once when every message is delivered four times to eight racing pollers", async () => {
    cluster = await Cluster.start({ pollers: 8 });
    const { accepted } = await submitAll(cluster, 100, 10, (n) => ({ n, holdMs: 50 }));
    await mapLimit([...accepted.keys()], 10, async (jobId) => {
      for (let copy = 0; copy < 3; copy++) await cluster.emulators.sqs.send(new (await import("@aws-sdk/client-sqs")).SendMessageCommand({ QueueUrl: cluster.emulators.queueUrl, MessageBody: JSON.stringify({ jobId }) }));
    });
    const verdict = cluster.verdict(accepted, await cluster.waitTerminal([...accepted.keys()], 60_000));

    report("duplicate deliveries, racing pollers", verdict);
    expect(verdict).to.include({ jobs: 100, terminal: 100, lost: 0, notExactlyOnce: 0, wrongResults: 0, executions: 100 });
  });

  it("fails TIMED_OUT a job that always times out, after its attempts", async () => {
    cluster = await Cluster.start({ probeTimeoutSeconds: 0.3 });
    const { accepted } = await submitAll(cluster, 5, 5, (n) => ({ n, holdMs: 5_000 }));
    const finals = await cluster.waitTerminal([...accepted.keys()], 60_000);

    report("always times out", { jobs: accepted.size, executions: [...cluster.executions.values()].reduce((a, b) => a + b, 0), terminalCommits: [...cluster.faults.terminalWrites.values()].reduce((a, b) => a + b, 0) });
    for (const job of finals.values()) {
      expect(job).to.deep.include({ status: "FAILED", attempts: 3 });
      expect(job!.error).to.include({ code: "TIMED_OUT" });
    }
    expect([...accepted.keys()].map((jobId) => cluster.executions.get(jobId))).to.deep.equal([3, 3, 3, 3, 3]);
  });
});
