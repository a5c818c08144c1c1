import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { DynamoJobListing } from "../../handlers/adapters/dynamoJobListing";
import { DynamoRequestRecords } from "../../handlers/adapters/requestRecords";
import { createApiEntry, type ApiEntry } from "../../handlers/api/handler";
import { ScheduleFireError } from "../../handlers/api/scheduleFire";
import type { HttpResponse } from "../../handlers/api/http";
import { PUBLIC_OWNER, type AuthMode } from "../../handlers/auth/authMode";
import { staticIdSecret } from "../../handlers/auth/kmsIdSecret";
import { scheduleFireKey, type ScheduleFire } from "../../handlers/domain/schedule";
import { jsonLogger } from "../../handlers/log";
import { DEFAULTS } from "../../handlers/settings";
import { apiEvent, jwtCaller, type ApiRequest } from "../helpers/events";
import { TestStack } from "../helpers/stack";

let run = 0;

/**
 * The api function's entry (`createApiEntry`) receiving schedules' fires, as EventBridge Scheduler
 * invokes it, against the DynamoDB and SQS emulators: the fire's job, its key, its owner, and
 * `GET /jobs?schedule=`.
 */
describe("schedules' fires through the api function's entry", function () {
  this.timeout(60_000);
  let stack: TestStack;
  /** The records every entry logs, parsed. */
  const records: Record<string, unknown>[] = [];
  const logger = jsonLogger({ level: "DEBUG", write: (line) => void records.push(JSON.parse(line)) });
  const secret = staticIdSecret(randomBytes(32));
  const entries = new Map<AuthMode, ApiEntry>();
  let name: string;

  before(async () => {
    stack = await TestStack.start();
  });
  after(async () => stack?.close());
  beforeEach(async () => {
    run += 1;
    name = `nightly-${run}-${Date.now()}`;
    records.length = 0;
    await stack.purge();
  });

  /** The api function's entry of a stack in `mode`, over the test stack's table and queue (one id secret for all, as one deployed stack). */
  function entry(mode: AuthMode = "none"): ApiEntry {
    let found = entries.get(mode);
    if (!found) {
      found = createApiEntry({
        store: stack.store,
        listing: new DynamoJobListing(stack.emulators.dynamo, stack.storeSettings),
        records: new DynamoRequestRecords(stack.emulators.dynamo, stack.storeSettings),
        queue: stack.queue,
        jobTypes: stack.jobTypes,
        logger,
        maxBodyBytes: DEFAULTS.maxBodyBytes,
        auth: { mode, adminPrincipals: [], requireScopes: true },
        idSecret: secret,
      });
      entries.set(mode, found);
    }
    return found;
  }

  const fireOf = (overrides: Partial<ScheduleFire> = {}): ScheduleFire => ({
    cloudqueue: "schedule-fire",
    schedule: name,
    scheduledTime: "2026-12-03T07:00:00Z",
    type: "text.transform",
    payload: { text: "nightly report" },
    ...overrides,
  });

  /** Every message on the queue, by job id (settled, so the queue is empty after). */
  async function drainMessages(): Promise<string[]> {
    const jobIds: string[] = [];
    for (let round = 0; round < 5; round++) {
      const messages = await stack.events.receive(10, 0);
      if (messages.length === 0) break;
      jobIds.push(...messages.map((message) => JSON.parse(message.Body!).jobId as string));
      await stack.events.settle(messages, { batchItemFailures: [] });
    }
    return jobIds;
  }

  /** Every job id `GET /jobs<query>` lists on the open stack, following its cursor. */
  async function listAll(query: string): Promise<string[]> {
    const ids: string[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 50; pages++) {
      const response = await stack.request({ method: "GET", path: `/jobs${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}` });
      expect(response.statusCode, response.body).to.equal(200);
      ids.push(...response.json.jobs.map((job: { jobId: string }) => job.jobId));
      cursor = response.json.nextCursor;
      if (!cursor) break;
    }
    return ids;
  }

  it("makes the fire's job: QUEUED, enqueued, carrying the schedule, keyed by schedule and time, owned by the public owner", async () => {
    const before = await stack.itemCount();
    const result = await entry()(fireOf());
    expect(result).to.include({ schedule: name, scheduledTime: "2026-12-03T07:00:00Z", outcome: "created" });
    expect(await stack.itemCount()).to.equal(before + 1);

    const job = await stack.job(result.jobId);
    expect(job).to.include({ status: "QUEUED", type: "text.transform", schedule: name, owner: PUBLIC_OWNER, idempotencyKey: scheduleFireKey(name, "2026-12-03T07:00:00Z") });
    expect(job.payload).to.deep.equal({ text: "nightly report" });
    expect(await drainMessages()).to.deep.equal([result.jobId]);

    const view = await stack.request({ method: "GET", path: `/jobs/${result.jobId}` });
    expect(view.statusCode).to.equal(200);
    expect(view.json).to.include({ schedule: name, status: "QUEUED" });
    const fired = records.find((record) => record.event === "schedule.fired");
    expect(fired).to.include({ schedule: name, scheduledTime: "2026-12-03T07:00:00Z", jobId: result.jobId, replayed: false });
  });

  it("makes one job of two deliveries of one fire: the second finds the first's job, enqueues nothing", async () => {
    const before = await stack.itemCount();
    const first = await entry()(fireOf());
    const second = await entry()(fireOf());
    expect(first.outcome).to.equal("created");
    expect(second).to.deep.equal({ ...first, outcome: "replayed" });
    expect(await stack.itemCount()).to.equal(before + 1);
    expect(await drainMessages()).to.deep.equal([first.jobId]);
    expect(records.filter((record) => record.event === "schedule.fired").map((record) => record.replayed)).to.deep.equal([false, true]);
  });

  it("makes one job of two deliveries that arrive at once", async () => {
    const before = await stack.itemCount();
    const results = await Promise.all([entry()(fireOf()), entry()(fireOf()), entry()(fireOf())]);
    expect(new Set(results.map((result) => result.jobId)).size).to.equal(1);
    expect(results.map((result) => result.outcome).sort()).to.deep.equal(["created", "replayed", "replayed"]);
    expect(await stack.itemCount()).to.equal(before + 1);
  });

  it("makes two jobs of two fires of one schedule, and two of two schedules' fires at one time", async () => {
    const before = await stack.itemCount();
    const first = await entry()(fireOf({ scheduledTime: "2026-12-03T07:00:00Z" }));
    const next = await entry()(fireOf({ scheduledTime: "2026-12-04T07:00:00Z" }));
    const other = await entry()(fireOf({ schedule: `${name}-other` }));
    expect([first.outcome, next.outcome, other.outcome]).to.deep.equal(["created", "created", "created"]);
    expect(new Set([first.jobId, next.jobId, other.jobId]).size).to.equal(3);
    expect(await stack.itemCount()).to.equal(before + 3);
    expect((await stack.job(next.jobId)).idempotencyKey).to.equal(scheduleFireKey(name, "2026-12-04T07:00:00Z"));
    expect((await drainMessages()).sort()).to.deep.equal([first.jobId, next.jobId, other.jobId].sort());
  });

  // BUG: handlers/api/scheduleFire.ts submits the fire under the Idempotency-Key
  // scheduleFireKey(name, time) = "schedule:<name>#<time>" for the owner scheduleOwner(name, mode),
  // which on the open demo (authMode none) is "public", the owner of every client too
  // (handlers/domain/schedule.ts scheduleOwner). Any client can send POST /jobs with
  // `Idempotency-Key: schedule:<name>#<a future time>` (isIdempotencyKey takes any printable
  // ASCII): keyedJobId(secret, "public", key) is then the very id the fire will compute. When the
  // fire comes, JobService.place finds the client's job: another payload is a "conflict" (the
  // fire makes no job at all, its job is the client's, with the client's payload and no
  // `schedule`), the same payload is "replayed" (a job without `schedule`, missing from
  // GET /jobs?schedule=). Expected: a fire's key cannot be taken by a client's request (e.g. a
  // key namespace clients cannot write, or the fire's job id derived apart from client keys).
  it("keeps a fire's key from clients (open stack: both are the public owner): POST /jobs and batch items with it are refused, the fire makes its own job", async () => {
    const key = scheduleFireKey(name, "2026-12-03T07:00:00Z");
    const before = await stack.itemCount();
    const squat = (await entry()(apiEvent({ method: "POST", path: "/jobs", body: { type: "text.transform", payload: { text: "not the schedule's" } }, headers: { "Idempotency-Key": key } }))) as HttpResponse;
    expect(squat.statusCode, squat.body).to.equal(400);
    expect(JSON.parse(squat.body!).errors).to.deep.equal([{ path: "header:Idempotency-Key", message: "must be 1 to 255 printable ASCII characters, not starting with schedule: (the keys of schedule fires)" }]);
    const batch = (await entry()(apiEvent({ method: "POST", path: "/jobs/batch", body: { jobs: [{ type: "text.transform", payload: { text: "squat" }, idempotencyKey: key }] } }))) as HttpResponse;
    expect(batch.statusCode, batch.body).to.equal(200);
    expect(JSON.parse(batch.body!).results.map((result: { status: number; errors?: Array<{ path: string }> }) => [result.status, result.errors?.map((error) => error.path)])).to.deep.equal([[400, ["idempotencyKey"]]]);
    expect(await stack.itemCount()).to.equal(before);
    const result = await entry()(fireOf());
    expect(result.outcome).to.equal("created");
    expect(await stack.job(result.jobId)).to.include({ schedule: name });
  });

  it("runs the fire's job to SUCCEEDED as any job", async () => {
    const result = await entry()(fireOf({ payload: { text: "run me" } }));
    const [job] = await stack.runUntilTerminal([result.jobId]);
    expect(job).to.include({ status: "SUCCEEDED", schedule: name });
    expect(job!.result).to.deep.include({ uppercase: "RUN ME" });
  });

  it("answers a fire whose key already made a job of another payload with that job (conflict), making none", async () => {
    const before = await stack.itemCount();
    const first = await entry()(fireOf({ payload: { text: "version 1" } }));
    const changed = await entry()(fireOf({ payload: { text: "version 2" } }));
    expect(changed).to.deep.equal({ schedule: name, scheduledTime: "2026-12-03T07:00:00Z", jobId: first.jobId, outcome: "conflict" });
    expect(await stack.itemCount()).to.equal(before + 1);
    expect((await stack.job(first.jobId)).payload).to.deep.equal({ text: "version 1" });
    expect(records.find((record) => record.event === "schedule.fire_conflict")).to.include({ schedule: name, jobId: first.jobId });
  });

  it("throws ScheduleFireError for a fire whose payload the type refuses, or of an unknown type, and makes nothing", async () => {
    const before = await stack.itemCount();
    let error: unknown;
    try {
      await entry()(fireOf({ payload: { text: 42 } }));
    } catch (caught) {
      error = caught;
    }
    expect(error).to.be.instanceOf(ScheduleFireError);
    expect((error as Error).message).to.include(`schedule ${name}`).and.include("payload.text");
    await expectRejects(entry()(fireOf({ type: "no.such.type", payload: {} })), /type: unknown job type/);
    expect(await stack.itemCount()).to.equal(before);
    expect(await drainMessages()).to.deep.equal([]);
    expect(records.filter((record) => record.event === "schedule.fire_refused")).to.have.length(2);
  });

  it("throws ScheduleFireError for a marked event that is not a fire, and makes nothing", async () => {
    const before = await stack.itemCount();
    await expectRejects(entry()({ cloudqueue: "schedule-fire" } as ScheduleFire), /not a schedule fire: .*schedule: /);
    await expectRejects(entry()(fireOf({ scheduledTime: "tomorrow" })), /not a schedule fire: scheduledTime: /);
    await expectRejects(entry()(fireOf({ schedule: "bad name" })), /not a schedule fire: schedule: /);
    expect(await stack.itemCount()).to.equal(before);
    expect(records.filter((record) => record.event === "schedule.fire_invalid")).to.have.length(3);
  });

  it("still answers API Gateway's requests on the same entry", async () => {
    const response = (await entry()(apiEvent({ method: "GET", path: "/job-types" }))) as HttpResponse;
    expect(response.statusCode).to.equal(200);
    expect(JSON.parse(response.body!).map((type: { type: string }) => type.type)).to.include("text.transform");
  });

  it("gives a fire's job, on a closed stack, to the owner schedule:<name>: an admin sees it, another caller does not", async () => {
    const closed = entry("jwt");
    const result = await closed(fireOf());
    expect(result.outcome).to.equal("created");
    expect(await stack.job(result.jobId)).to.include({ owner: `schedule:${name}`, schedule: name });

    const as = async (authorizer: Record<string, unknown>, request: ApiRequest) => {
      const response = (await closed(apiEvent({ ...request, authorizer }))) as HttpResponse;
      return { statusCode: response.statusCode, json: response.body ? JSON.parse(response.body) : undefined };
    };
    const admin = jwtCaller("ops", ["cloudqueue/admin"]);
    expect((await as(admin, { method: "GET", path: `/jobs/${result.jobId}` })).json).to.include({ schedule: name, owner: `schedule:${name}` });
    expect((await as(jwtCaller(`alice-${run}`), { method: "GET", path: `/jobs/${result.jobId}` })).statusCode).to.equal(404);
    const listed = await as(admin, { method: "GET", path: `/jobs?owner=${encodeURIComponent(`schedule:${name}`)}&schedule=${name}` });
    expect(listed.statusCode).to.equal(200);
    expect(listed.json.jobs.map((job: { jobId: string }) => job.jobId)).to.deep.equal([result.jobId]);
    // The same fire on the open stack is another owner's key: another job.
    const open = await entry("none")(fireOf());
    expect(open.outcome).to.equal("created");
    expect(open.jobId).to.not.equal(result.jobId);
  });

  it("lists with GET /jobs?schedule=<name> only that schedule's jobs, newest first", async () => {
    const ordinary = await stack.submit({ type: "text.transform", payload: { text: "submitted" } });
    const mine: string[] = [];
    for (const day of ["03", "04", "05"]) {
      mine.push((await entry()(fireOf({ scheduledTime: `2026-12-${day}T07:00:00Z` }))).jobId);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const other = (await entry()(fireOf({ schedule: `${name}-other` }))).jobId;
    await stack.submit({ type: "text.transform", payload: { text: "submitted later" } });

    expect(await listAll(`?schedule=${name}`)).to.deep.equal([...mine].reverse());
    expect(await listAll(`?schedule=${name}-other`)).to.deep.equal([other]);
    expect(await listAll(`?schedule=${name}&limit=1`)).to.deep.equal([...mine].reverse());
    expect(await listAll(`?schedule=${name}&type=hash.digest`)).to.deep.equal([]);
    expect(await listAll(`?schedule=no-such-${name}`)).to.deep.equal([]);
    const unfiltered = await listAll("?limit=100");
    expect(unfiltered).to.include.members([ordinary, ...mine, other]);
    // A submitted job carries no schedule.
    const view = await stack.request({ method: "GET", path: `/jobs/${ordinary}` });
    expect(view.json).to.not.have.property("schedule");
  });

  it("refuses a schedule filter that is not a schedule name (400)", async () => {
    const response = await stack.request({ method: "GET", path: `/jobs?schedule=${encodeURIComponent("not a name!")}` });
    expect(response.statusCode).to.equal(400);
    expect(response.body).to.include("schedule");
  });
});

async function expectRejects(promise: Promise<unknown>, message: RegExp): Promise<void> {
  let error: unknown;
  try {
    await promise;
  } catch (caught) {
    error = caught;
  }
  expect(error, "did not throw").to.be.instanceOf(ScheduleFireError);
  expect((error as Error).message).to.match(message);
}
