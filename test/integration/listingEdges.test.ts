import { expect } from "chai";
import { randomBytes, randomUUID } from "node:crypto";
import { shardOf } from "../../handlers/adapters/listKeys";
import { DynamoJobListing } from "../../handlers/adapters/dynamoJobListing";
import { DynamoJobStore } from "../../handlers/adapters/dynamoJobStore";
import { DynamoRequestRecords } from "../../handlers/adapters/requestRecords";
import { createApiHandler } from "../../handlers/api/handler";
import { staticIdSecret } from "../../handlers/auth/kmsIdSecret";
import { silentLogger, type Logger } from "../../handlers/log";
import { DEFAULTS, type StoreSettings } from "../../handlers/settings";
import { SqsJobQueue } from "../../handlers/adapters/sqsJobQueue";
import { apiEvent, jwtCaller, type ApiRequest } from "../helpers/events";
import { TestStack } from "../helpers/stack";

let run = 0;
const FAILING_DELAYED = { type: "demo.unreliable", payload: { sleepMs: 0, failAttempts: 0, permanent: true }, delaySeconds: 900 };
const DELAYED = { type: "text.transform", payload: { text: "later" }, delaySeconds: 900 };

/** Edge cases of listing, cursors and bulk calls, each first found as a defect in review and reproduced. */
describe("listing edge cases found in review", function () {
  this.timeout(120_000);
  let stack: TestStack;
  const internalErrors: unknown[] = [];
  const capture: Logger = { debug() {}, info() {}, warn() {}, error: (message: string, fields?: Record<string, unknown>) => void internalErrors.push({ message, ...fields }), child: () => capture };
  before(async () => (stack = await TestStack.start({ auth: { mode: "jwt", adminPrincipals: [] }, logger: capture })));
  const lastInternal = () => JSON.stringify(internalErrors.at(-1));
  after(async () => stack.close());
  let alice: Record<string, unknown>;
  beforeEach(async () => {
    run += 1;
    alice = jwtCaller(`review-alice-${run}-${Date.now()}`);
    await stack.purge();
  });

  // Raw: no OpenAPI conformance check (a 500 would throw there before we could look at it).
  const raw = async (authorizer: Record<string, unknown>, request: ApiRequest) => {
    const response = await stack.api(apiEvent({ ...request, authorizer }));
    return { ...response, json: response.body ? JSON.parse(response.body) : undefined };
  };
  const submit = async (authorizer: Record<string, unknown>, body: unknown) => {
    const response = await raw(authorizer, { method: "POST", path: "/jobs", body });
    expect(response.statusCode, response.body).to.equal(202);
    return response.json.jobId as string;
  };
  const tick = () => new Promise((resolve) => setTimeout(resolve, 3));

  it("answers 400 to a bulk filter whose createdAfter is later than its createdBefore", async () => {
    await submit(alice, DELAYED);
    const filter = { createdAfter: "2026-01-02T00:00:00Z", createdBefore: "2026-01-01T00:00:00Z" };
    for (const [action, dryRun] of [["cancel", true], ["cancel", false], ["retry", true]] as const) {
      const response = await raw(alice, { method: "POST", path: `/jobs/bulk/${action}`, body: { filter, dryRun } });
      expect(response.statusCode, response.body).to.equal(400);
    }
  });

  /**
   * J (CANCELED, shard s) is left buffered in the CANCELED#s stream by page 1, while the FAILED#s
   * stream has read only F (newer than J). Between pages J is retried by hand and fails: it
   * leaves CANCELED#s and enters FAILED#s under the same listKey, so both streams deliver it.
   */
  async function jobBufferedInTwoStreams(): Promise<{ j: string; f: string; cursor: string }> {
    const shards = DEFAULTS.sweepShards;
    const j = await submit(alice, FAILING_DELAYED);
    const s = shardOf(j, shards);
    expect((await raw(alice, { method: "DELETE", path: `/jobs/${j}` })).statusCode).to.equal(200);
    await tick();
    // F: FAILED, same shard, newer than J. Other candidates stay QUEUED (delayed 900 s), out of this listing.
    let f: string | undefined;
    while (!f) {
      const id = await submit(alice, FAILING_DELAYED);
      if (shardOf(id, shards) === s) f = id;
    }
    expect((await raw(alice, { method: "DELETE", path: `/jobs/${f}` })).statusCode).to.equal(200);
    expect((await raw(alice, { method: "POST", path: `/jobs/${f}/retry` })).statusCode).to.equal(202);
    await stack.runUntilTerminal([f]);
    await tick();
    // N: CANCELED, newest, another shard.
    let n: string | undefined;
    while (!n) {
      const id = await submit(alice, DELAYED);
      if (shardOf(id, shards) !== s) n = id;
    }
    expect((await raw(alice, { method: "DELETE", path: `/jobs/${n}` })).statusCode).to.equal(200);
    const first = await raw(alice, { method: "GET", path: "/jobs?status=FAILED,CANCELED&limit=1" });
    expect(first.statusCode, first.body).to.equal(200);
    expect(first.json.jobs.map((job: { jobId: string }) => job.jobId)).to.deep.equal([n]);
    expect((await raw(alice, { method: "POST", path: `/jobs/${j}/retry` })).statusCode).to.equal(202);
    await stack.runUntilTerminal([j]);
    return { j, f, cursor: first.json.nextCursor };
  }

  it("lists a job that moved CANCELED → retry → FAILED between pages once, from its current status's stream", async () => {
    const { cursor } = await jobBufferedInTwoStreams();
    const second = await raw(alice, { method: "GET", path: `/jobs?status=FAILED,CANCELED&limit=10&cursor=${encodeURIComponent(cursor)}` });
    expect(second.statusCode, second.body).to.equal(200);
  });

  it("and when a page ends between the job's old and new entries, lists it on one page only", async () => {
    const { j, f, cursor } = await jobBufferedInTwoStreams();
    const second = await raw(alice, { method: "GET", path: `/jobs?status=FAILED,CANCELED&limit=2&cursor=${encodeURIComponent(cursor)}` });
    expect(second.statusCode, second.body).to.equal(200);
    const third = await raw(alice, { method: "GET", path: `/jobs?status=FAILED,CANCELED&limit=2&cursor=${encodeURIComponent(second.json.nextCursor)}` });
    expect(third.statusCode, third.body).to.equal(200);
    const page2 = second.json.jobs.map((job: { jobId: string }) => job.jobId);
    const page3 = third.json.jobs.map((job: { jobId: string }) => job.jobId);
    expect(page2).to.include(j);
    expect(page3, "J was already listed on page 2").to.not.include(j);
  });

  it("rounds a createdAfter with digits past the millisecond up: a job created before it is not listed", async () => {
    const jobId = await submit(alice, DELAYED);
    const createdAt = (await stack.job(jobId)).createdAt; // e.g. 2026-05-01T10:00:00.123Z
    const after = createdAt.replace("Z", "5Z"); // 0.5 ms later than the job
    expect(Date.parse(after)).to.equal(Date.parse(createdAt));
    const page = await raw(alice, { method: "GET", path: `/jobs?createdAfter=${encodeURIComponent(after)}` });
    expect(page.statusCode).to.equal(200);
    expect(page.json.jobs, "a job created before createdAfter is not listed").to.have.length(0);
  });

  it("leaves an Idempotency-Key free when its bulk call is refused for a bad cursor: the corrected call under it runs", async () => {
    await submit(alice, DELAYED);
    const headers = { "idempotency-key": "bulk-cancel-review" };
    const bad = await raw(alice, { method: "POST", path: "/jobs/bulk/cancel", body: { filter: { status: ["QUEUED"] }, cursor: "c1.garbage" }, headers });
    expect(bad.statusCode).to.equal(400);
    const fixed = await raw(alice, { method: "POST", path: "/jobs/bulk/cancel", body: { filter: { status: ["QUEUED"] } }, headers });
    expect(fixed.statusCode, "bad input changes nothing: the key is still free").to.equal(200);
  });

  it("names a bad bulk cursor at path cursor (it is in the body)", async () => {
    const bad = await raw(alice, { method: "POST", path: "/jobs/bulk/retry", body: { filter: {}, cursor: "c1.garbage" } });
    expect(bad.statusCode).to.equal(400);
    expect(bad.json.errors[0].path).to.equal("cursor");
  });
  it("with sweepShards = 16 a multi-status page of 100 answers a nextCursor the API takes back", async () => {
    const settings: StoreSettings = { ...stack.storeSettings, sweepShards: 16 };
    const store = new DynamoJobStore(stack.emulators.dynamo, settings);
    const api = createApiHandler({
      store,
      listing: new DynamoJobListing(stack.emulators.dynamo, settings),
      records: new DynamoRequestRecords(stack.emulators.dynamo, settings),
      queue: new SqsJobQueue(stack.emulators.sqs, { queueUrl: stack.emulators.queueUrl }),
      jobTypes: stack.jobTypes,
      logger: silentLogger,
      maxBodyBytes: DEFAULTS.maxBodyBytes,
      auth: { mode: "jwt", adminPrincipals: [], requireScopes: true },
      idSecret: staticIdSecret(randomBytes(32)),
    });
    const call = async (method: string, path: string, body?: unknown) => {
      const response = await api(apiEvent({ method, path, body, authorizer: alice }));
      return { status: response.statusCode, json: response.body ? JSON.parse(response.body) : undefined };
    };
    const submit8 = async () => (await call("POST", "/jobs", DELAYED)).json.jobId as string;
    const finish = async (jobId: string, status: "SUCCEEDED" | "FAILED") => {
      const token = randomUUID();
      const now = Date.now();
      expect((await store.claim(jobId, { claimToken: token, nowMs: now, leaseExpiresAtMs: now + 60_000 })).claimed).to.equal(true);
      await store.commit(jobId, token, status === "SUCCEEDED" ? { status, result: { ok: true } } : { status, error: { code: "X", message: "x", retryable: false } }, Date.now());
    };
    // Oldest canceled, then failed, newest succeeded.
    for (let n = 0; n < 60; n += 1) expect((await call("DELETE", `/jobs/${await submit8()}`)).status).to.equal(200);
    for (let n = 0; n < 60; n += 1) await finish(await submit8(), "FAILED");
    for (let n = 0; n < 150; n += 1) await finish(await submit8(), "SUCCEEDED");
    const first = await call("GET", "/jobs?status=SUCCEEDED,FAILED,CANCELED&limit=100");
    expect(first.status).to.equal(200);
    const cursor = first.json.nextCursor as string;
    const second = await call("GET", `/jobs?status=SUCCEEDED,FAILED,CANCELED&limit=100&cursor=${cursor}`);
    expect(second.status, "the API accepts back the cursor it made").to.equal(200);
  });

  it("refuses a time that does not exist (February 30) as a filter", async () => {
    const response = await raw(alice, { method: "GET", path: "/jobs?createdAfter=2026-02-30T00:00:00Z" });
    expect(response.statusCode).to.equal(400);
  });
});
