import { expect } from "chai";
import { PUBLIC_OWNER } from "../../handlers/auth/authMode";
import type { ApiRequest } from "../helpers/events";
import { iamCaller, jwtCaller, TEST_ISSUER } from "../helpers/events";
import { TestStack } from "../helpers/stack";

const JOB = { type: "text.transform", payload: { text: "tenancy" } };
const alice = jwtCaller("alice");
const bob = jwtCaller("bob");
const admin = jwtCaller("ops", ["cloudqueue/admin"]);

/**
 * Tenancy (SPEC §11) through the api handler against the emulators, with the identities API
 * Gateway's authorizers pass: a caller sees and acts on its own jobs only, another owner's job
 * answers exactly as a missing one, an admin sees all, and keys are per owner.
 */
describe("tenancy: each caller sees only its own jobs", function () {
  let stack: TestStack;
  before(async () => (stack = await TestStack.start({ auth: { mode: "jwt", adminPrincipals: [] } })));
  after(async () => stack.close());
  beforeEach(async () => stack.purge());

  const as = (authorizer: Record<string, unknown>, request: ApiRequest) => stack.request({ ...request, authorizer });
  const submitAs = async (authorizer: Record<string, unknown>, headers?: Record<string, string>) => {
    const response = await as(authorizer, { method: "POST", path: "/jobs", body: JOB, headers });
    expect(response.statusCode, JSON.stringify(response.json)).to.be.oneOf([200, 202]);
    return response.json.jobId as string;
  };

  it("stores the owner with the job and shows it to its owner", async () => {
    const jobId = await submitAs(alice);
    expect((await stack.job(jobId)).owner).to.equal(`jwt:${TEST_ISSUER}#alice`);
    const read = await as(alice, { method: "GET", path: `/jobs/${jobId}` });
    expect(read.statusCode).to.equal(200);
    expect(read.json.owner).to.equal(`jwt:${TEST_ISSUER}#alice`);
  });

  it("answers bob's read, cancel and retry of alice's job 404, byte for byte as for a missing job, and changes nothing", async () => {
    const queued = await submitAs(alice);
    const missing = "0b4f8c8e-6a8e-4e8e-9a8e-0b4f8c8e6a8e";
    const before = await stack.job(queued);
    for (const [method, suffix] of [["GET", ""], ["DELETE", ""], ["POST", "/retry"]] as const) {
      const foreign = await as(bob, { method, path: `/jobs/${queued}${suffix}` });
      const absent = await as(bob, { method, path: `/jobs/${missing}${suffix}` });
      expect(foreign.statusCode, `${method} ${suffix}`).to.equal(404);
      expect(foreign.body, `${method} ${suffix}: the same answer as a missing job`).to.equal(absent.body);
      expect(foreign.headers).to.deep.equal(absent.headers);
    }
    expect(await stack.job(queued)).to.deep.equal(before);
  });

  it("lets alice cancel and retry her own job, and bob his", async () => {
    for (const owner of [alice, bob]) {
      const jobId = await submitAs(owner);
      expect((await as(owner, { method: "DELETE", path: `/jobs/${jobId}` })).json.status).to.equal("CANCELED");
      const retried = await as(owner, { method: "POST", path: `/jobs/${jobId}/retry` });
      expect(retried.statusCode).to.equal(202);
      expect(retried.json.status).to.equal("QUEUED");
    }
  });

  it("refuses bob's retry of alice's failed job inside the write's own condition (404), and keeps it FAILED", async () => {
    const jobId = await submitAs(alice);
    expect((await as(alice, { method: "DELETE", path: `/jobs/${jobId}` })).statusCode).to.equal(200);
    const refused = await as(bob, { method: "POST", path: `/jobs/${jobId}/retry` });
    expect(refused.statusCode).to.equal(404);
    expect((await stack.job(jobId)).status).to.equal("CANCELED");
    // The store itself refuses: bob's owner in the condition fails on alice's item.
    const store = stack.store;
    const error = await store.retry(jobId, Date.now(), { owner: `jwt:${TEST_ISSUER}#bob` }).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).to.have.property("name", "ConditionFailedError");
  });

  it("lets an admin read, cancel and retry anyone's job", async () => {
    const jobId = await submitAs(alice);
    expect((await as(admin, { method: "GET", path: `/jobs/${jobId}` })).statusCode).to.equal(200);
    expect((await as(admin, { method: "DELETE", path: `/jobs/${jobId}` })).json.status).to.equal("CANCELED");
    expect((await as(admin, { method: "POST", path: `/jobs/${jobId}/retry` })).statusCode).to.equal(202);
    // An admin's own submissions are its own, not everyone's.
    const own = await submitAs(admin);
    expect((await as(alice, { method: "GET", path: `/jobs/${own}` })).statusCode).to.equal(404);
  });

  it("makes two jobs of the same Idempotency-Key from alice and bob; replay and conflict stay per owner", async () => {
    const key = { "Idempotency-Key": "order-1234" };
    const items = await stack.itemCount();
    const aliceJob = await submitAs(alice, key);
    const bobJob = await submitAs(bob, key);
    expect(bobJob).to.not.equal(aliceJob);
    expect(await stack.itemCount()).to.equal(items + 2);

    const replay = await as(alice, { method: "POST", path: "/jobs", body: JOB, headers: key });
    expect(replay.statusCode).to.equal(200);
    expect(replay.headers["idempotent-replayed"]).to.equal("true");
    expect(replay.json.jobId).to.equal(aliceJob);

    const conflict = await as(bob, { method: "POST", path: "/jobs", body: { ...JOB, payload: { text: "other" } }, headers: key });
    expect(conflict.statusCode).to.equal(422);
    expect((await as(alice, { method: "GET", path: `/jobs/${aliceJob}` })).json.payload).to.deep.equal(JOB.payload);
    expect(await stack.itemCount()).to.equal(items + 2);
  });

  it("checks the route's scope itself, so HEAD through $default (which API Gateway checks for no scope) needs cloudqueue/read", async () => {
    const jobId = await submitAs(alice);
    const submitOnly = jwtCaller("alice", ["cloudqueue/submit"]);
    const head = await as(submitOnly, { method: "HEAD", path: `/jobs/${jobId}` });
    expect(head.statusCode).to.equal(403);
    expect(head.json.type).to.equal("urn:cloudqueue:problem:forbidden");
    expect((await as(submitOnly, { method: "GET", path: `/jobs/${jobId}` })).statusCode).to.equal(403);
    expect((await as(jwtCaller("alice", ["cloudqueue/read"]), { method: "HEAD", path: `/jobs/${jobId}` })).statusCode).to.equal(200);
    const readOnly = jwtCaller("alice", ["cloudqueue/read"]);
    expect((await as(readOnly, { method: "DELETE", path: `/jobs/${jobId}` })).statusCode, "a reader cannot cancel").to.equal(403);
    expect((await stack.job(jobId)).status).to.equal("QUEUED");
  });

  it("refuses a job route whose request carries no verified identity (a route left without its authorizer): 401, nothing stored", async () => {
    const items = await stack.itemCount();
    const response = await stack.request({ method: "POST", path: "/jobs", body: JOB });
    expect(response.statusCode).to.equal(401);
    expect(response.json.type).to.equal("urn:cloudqueue:problem:unauthenticated");
    expect(await stack.itemCount()).to.equal(items);
    expect((await stack.request({ method: "GET", path: "/job-types" })).statusCode, "the job types stay public").to.equal(200);
  });
});

