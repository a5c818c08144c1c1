import { expect } from "chai";
import fc from "fast-check";
import type { HttpResponse } from "../../handlers/api/http";
import { apiEvent, type ApiRequest } from "../helpers/events";
import { TestStack } from "../helpers/stack";

/**
 * Property-based tests of the api handler with hostile input, against the emulators: whatever
 * arrives, the answer is never a 5xx, never carries internal detail, and a 4xx stores nothing.
 */
describe("hostile input to the api handler (fast-check)", function () {
  this.timeout(120_000);
  let stack: TestStack;
  let created = 0;
  before(async () => (stack = await TestStack.start()));
  after(async () => {
    // Every stored item is one that a 202 announced: nothing was stored for a 4xx.
    expect(await stack.itemCount()).to.equal(created);
    await stack.close();
  });

  async function send(request: ApiRequest): Promise<HttpResponse> {
    const event = apiEvent(request);
    const response = await stack.api(event);
    stack.assertConforms(event, response);
    assertWellFormed(response);
    if (response.statusCode === 202) created++;
    return response;
  }

  const json = fc.jsonValue({ maxDepth: 6 });
  const validJob = fc.oneof(
    fc.record({ type: fc.constant("text.transform"), payload: fc.record({ text: fc.string({ minLength: 1, maxLength: 50, unit: "grapheme" }) }) }),
    fc.record({ type: fc.constant("hash.digest"), payload: fc.record({ text: fc.string({ maxLength: 50 }), algorithm: fc.constantFrom("sha256", "sha512") }) }),
    fc.record({ type: fc.constant("demo.unreliable"), payload: fc.record({ sleepMs: fc.nat(100), failAttempts: fc.nat(3), permanent: fc.boolean() }) }),
  );

  it("answers any JSON value as a body with a 202 or a 400, never a 5xx", async () => {
    await fc.assert(
      fc.asyncProperty(json, async (body) => {
        const response = await send({ method: "POST", path: "/jobs", body });
        expect([202, 400]).to.include(response.statusCode);
      }),
      { numRuns: 300 },
    );
  });

  it("answers mutated valid jobs (a field replaced, added or removed) without a 5xx", async () => {
    const mutation = fc.tuple(validJob, fc.constantFrom("replace", "add", "remove", "payloadField"), fc.string({ maxLength: 10 }), json);
    await fc.assert(
      fc.asyncProperty(mutation, async ([job, how, key, value]) => {
        const body: Record<string, any> = structuredClone(job);
        if (how === "replace") body[Object.keys(body)[key.length % 2]!] = value;
        if (how === "add") body[key] = value;
        if (how === "remove") delete body[Object.keys(body)[key.length % 2]!];
        if (how === "payloadField") body.payload = { ...body.payload, [key || "text"]: value };
        const response = await send({ method: "POST", path: "/jobs", body });
        expect([202, 400]).to.include(response.statusCode);
      }),
      { numRuns: 300 },
    );
  });

  it("answers arbitrary bytes and content types with a 4xx or a 202, never a 5xx", async () => {
    const contentType = fc.oneof(fc.constantFrom("application/json", "application/json; charset=utf-8", "text/plain", "", "application/x-www-form-urlencoded", "application/vnd.api+json"), fc.string({ maxLength: 40 }));
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 512 }), contentType, async (bytes, type) => {
        const response = await send({ method: "POST", path: "/jobs", rawBody: Buffer.from(bytes), headers: { "content-type": type } });
        expect([202, 400, 415]).to.include(response.statusCode);
      }),
      { numRuns: 200 },
    );
  });

  it("answers Unicode edge cases in strings (lone surrogates, BOM, zero-width, RTL, astral) without a 5xx", async () => {
    const edgy = fc.constantFrom("\ud800", "a\udfffb", "\ufeffhello", "\u200b", "\u202eabc", "😀".repeat(5000), "\u0000", "e\u0301", "\uffff");
    await fc.assert(
      fc.asyncProperty(edgy, fc.constantFrom("text.transform", "hash.digest"), async (text, type) => {
        const payload = type === "hash.digest" ? { text, algorithm: "sha256" } : { text };
        const response = await send({ method: "POST", path: "/jobs", body: { type, payload } });
        expect([202, 400]).to.include(response.statusCode);
        if (/[\ud800-\udfff]/.test(text.replace(/[\ud800-\udbff][\udc00-\udfff]/g, ""))) expect(response.statusCode).to.equal(400);
      }),
      { numRuns: 60 },
    );
  });

  it("answers deep nesting and oversized bodies with a 4xx", async () => {
    const deepArray = "[".repeat(20_000) + "]".repeat(20_000);
    const deepObject = '{"type":"text.transform","payload":' + '{"a":'.repeat(5_000) + "1" + "}".repeat(5_000) + "}";
    for (const rawBody of [deepArray, deepObject, JSON.stringify({ type: "text.transform", payload: { text: "x".repeat(200_000) } }), "{" + '"k":1,'.repeat(20_000)]) {
      const response = await send({ method: "POST", path: "/jobs", rawBody });
      expect([400, 413], rawBody.slice(0, 30)).to.include(response.statusCode);
    }
  });

  it("answers any Idempotency-Key with a 2xx or a 400, never a 5xx; bad keys with 400", async () => {
    const key = fc.oneof(fc.string({ maxLength: 300 }), fc.string({ minLength: 256, maxLength: 5_000 }), fc.string({ unit: "binary", maxLength: 20 }));
    await fc.assert(
      fc.asyncProperty(key, async (idempotencyKey) => {
        const response = await send({ method: "POST", path: "/jobs", body: { type: "text.transform", payload: { text: "k" } }, headers: { "idempotency-key": idempotencyKey } });
        const valid = /^[\x20-\x7e]{1,255}$/.test(idempotencyKey);
        expect(response.statusCode).to.be.oneOf(valid ? [200, 202] : [400]);
      }),
      { numRuns: 200 },
    );
  });

  it("answers any job id in a path with 400 or 404 (405 with Allow where it makes another route's path), never a 5xx", async () => {
    const id = fc.oneof(fc.string({ maxLength: 60 }), fc.uuid(), fc.string({ unit: "binary", maxLength: 40 }).map(encodeURIComponent));
    await fc.assert(
      fc.asyncProperty(id, fc.constantFrom("GET", "DELETE", "POST"), async (jobId, method) => {
        const path = method === "POST" ? `/jobs/${jobId}/retry` : `/jobs/${jobId}`;
        const response = await send({ method, path });
        expect(response.statusCode).to.be.oneOf([400, 404, 405]);
        if (response.statusCode === 405) expect(response.headers.allow).to.be.a("string").and.not.equal("");
      }),
      { numRuns: 200 },
    );
  });
});

/** A response fit for a client: JSON, and when an error, a bare problem with no internal detail. */
function assertWellFormed(response: HttpResponse): void {
  expect(response.statusCode, response.body).to.be.below(500);
  const body = JSON.parse(response.body);
  expect(response.body).to.not.match(/\n\s+at |node_modules|Exception|StoreUnavailable|ECONN/);
  if (response.statusCode >= 400) {
    expect(response.headers["content-type"]).to.equal("application/problem+json");
    expect(Object.keys(body).sort().join(",")).to.be.oneOf(["detail,status,title,type", "detail,errors,status,title,type"]);
    expect(body.status).to.equal(response.statusCode);
  }
}
