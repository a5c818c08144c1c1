import { expect } from "chai";
import { DynamoJobListing } from "../../handlers/adapters/dynamoJobListing";
import { DEFAULTS, JOB_TABLE } from "../../handlers/settings";
import type { ApiRequest } from "../helpers/events";
import { jwtCaller, TEST_ISSUER } from "../helpers/events";
import { TestStack } from "../helpers/stack";

const admin = jwtCaller("ops", ["cloudqueue/admin"]);
let run = 0;
const TEXT = { type: "text.transform", payload: { text: "listing" } };
const FAILING = { type: "demo.unreliable", payload: { sleepMs: 0, failAttempts: 0, permanent: true } };
const DELAYED = { type: "text.transform", payload: { text: "later" }, delaySeconds: 900 };

/**
 * `GET /jobs`, `GET /jobs/summary`, bulk retry and cancel, and attempt history (docs/OPERATIONS.md)
 * through the api handler against the emulators, as API Gateway's authorizer passes callers.
 */
describe("finding and acting on jobs", function () {
  this.timeout(60_000);
  let stack: TestStack;
  before(async () => (stack = await TestStack.start({ auth: { mode: "jwt", adminPrincipals: [] } })));
  after(async () => stack.close());
  // The table is shared by the tests: each test's callers are new owners, with no job yet.
  let alice: Record<string, unknown>;
  let bob: Record<string, unknown>;
  let aliceOwner: string;
  beforeEach(async () => {
    run += 1;
    alice = jwtCaller(`alice-${run}`);
    bob = jwtCaller(`bob-${run}`);
    aliceOwner = `jwt:${TEST_ISSUER}#alice-${run}`;
    await stack.purge();
  });

  const as = (authorizer: Record<string, unknown>, request: ApiRequest) => stack.request({ ...request, authorizer });
  const submitAs = async (authorizer: Record<string, unknown>, body: unknown) => {
    const response = await as(authorizer, { method: "POST", path: "/jobs", body });
    expect(response.statusCode, response.body).to.equal(202);
    return response.json.jobId as string;
  };
  /** Submits in order, a millisecond apart at least, so that newest-first is well defined. */
  const submitMany = async (authorizer: Record<string, unknown>, body: unknown, count: number) => {
    const ids: string[] = [];
    for (let n = 0; n < count; n += 1) {
      ids.push(await submitAs(authorizer, body));
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    return ids;
  };
  const list = async (authorizer: Record<string, unknown>, query: string) => {
    const response = await as(authorizer, { method: "GET", path: `/jobs${query}` });
    expect(response.statusCode, response.body).to.equal(200);
    return response.json as { jobs: { jobId: string; status: string; type: string }[]; nextCursor?: string };
  };
  /** Every page of a listing, following nextCursor. */
  const listAll = async (authorizer: Record<string, unknown>, query: string) => {
    const ids: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const separator = query ? "&" : "?";
      const page = await list(authorizer, `${query}${cursor ? `${separator}cursor=${encodeURIComponent(cursor)}` : ""}`);
      ids.push(...page.jobs.map((job) => job.jobId));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor && pages < 100);
    return { ids, pages };
  };

  it("lists the caller's jobs newest first, in pages that follow each other with no job twice or missed", async () => {
    const mine = await submitMany(alice, TEXT, 13);
    await submitMany(bob, TEXT, 3);
    const { ids, pages } = await listAll(alice, "?limit=5");
    expect(ids).to.deep.equal([...mine].reverse());
    expect(pages).to.be.within(3, 4);
    const first = await list(alice, "?limit=5");
    expect(first.jobs).to.have.length(5);
    expect(first.jobs[0]).to.not.have.property("payload");
    expect(first.jobs[0]).to.include({ type: "text.transform", status: "QUEUED", owner: aliceOwner });
  });

  it("reads about limit + 1 index entries a page, and over a listing every entry once: what a page read ahead travels in its cursor", async () => {
    const failed = await submitMany(alice, FAILING, 60);
    await stack.runUntilTerminal(failed, { timeoutMs: 60_000 });
    const listing = new DynamoJobListing(stack.emulators.dynamo, stack.storeSettings);
    for (const filter of [{}, { statuses: ["FAILED" as const] }, { statuses: ["FAILED" as const, "CANCELED" as const] }]) {
      let position;
      let entries = 0;
      const seen: string[] = [];
      do {
        const page = await listing.page({ owner: aliceOwner, filter, limit: 25, position, maxEntries: 100 });
        // limit + 1, plus the entries the merge must look ahead in the other shards' streams.
        expect(page.entriesRead, JSON.stringify(filter)).to.be.at.most(26 + 2 * DEFAULTS.sweepShards);
        expect(page.itemsRead).to.equal(page.jobs.length);
        entries += page.entriesRead;
        seen.push(...page.jobs.map((job) => job.jobId));
        position = page.position;
      } while (position);
      expect(seen, JSON.stringify(filter)).to.deep.equal([...failed].reverse());
      expect(entries, `${JSON.stringify(filter)}: each of the 60 entries read once`).to.equal(60);
    }
  });

  it("filters by status (the finished jobs' index, and the active statuses), by type and by creation time", async () => {
    const failed = await submitMany(alice, FAILING, 3);
    await stack.runUntilTerminal(failed);
    const queued = await submitMany(alice, DELAYED, 2);
    const canceled = await submitAs(alice, DELAYED);
    expect((await as(alice, { method: "DELETE", path: `/jobs/${canceled}` })).statusCode).to.equal(200);

    expect((await listAll(alice, "?status=FAILED&limit=2")).ids).to.deep.equal([...failed].reverse());
    expect((await listAll(alice, "?status=FAILED,CANCELED")).ids).to.deep.equal([canceled, ...[...failed].reverse()]);
    expect((await listAll(alice, "?status=QUEUED")).ids).to.deep.equal([...queued].reverse());
    expect((await listAll(alice, "?type=demo.unreliable")).ids).to.deep.equal([...failed].reverse());
    expect((await listAll(alice, "?status=CANCELED&type=demo.unreliable")).ids).to.deep.equal([]);

    const cut = (await stack.job(queued[0]!)).createdAt;
    expect((await listAll(alice, `?createdAfter=${encodeURIComponent(cut)}`)).ids).to.deep.equal([canceled, queued[1], queued[0]]);
    expect((await listAll(alice, `?status=FAILED&createdBefore=${encodeURIComponent(cut)}`)).ids).to.deep.equal([...failed].reverse());
  });

  it("writes each job into the listing index once and the finished jobs' index on its terminal commit", async () => {
    const [jobId] = await submitMany(alice, TEXT, 1);
    const stored = await stack.rawItem(jobId!);
    expect(stored).to.have.property(JOB_TABLE.listIndex.hashKey);
    expect(stored).to.have.property(JOB_TABLE.listIndex.rangeKey);
    expect(stored).to.not.have.property(JOB_TABLE.doneIndex.hashKey);
    await stack.runUntilTerminal([jobId!]);
    const done = await stack.rawItem(jobId!);
    expect(done[JOB_TABLE.listIndex.rangeKey]).to.equal(stored[JOB_TABLE.listIndex.rangeKey]);
    expect(String(done[JOB_TABLE.doneIndex.hashKey])).to.match(/^SUCCEEDED#\d$/);
  });

  it("answers 400 problems for bad filters and altered or foreign cursors, 403 for another owner's listing", async () => {
    await submitMany(alice, TEXT, 3);
    for (const query of ["?status=DONE", "?limit=0", "?limit=101", "?limit=x", "?createdAfter=yesterday", "?colour=red", "?createdAfter=2026-01-02T00:00:00Z&createdBefore=2026-01-01T00:00:00Z"]) {
      const response = await as(alice, { method: "GET", path: `/jobs${query}` });
      expect(response.statusCode, query).to.equal(400);
      expect(response.json.type).to.equal("urn:cloudqueue:problem:validation");
      expect(response.json.errors[0].path, query).to.match(/^query:/);
    }
    const { nextCursor } = await list(alice, "?limit=1");
    expect(nextCursor).to.be.a("string");
    const altered = `${nextCursor!.slice(0, -3)}${nextCursor!.slice(-3) === "AAA" ? "BBB" : "AAA"}`;
    const cases: [Record<string, unknown>, string][] = [
      [alice, `?limit=1&cursor=${altered}`],
      [alice, `?limit=1&cursor=garbage`],
      [alice, `?limit=1&status=FAILED&cursor=${nextCursor}`],
      [bob, `?limit=1&cursor=${nextCursor}`],
      [admin, `?limit=1&cursor=${nextCursor}`],
    ];
    for (const [caller, query] of cases) {
      const response = await as(caller, { method: "GET", path: `/jobs${query}` });
      expect(response.statusCode, query).to.equal(400);
      expect(response.json.errors).to.deep.equal([{ path: "query:cursor", message: "pass back a nextCursor unchanged, with the same filters" }]);
    }
    const foreign = await as(bob, { method: "GET", path: `/jobs?owner=${encodeURIComponent(aliceOwner)}` });
    expect(foreign.statusCode).to.equal(403);
    const asAdmin = await list(admin, `?owner=${encodeURIComponent(aliceOwner)}`);
    expect(asAdmin.jobs).to.have.length(3);
  });

  it("counts the caller's jobs by status and type, and every owner's for an admin", async () => {
    const failed = await submitMany(alice, FAILING, 2);
    const done = await submitMany(alice, TEXT, 1);
    await stack.runUntilTerminal([...failed, ...done]);
    await submitMany(alice, DELAYED, 3);
    await submitMany(bob, DELAYED, 1);
    const mine = await as(alice, { method: "GET", path: "/jobs/summary" });
    expect(mine.statusCode).to.equal(200);
    expect(mine.json).to.deep.include({ scope: "owner", owner: aliceOwner, total: 6 });
    expect(mine.json.byStatus).to.deep.equal({ QUEUED: 3, IN_PROGRESS: 0, SUCCEEDED: 1, FAILED: 2, CANCELED: 0 });
    expect(mine.json.byType["demo.unreliable"]).to.deep.equal({ QUEUED: 0, IN_PROGRESS: 0, SUCCEEDED: 0, FAILED: 2, CANCELED: 0 });
    expect(mine.json.byType["text.transform"]).to.deep.equal({ QUEUED: 3, IN_PROGRESS: 0, SUCCEEDED: 1, FAILED: 0, CANCELED: 0 });
    // The admin's summary counts every owner's jobs: at least these, the table being shared.
    const all = await as(admin, { method: "GET", path: "/jobs/summary" });
    expect(all.json.scope).to.equal("all");
    expect(all.json.total).to.be.at.least(7);
    expect(all.json.byStatus.QUEUED).to.be.at.least(4);
    const sum = Object.values(all.json.byStatus as Record<string, number>).reduce((total, count) => total + count, 0);
    expect(sum).to.equal(all.json.total);
    expect((await as(bob, { method: "GET", path: "/jobs/summary" })).json.total).to.equal(1);
  });

  it("bulk-retries a filter after a dry run, page by page, skipping jobs that changed in between", async () => {
    const failed = await submitMany(alice, FAILING, 5);
    const others = await submitMany(bob, FAILING, 2);
    await stack.runUntilTerminal([...failed, ...others]);
    const dry = await as(alice, { method: "POST", path: "/jobs/bulk/retry", body: { filter: { type: "demo.unreliable" }, dryRun: true } });
    expect(dry.statusCode, dry.body).to.equal(200);
    expect(dry.json).to.deep.include({ action: "retry", dryRun: true, matched: 5, matchedAtLeast: false });
    expect(dry.json.sample.map((job: { jobId: string }) => job.jobId)).to.deep.equal([...failed].reverse());
    expect((await stack.job(failed[0]!)).status, "a dry run changes nothing").to.equal("FAILED");

    const first = await as(alice, { method: "POST", path: "/jobs/bulk/retry", body: { filter: { type: "demo.unreliable" }, limit: 3 } });
    expect(first.json).to.deep.include({ dryRun: false, examined: 3, changed: 3, skipped: 0 });
    expect(first.json.nextCursor).to.be.a("string");
    // One of the rest is retried by hand before the next page acts on it.
    const racing = failed[1]!;
    expect((await as(alice, { method: "POST", path: `/jobs/${racing}/retry` })).statusCode).to.equal(202);
    const second = await as(alice, { method: "POST", path: "/jobs/bulk/retry", body: { filter: { type: "demo.unreliable" }, limit: 3, cursor: first.json.nextCursor } });
    expect(second.statusCode, second.body).to.equal(200);
    expect(second.json.changed + second.json.skipped).to.be.at.most(2);
    const moved = [...first.json.changedJobIds, ...second.json.changedJobIds, racing];
    expect(moved.sort()).to.deep.equal([...failed].sort());
    for (const jobId of failed) expect((await stack.job(jobId)).status).to.equal("QUEUED");
    for (const jobId of others) expect((await stack.job(jobId)).status, "bob's jobs are not alice's to retry").to.equal("FAILED");
  });

  it("bulk-cancels selected ids, counting those that are not queued or not the caller's as skipped", async () => {
    const queued = await submitMany(alice, DELAYED, 3);
    const [bobs] = await submitMany(bob, DELAYED, 1);
    expect((await as(alice, { method: "DELETE", path: `/jobs/${queued[2]}` })).statusCode).to.equal(200);
    const result = await as(alice, { method: "POST", path: "/jobs/bulk/cancel", body: { jobIds: [...queued, bobs] } });
    expect(result.statusCode, result.body).to.equal(200);
    expect(result.json).to.deep.include({ examined: 4, changed: 2, skipped: 2 });
    expect(result.json.skippedJobs).to.deep.equal([
      { jobId: queued[2], status: "CANCELED", reason: "changed" },
      { jobId: bobs, reason: "not-found" },
    ]);
    expect((await stack.job(bobs!)).status).to.equal("QUEUED");
  });

  it("replays a bulk call under the same Idempotency-Key, refuses the key for another body, and refuses statuses the action cannot start from", async () => {
    const queued = await submitMany(alice, DELAYED, 2);
    const headers = { "idempotency-key": "cancel-run-1" };
    const body = { filter: { status: ["QUEUED"] } };
    const first = await as(alice, { method: "POST", path: "/jobs/bulk/cancel", body, headers });
    expect(first.json.changed).to.equal(2);
    const again = await as(alice, { method: "POST", path: "/jobs/bulk/cancel", body, headers });
    expect(again.statusCode).to.equal(200);
    expect(again.headers["idempotent-replayed"]).to.equal("true");
    expect(again.json).to.deep.equal(first.json);
    const other = await as(alice, { method: "POST", path: "/jobs/bulk/cancel", body: { jobIds: queued }, headers });
    expect(other.statusCode).to.equal(422);
    const wrong = await as(alice, { method: "POST", path: "/jobs/bulk/cancel", body: { filter: { status: ["FAILED"] } } });
    expect(wrong.statusCode).to.equal(400);
    expect(wrong.json.errors[0].path).to.equal("filter.status");
    const both = await as(alice, { method: "POST", path: "/jobs/bulk/retry", body: { filter: {}, jobIds: queued } });
    expect(both.statusCode).to.equal(400);
  });

  it("keeps each attempt's start, end, outcome and error code, and starts a new history on retry", async () => {
    const jobId = await submitAs(alice, { type: "demo.unreliable", payload: { sleepMs: 0, failAttempts: 2, permanent: false } });
    await stack.runUntilTerminal([jobId], { timeoutMs: 30_000 });
    const read = await as(alice, { method: "GET", path: `/jobs/${jobId}` });
    expect(read.json.status).to.equal("SUCCEEDED");
    expect(read.json.attemptHistory.map((attempt: { attempt: number; outcome: string; errorCode?: string }) => [attempt.attempt, attempt.outcome, attempt.errorCode])).to.deep.equal([
      [1, "RETRYING", "DEMO_TRANSIENT"],
      [2, "RETRYING", "DEMO_TRANSIENT"],
      [3, "SUCCEEDED", undefined],
    ]);
    for (const attempt of read.json.attemptHistory) expect(Date.parse(attempt.finishedAt)).to.be.at.least(Date.parse(attempt.startedAt));

    const failed = await submitAs(alice, FAILING);
    await stack.runUntilTerminal([failed]);
    expect((await as(alice, { method: "GET", path: `/jobs/${failed}` })).json.attemptHistory).to.have.length(1);
    const retried = await as(alice, { method: "POST", path: `/jobs/${failed}/retry` });
    expect(retried.json.attemptHistory).to.deep.equal([]);
  });
});
