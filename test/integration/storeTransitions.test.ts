import { expect } from "chai";
import { randomUUID } from "node:crypto";
import type { AttemptOutcome } from "../../handlers/adapters/jobStore";
import { shardOf } from "../../handlers/adapters/listKeys";
import { canTransition, isTerminal, JobStatus, RETRYABLE_STATUSES, type Job } from "../../handlers/domain/job";
import { DEFAULTS, JOB_TABLE } from "../../handlers/settings";
import { TestStack } from "../helpers/stack";

/**
 * The store's conditional writes against the domain's lifecycle: from every state, every
 * transition the store offers succeeds exactly when `canTransition` allows it.
 */
describe("job store conditions follow the domain's transitions", function () {
  let stack: TestStack;
  before(async () => (stack = await TestStack.start()));
  after(async () => stack.close());

  /** A stored job in `status`, claimed with token "t" where it went through a claim. */
  async function jobIn(status: JobStatus, owner?: string): Promise<string> {
    const jobId = randomUUID();
    const now = new Date().toISOString();
    const job: Job = { jobId, type: "text.transform", status: "QUEUED", payload: { text: "x" }, attempts: 0, maxAttempts: 3, delaySeconds: 0, createdAt: now, updatedAt: now, ...(owner && { owner }) };
    await stack.store.create(job);
    if (status === "CANCELED") await stack.store.cancel(jobId, Date.now());
    if (status === "IN_PROGRESS" || status === "SUCCEEDED" || status === "FAILED") {
      await stack.store.claim(jobId, { claimToken: "t", nowMs: Date.now(), leaseExpiresAtMs: Date.now() + 60_000 });
    }
    if (status === "SUCCEEDED") await stack.store.commit(jobId, "t", { status: "SUCCEEDED", result: {} }, Date.now());
    if (status === "FAILED") await stack.store.commit(jobId, "t", { status: "FAILED", error: { code: "X", message: "x", retryable: false } }, Date.now());
    expect((await stack.job(jobId)).status).to.equal(status);
    return jobId;
  }

  const error = { code: "X", message: "x", retryable: true };
  const transitions: [JobStatus, string, (jobId: string) => Promise<unknown>][] = [
    ["IN_PROGRESS", "claim", async (jobId) => {
      const claim = await stack.store.claim(jobId, { claimToken: randomUUID(), nowMs: Date.now(), leaseExpiresAtMs: Date.now() + 60_000 });
      if (!claim.claimed) throw new Error("refused");
    }],
    ["SUCCEEDED", "commit SUCCEEDED", (jobId) => stack.store.commit(jobId, "t", { status: "SUCCEEDED", result: {} } as AttemptOutcome, Date.now())],
    ["FAILED", "commit FAILED", (jobId) => stack.store.commit(jobId, "t", { status: "FAILED", error }, Date.now())],
    ["QUEUED", "commit back to QUEUED", (jobId) => stack.store.commit(jobId, "t", { status: "QUEUED", error, retryAtMs: Date.now() }, Date.now())],
    ["CANCELED", "cancel", (jobId) => stack.store.cancel(jobId, Date.now())],
    ["QUEUED", "retry", (jobId) => stack.store.retry(jobId, Date.now())],
  ];

  for (const from of Object.values(JobStatus)) {
    for (const [to, name, write] of transitions) {
      // Two transitions lead to QUEUED: a worker's retryable failure (from IN_PROGRESS) and a
      // client's explicit retry (from the RETRYABLE_STATUSES only).
      const legal =
        name === "retry" ? RETRYABLE_STATUSES.includes(from) : name === "commit back to QUEUED" ? from === "IN_PROGRESS" && canTransition(from, to) : canTransition(from, to);
      it(`${name} from ${from}: ${legal ? "allowed" : "refused"}, and the job is in the indexes its status calls for`, async () => {
        const jobId = await jobIn(from);
        const listed = (await stack.rawItem(jobId))[JOB_TABLE.listIndex.rangeKey];
        const outcome = await write(jobId).then(() => "allowed", () => "refused");
        expect(outcome).to.equal(legal ? "allowed" : "refused");
        const status = legal ? to : from;
        expect((await stack.job(jobId)).status).to.equal(status);
        const item = await stack.rawItem(jobId);
        // The sweep index holds the active jobs, the finished jobs' index the terminal ones under
        // their status; the all-jobs index keeps the key the put gave it, whatever happens.
        expect(item[JOB_TABLE.sweepIndex.hashKey] !== undefined, "in the sweep index").to.equal(!isTerminal(status));
        expect(item[JOB_TABLE.doneIndex.hashKey], "in the finished jobs' index").to.equal(isTerminal(status) ? `${status}#${shardOf(jobId, DEFAULTS.sweepShards)}` : undefined);
        expect(item[JOB_TABLE.listIndex.rangeKey], "the all-jobs index key never changes").to.equal(listed);
        expect(item[JOB_TABLE.listIndex.hashKey]).to.equal(shardOf(jobId, DEFAULTS.sweepShards));
      });
    }
  }

  // The owner conjunct (SPEC §11) only narrows a client's cancel and retry: from a state where the
  // write is allowed, another owner's write is refused and changes nothing; the owner's own, an
  // admin's (no owner), and the public owner's on a job stored before owners were recorded go through.
  for (const [from, name, write] of [
    ["QUEUED", "cancel", (jobId: string, owner?: string) => stack.store.cancel(jobId, Date.now(), owner)],
    ["FAILED", "retry", (jobId: string, owner?: string) => stack.store.retry(jobId, Date.now(), { owner })],
    ["CANCELED", "retry", (jobId: string, owner?: string) => stack.store.retry(jobId, Date.now(), { owner })],
  ] as const) {
    it(`${name} from ${from} with an owner: only the job's owner, an admin, or the public owner of an ownerless job`, async () => {
      const owned = await jobIn(from, "jwt:iss#alice");
      const before = await stack.job(owned);
      expect(await write(owned, "jwt:iss#bob").then(() => "allowed", (error: Error) => error.name)).to.equal("ConditionFailedError");
      expect(await write(owned, "public").then(() => "allowed", (error: Error) => error.name)).to.equal("ConditionFailedError");
      expect(await stack.job(owned)).to.deep.equal(before);
      expect(await write(owned, "jwt:iss#alice").then(() => "allowed", () => "refused")).to.equal("allowed");
      expect(await write(await jobIn(from, "jwt:iss#alice"), undefined).then(() => "allowed", () => "refused"), "an admin").to.equal("allowed");
      expect(await write(await jobIn(from), "public").then(() => "allowed", () => "refused"), "an ownerless job").to.equal("allowed");
      expect(await write(await jobIn(from), "jwt:iss#alice").then(() => "allowed", () => "refused"), "an ownerless job is not alice's").to.equal("refused");
    });
  }

  // Bookkeeping the same writes carry for the job's records (no condition reads it): the status
  // a claim or retry came from, and when the job is due.
  it("records the status a claim or a retry took the job from, and when a re-queued job is due", async () => {
    const queued = await jobIn("QUEUED");
    const claimed = await stack.store.claim(queued, { claimToken: "c1", nowMs: Date.now(), leaseExpiresAtMs: Date.now() - 1 });
    expect(claimed.claimed && claimed.job.previousStatus).to.equal("QUEUED");
    // Its lease is already over: the next claim is a takeover.
    const takeover = await stack.store.claim(queued, { claimToken: "c2", nowMs: Date.now(), leaseExpiresAtMs: Date.now() + 60_000 });
    expect(takeover.claimed && takeover.job.previousStatus).to.equal("IN_PROGRESS");
    const retryAtMs = Date.now() + 5_000;
    const requeued = await stack.store.commit(queued, "c2", { status: "QUEUED", error, retryAtMs }, Date.now());
    expect(requeued.dueAt).to.equal(retryAtMs);

    const failed = await jobIn("FAILED");
    const nowMs = Date.now();
    const retried = await stack.store.retry(failed, nowMs, { requestId: "req-retry" });
    expect(retried).to.include({ previousStatus: "FAILED", dueAt: nowMs, requestId: "req-retry" });
    expect((await stack.store.retry(await jobIn("CANCELED"), nowMs)).previousStatus).to.equal("CANCELED");
  });

  // SPEC §14: a job due past 900 s enters the sweep index at its hand-off time; the hand-off is
  // the sweeper's conditional deferSweep, which only one of two sweepers wins.
  it("stores a job due past 900 s at its hand-off time, and only one hand-off of it succeeds", async () => {
    const jobId = randomUUID();
    const nowMs = Date.now();
    const now = new Date(nowMs).toISOString();
    const dueAt = nowMs + 3_600_000;
    await stack.store.create({ jobId, type: "text.transform", status: "QUEUED", payload: { text: "x" }, attempts: 0, maxAttempts: 3, delaySeconds: 3600, dueAt, createdAt: now, updatedAt: now });
    const handOffAt = (await stack.rawItem(jobId))[JOB_TABLE.sweepIndex.rangeKey];
    expect(handOffAt).to.equal(dueAt - 900_000);
    const handOff = () => stack.store.deferSweep(jobId, { sweepAtMs: handOffAt as number, status: "QUEUED" }, dueAt + 30_000).then(() => "won", () => "lost");
    expect(await Promise.all([handOff(), handOff()])).to.have.members(["won", "lost"]);
    expect((await stack.rawItem(jobId))[JOB_TABLE.sweepIndex.rangeKey]).to.equal(dueAt + 30_000);
    // While it waits it is an ordinary QUEUED job: a client's cancel takes it out of the sweep index.
    await stack.store.cancel(jobId, Date.now());
    expect((await stack.rawItem(jobId))[JOB_TABLE.sweepIndex.rangeKey]).to.equal(undefined);
  });
});
