import { expect } from "chai";
import { QueueUnavailableError } from "../../handlers/errors";
import { apiEvent } from "../helpers/events";
import { TestStack } from "../helpers/stack";

const VALID = { type: "text.transform", payload: { text: "hello cloudqueue" } };
const MISSING_ID = "0b4f8c8e-6a8e-4e8e-9a8e-0b4f8c8e6a8e";

describe("api handler against DynamoDB and SQS emulators", function () {
  let stack: TestStack;
  before(async () => (stack = await TestStack.start()));
  after(async () => stack.close());
  beforeEach(async () => stack.purge());

  describe("POST /jobs", () => {
    it("answers 202 with the job id and Location, stores the job QUEUED and enqueues it", async () => {
      const response = await stack.request({ method: "POST", path: "/jobs", body: VALID });

      expect(response.statusCode).to.equal(202);
      expect(response.json).to.have.keys("jobId", "type", "status", "createdAt");
      expect(response.json).to.include({ type: "text.transform", status: "QUEUED" });
      expect(response.headers.location).to.equal(`/jobs/${response.json.jobId}`);
      expect(await stack.job(response.json.jobId)).to.include({ status: "QUEUED", attempts: 0, maxAttempts: 3 });
      const messages = await stack.events.receive(10, 0);
      expect(messages.map((message) => JSON.parse(message.Body!))).to.deep.equal([{ jobId: response.json.jobId }]);
      await stack.events.settle(messages, { batchItemFailures: [] });
    });

    it("replays the same key and body: 200, the stored job, Idempotent-Replayed, no second job or message", async () => {
      const headers = { "Idempotency-Key": `replay-${Date.now()}` };
      const depth = await stack.queueDepth();
      const first = await stack.request({ method: "POST", path: "/jobs", body: VALID, headers });
      const items = await stack.itemCount();
      const second = await stack.request({ method: "POST", path: "/jobs", body: { payload: { text: "hello cloudqueue" }, type: "text.transform" }, headers });

      expect(first.statusCode).to.equal(202);
      expect(second.statusCode).to.equal(200);
      expect(second.headers["idempotent-replayed"]).to.equal("true");
      expect(second.json).to.include({ jobId: first.json.jobId, status: "QUEUED" });
      expect(await stack.itemCount()).to.equal(items);
      expect(await stack.queueDepth()).to.equal(depth + 1);
    });

    it("answers 422 to the same key with a different body and changes nothing", async () => {
      const headers = { "Idempotency-Key": `conflict-${Date.now()}` };
      const first = await stack.request({ method: "POST", path: "/jobs", body: VALID, headers });
      const conflict = await stack.request({ method: "POST", path: "/jobs", body: { ...VALID, payload: { text: "other" } }, headers });

      expect(conflict.statusCode).to.equal(422);
      expect(conflict.headers["content-type"]).to.equal("application/problem+json");
      expect((await stack.job(first.json.jobId)).payload).to.deep.equal(VALID.payload);
    });

    const rejections: [string, Parameters<TestStack["request"]>[0], number, string[]?][] = [
      ["malformed JSON", { method: "POST", path: "/jobs", rawBody: '{"type": ' }, 400, [""]],
      ["an unknown type", { method: "POST", path: "/jobs", body: { type: "nope", payload: {} } }, 400, ["type"]],
      ["a payload failing the type's schema", { method: "POST", path: "/jobs", body: { type: "hash.digest", payload: { text: 1, algorithm: "md5" } } }, 400, ["payload.text", "payload.algorithm"]],
      ["a delay over a year", { method: "POST", path: "/jobs", body: { ...VALID, delaySeconds: 31_536_001 } }, 400, ["delaySeconds"]],
      ["a bad Idempotency-Key", { method: "POST", path: "/jobs", body: VALID, headers: { "Idempotency-Key": "x".repeat(256) } }, 400, ["header:Idempotency-Key"]],
      ["a body that is not JSON", { method: "POST", path: "/jobs", rawBody: "text=hi", headers: { "content-type": "application/x-www-form-urlencoded" } }, 415],
      ["a body over 64 KiB", { method: "POST", path: "/jobs", body: { type: "text.transform", payload: { text: "a".repeat(70_000) } } }, 413],
    ];
    for (const [what, request, status, paths] of rejections) {
      it(`answers ${status} to ${what}, as problem+json, and stores and enqueues nothing`, async () => {
        const items = await stack.itemCount();
        const depth = await stack.queueDepth();
        const response = await stack.request(request);

        expect(response.statusCode).to.equal(status);
        expect(response.headers["content-type"]).to.equal("application/problem+json");
        expect(response.json).to.include({ status });
        expect(response.json).to.have.keys(paths ? ["type", "title", "status", "detail", "errors"] : ["type", "title", "status", "detail"]);
        if (paths) expect(response.json.errors.map((error: { path: string }) => error.path)).to.deep.equal(paths);
        expect(await stack.itemCount()).to.equal(items);
        expect(await stack.queueDepth()).to.equal(depth);
      });
    }

    it("still answers 202 when SendMessage fails: the job is stored and left to the sweeper", async () => {
      const failing = await TestStack.start({
        apiQueue: (queue) => ({ ...queue, enqueue: async () => { throw new QueueUnavailableError("SendMessage", { cause: new Error("down") }); }, delayRedelivery: queue.delayRedelivery.bind(queue) }),
      });
      try {
        const response = await failing.request({ method: "POST", path: "/jobs", body: VALID });
        expect(response.statusCode).to.equal(202);
        expect(await failing.job(response.json.jobId)).to.include({ status: "QUEUED" });
        expect(await failing.queueDepth()).to.equal(0);
      } finally {
        await failing.close();
      }
    });
  });

  describe("GET /jobs/{jobId}", () => {
    it("answers 200 with the job's public fields only", async () => {
      const jobId = await stack.submit(VALID);
      const response = await stack.request({ method: "GET", path: `/jobs/${jobId}` });

      expect(response.statusCode).to.equal(200);
      expect(response.json).to.include({ jobId, type: "text.transform", status: "QUEUED", attempts: 0, maxAttempts: 3 });
      expect(response.json).to.not.have.any.keys("claimToken", "sweepAt", "sweepShard", "requestHash", "expiresAt");
    });

    it("answers 404 for an unknown id and 400 for a malformed one", async () => {
      expect((await stack.request({ method: "GET", path: `/jobs/${MISSING_ID}` })).statusCode).to.equal(404);
      const malformed = await stack.request({ method: "GET", path: "/jobs/not-a-uuid" });
      expect(malformed.statusCode).to.equal(400);
      expect(malformed.json.errors).to.deep.equal([{ path: "jobId", message: "must be a lower-case UUID" }]);
    });
  });

  describe("DELETE /jobs/{jobId}", () => {
    it("cancels a queued job, and answers the same again", async () => {
      const jobId = await stack.submit(VALID);
      const first = await stack.request({ method: "DELETE", path: `/jobs/${jobId}` });
      const again = await stack.request({ method: "DELETE", path: `/jobs/${jobId}` });

      expect(first.statusCode).to.equal(200);
      expect(first.json).to.include({ status: "CANCELED" });
      expect(first.json.finishedAt).to.be.a("string");
      expect(again.statusCode).to.equal(200);
      expect(again.json).to.include({ status: "CANCELED" });
    });

    it("answers 409 naming the status of a running or finished job, and leaves it as it was", async () => {
      const jobId = await stack.submit(VALID);
      await stack.store.claim(jobId, { claimToken: "t", nowMs: Date.now(), leaseExpiresAtMs: Date.now() + 60_000 });
      const running = await stack.request({ method: "DELETE", path: `/jobs/${jobId}` });
      expect(running.statusCode).to.equal(409);
      expect(running.json.detail).to.contain("IN_PROGRESS");

      await stack.store.commit(jobId, "t", { status: "SUCCEEDED", result: {} }, Date.now());
      const finished = await stack.request({ method: "DELETE", path: `/jobs/${jobId}` });
      expect(finished.statusCode).to.equal(409);
      expect(finished.json.detail).to.contain("SUCCEEDED");
      expect(await stack.job(jobId)).to.include({ status: "SUCCEEDED" });
    });

    it("answers 404 for an unknown job", async () => {
      expect((await stack.request({ method: "DELETE", path: `/jobs/${MISSING_ID}` })).statusCode).to.equal(404);
    });
  });

  describe("POST /jobs/{jobId}/retry", () => {
    it("re-queues a canceled job with attempts reset and enqueues it: 202", async () => {
      const jobId = await stack.submit(VALID);
      await stack.request({ method: "DELETE", path: `/jobs/${jobId}` });
      const depth = await stack.queueDepth();
      const response = await stack.request({ method: "POST", path: `/jobs/${jobId}/retry` });

      expect(response.statusCode).to.equal(202);
      expect(response.json).to.include({ status: "QUEUED", attempts: 0 });
      expect(response.json).to.not.have.any.keys("finishedAt", "error", "result");
      expect(await stack.queueDepth()).to.equal(depth + 1);
    });

    it("answers 409 for a job that is not FAILED or CANCELED, and 404 for an unknown one", async () => {
      const jobId = await stack.submit(VALID);
      const response = await stack.request({ method: "POST", path: `/jobs/${jobId}/retry` });
      expect(response.statusCode).to.equal(409);
      expect(response.json.detail).to.contain("QUEUED");
      expect((await stack.request({ method: "POST", path: `/jobs/${MISSING_ID}/retry` })).statusCode).to.equal(404);
    });
  });

  it("GET /job-types lists every type with its JSON Schema, example, timeout and attempts", async () => {
    const response = await stack.request({ method: "GET", path: "/job-types" });

    expect(response.statusCode).to.equal(200);
    expect(response.json.map((entry: { type: string }) => entry.type)).to.include.members(["text.transform", "hash.digest", "demo.unreliable"]);
    const text = response.json.find((entry: { type: string }) => entry.type === "text.transform");
    expect(text).to.have.keys("type", "description", "payloadSchema", "example", "timeoutSeconds", "maxAttempts");
    expect(text.payloadSchema.required).to.deep.equal(["text"]);
  });

  it("answers 404 problem+json for a path it does not have, as the $default route delivers it", async () => {
    for (const path of ["/nope", "/jobs/x/y/z", "/", "/jobs/"]) {
      const response = await stack.request({ method: "GET", path });
      expect(response.statusCode, path).to.equal(404);
      expect(response.headers["content-type"], path).to.equal("application/problem+json");
      expect(response.json, path).to.include({ status: 404, type: "urn:cloudqueue:problem:not-found" });
    }
  });

  it("answers 405 with Allow for a known path asked with a method it does not take", async () => {
    const collection = await stack.request({ method: "PUT", path: "/jobs", body: VALID });
    expect(collection.statusCode).to.equal(405);
    expect(collection.headers.allow).to.equal("POST, GET, HEAD");
    expect(collection.headers["content-type"]).to.equal("application/problem+json");
    expect(collection.json).to.include({ status: 405, type: "urn:cloudqueue:problem:method-not-allowed" });
    const job = await stack.request({ method: "PATCH", path: `/jobs/${MISSING_ID}` });
    expect(job.statusCode).to.equal(405);
    expect(job.headers.allow).to.equal("GET, HEAD, DELETE");
    expect(job.headers["cache-control"], "no CDN may keep an API answer").to.equal("no-store");
    const head = await stack.request({ method: "HEAD", path: `/jobs/${MISSING_ID}` });
    expect(head.statusCode, "HEAD is GET without a body").to.equal(404);
    const bulk = await stack.request({ method: "GET", path: "/jobs/bulk/retry" });
    expect(bulk.statusCode).to.equal(405);
    expect(bulk.headers.allow).to.equal("POST");
    expect((await stack.request({ method: "GET", path: "/job-types/x" })).statusCode).to.equal(404);
  });

  it("dispatches a route reached through $default by its method and path, with the path parameters API Gateway would not pass", async () => {
    const submitted = await stack.request({ method: "POST", path: "/jobs", body: VALID });
    const event = apiEvent({ method: "GET", path: `/jobs/${submitted.json.jobId}` });
    const viaDefault = await stack.api({ ...event, routeKey: "$default", pathParameters: undefined });
    stack.assertConforms(event, viaDefault);
    expect(viaDefault.statusCode).to.equal(200);
    expect(JSON.parse(viaDefault.body).jobId).to.equal(submitted.json.jobId);
  });

  it("answers 503 with Retry-After, without echoing the internal error, when DynamoDB is unreachable", async () => {
    const broken = await TestStack.start();
    await broken.emulators.close();
    const response = await broken.request({ method: "GET", path: `/jobs/${MISSING_ID}` });

    expect(response.statusCode).to.equal(503);
    expect(response.headers["retry-after"]).to.equal("1");
    expect(response.body).to.not.match(/ECONNREFUSED|StoreUnavailable|GetItem|127\.0\.0\.1|\n\s+at /);
    expect(response.json).to.include({ status: 503, title: "Service Unavailable" });
  });

  it("answers 500, without echoing it, an error that is not the store's", async () => {
    const failing = await TestStack.start({
      apiQueue: (queue) => ({ enqueue: async () => { throw new TypeError("secret internal detail"); }, enqueueBatch: async () => { throw new TypeError("secret internal detail"); }, delayRedelivery: queue.delayRedelivery.bind(queue) }),
    });
    try {
      const response = await failing.request({ method: "POST", path: "/jobs", body: VALID });
      expect(response.statusCode).to.equal(500);
      expect(response.body).to.not.include("secret internal detail");
      expect(response.json).to.include({ status: 500, title: "Internal Server Error" });
    } finally {
      await failing.close();
    }
  });
});
