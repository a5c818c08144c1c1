import { expect } from "chai";
import fc from "fast-check";
import { TestStack } from "../helpers/stack";

/**
 * Hostile bodies of `POST /jobs/batch`: whatever arrives, the answer is a 200 with one result per
 * item or a 4xx problem, never a 5xx, conforming to the OpenAPI document; an item answered 400
 * stores nothing, and nothing is stored at all for a refused envelope.
 */
describe("hostile input to POST /jobs/batch (fast-check)", function () {
  this.timeout(120_000);
  let stack: TestStack;
  let accepted = 0;
  before(async () => (stack = await TestStack.start()));
  after(async () => {
    // Every stored item is one a 202 result announced.
    expect(await stack.itemCount()).to.equal(accepted);
    await stack.close();
  });

  async function send(request: { body?: unknown; rawBody?: string }) {
    // stack.request throws unless the answer conforms to the OpenAPI document.
    const response = await stack.request({ method: "POST", path: "/jobs/batch", ...request });
    expect(response.statusCode, response.body).to.be.below(500);
    expect(response.body).to.not.match(/\n\s+at |node_modules|Exception|StoreUnavailable|ECONN/);
    if (response.statusCode === 200) {
      for (const result of response.json.results) if (result.status === 202) accepted++;
    }
    return response;
  }

  const item = fc.oneof(
    fc.jsonValue({ maxDepth: 4 }),
    fc.record({ type: fc.constant("text.transform"), payload: fc.record({ text: fc.string({ minLength: 1, maxLength: 20 }) }) }),
    fc.record({ type: fc.constant("text.transform"), payload: fc.jsonValue({ maxDepth: 3 }), idempotencyKey: fc.jsonValue({ maxDepth: 1 }) }, { requiredKeys: ["type"] }),
  );

  it("answers any JSON value as a body with a 200 or a 400, and a 200 has one result per item, in order", async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.jsonValue({ maxDepth: 4 }), fc.record({ jobs: fc.array(item, { maxLength: 12 }) })), async (body) => {
        const response = await send({ body });
        expect([200, 400]).to.include(response.statusCode);
        if (response.statusCode === 200) {
          const jobs = (body as { jobs: unknown[] }).jobs;
          expect(response.json.results.map((result: { index: number }) => result.index)).to.deep.equal(jobs.map((_, index) => index));
        }
      }),
      { numRuns: 150 },
    );
  });

  it("refuses huge arrays (over 100 items) with a 400, or a 413 past the body limit, storing nothing", async () => {
    const before = await stack.itemCount();
    for (const jobs of [Array.from({ length: 101 }, () => ({ type: "text.transform", payload: { text: "x" } })), Array.from({ length: 10_000 }, () => 1), Array.from({ length: 100_000 }, () => null)]) {
      const response = await send({ body: { jobs } });
      expect([400, 413]).to.include(response.statusCode);
    }
    expect(await stack.itemCount()).to.equal(before);
  });

  it("answers non-object items each with its own 400, paths relative to the item", async () => {
    const jobs = [null, 1, "s", true, [], [{ type: "text.transform" }], { type: "text.transform", payload: { text: "fine" } }];
    const response = await send({ body: { jobs } });
    expect(response.statusCode).to.equal(200);
    expect(response.json.results.map((result: { status: number }) => result.status)).to.deep.equal([400, 400, 400, 400, 400, 400, 202]);
  });

  it("treats __proto__, constructor and prototype keys as data: refused as unknown keys, no prototype polluted", async () => {
    const rawBody =
      '{"jobs":[' +
      [
        '{"type":"text.transform","payload":{"text":"p"},"__proto__":{"polluted":true}}',
        '{"__proto__":{"type":"text.transform","payload":{"text":"p"}}}',
        '{"type":"text.transform","payload":{"text":"p"},"constructor":{"prototype":{"polluted":true}}}',
        '{"type":"text.transform","payload":{"text":"p","__proto__":{"polluted":true}}}',
        '{"type":"text.transform","payload":{"text":"p"},"idempotencyKey":"k","__proto__":{"idempotencyKey":"other"}}',
      ].join(",") +
      '],"__proto__":{"jobs":[]}}';
    const response = await send({ rawBody });
    expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
    expect(Object.prototype).to.not.have.property("polluted");
    expect([200, 400]).to.include(response.statusCode);
    if (response.statusCode === 200) {
      for (const result of response.json.results.slice(0, 3)) expect(result.status).to.equal(400);
      expect(response.json.results[4].status).to.equal(400);
    }
  });

  it("answers deep nesting with a 4xx or a per-item 400, never a 5xx", async () => {
    const deepItems = '{"jobs":' + "[".repeat(20_000) + "]".repeat(20_000) + "}";
    const deepPayload = '{"jobs":[{"type":"text.transform","payload":' + '{"a":'.repeat(5_000) + "1" + "}".repeat(5_000) + "}]}";
    const deepItem = '{"jobs":[' + '{"a":'.repeat(3_000) + "1" + "}".repeat(3_000) + "]}";
    for (const rawBody of [deepItems, deepPayload, deepItem]) {
      const response = await send({ rawBody });
      expect([200, 400, 413], rawBody.slice(0, 40)).to.include(response.statusCode);
      if (response.statusCode === 200) expect(response.json.results.every((result: { status: number }) => result.status === 400)).to.equal(true);
    }
  });
});