describe("tenancy on an iam stack: the principal owns its jobs; listed principals are admins", function () {
  let stack: TestStack;
  before(async () => (stack = await TestStack.start({ auth: { mode: "iam", adminPrincipals: ["arn:aws:iam::123456789012:role/Operators"] } })));
  after(async () => stack.close());

  it("separates two roles, joins the sessions of one, and lets the admin role see both", async () => {
    const importer = (session: string) => iamCaller(`arn:aws:sts::123456789012:assumed-role/Importer/${session}`);
    const submitted = await stack.request({ method: "POST", path: "/jobs", body: JOB, authorizer: importer("container-1") });
    expect(submitted.statusCode).to.equal(202);
    const { jobId } = submitted.json;
    expect((await stack.request({ method: "GET", path: `/jobs/${jobId}`, authorizer: importer("container-2") })).statusCode).to.equal(200);
    expect((await stack.request({ method: "GET", path: `/jobs/${jobId}`, authorizer: iamCaller("arn:aws:iam::123456789012:user/mallory") })).statusCode).to.equal(404);
    expect((await stack.request({ method: "GET", path: `/jobs/${jobId}`, authorizer: iamCaller("arn:aws:sts::123456789012:assumed-role/Operators/jane") })).statusCode).to.equal(200);
  });
});

describe("tenancy on a none stack: the public demo", function () {
  let stack: TestStack;
  before(async () => (stack = await TestStack.start()));
  after(async () => stack.close());

  it("stores every job as the public owner's, and still serves jobs stored before owners were recorded", async () => {
    const jobId = await stack.submit(JOB);
    expect((await stack.job(jobId)).owner).to.equal(PUBLIC_OWNER);
    const legacy = await stack.submit(JOB);
    const { UpdateItemCommand } = await import("@aws-sdk/client-dynamodb");
    await stack.emulators.dynamo.send(new UpdateItemCommand({ TableName: stack.emulators.tableName, Key: { jobId: { S: legacy } }, UpdateExpression: "REMOVE #owner", ExpressionAttributeNames: { "#owner": "owner" } }));
    expect((await stack.job(legacy)).owner).to.equal(undefined);
    expect((await stack.request({ method: "GET", path: `/jobs/${legacy}` })).statusCode).to.equal(200);
    expect((await stack.request({ method: "DELETE", path: `/jobs/${legacy}` })).json.status).to.equal("CANCELED");
    expect((await stack.request({ method: "POST", path: `/jobs/${legacy}/retry` })).statusCode).to.equal(202);
  });
});
