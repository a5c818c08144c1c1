import { expect } from "chai";
import fc from "fast-check";
import type { HttpResponse } from "../../handlers/api/http";
import { apiEvent, type ApiRequest } from "../helpers/events";
import { TestStack } from "../helpers/stack";

const STATUS_WORDS = ["QUEUED", "IN_PROGRESS", "SUCCEEDED", "FAILED", "CANCELED", "queued", "", " ", ",", "DONE", "FAILED,", "FAILED,,CANCELED"];

/**
 * Hostile input to the listing, the summary and the bulk routes: any query string, any cursor,
 * any bulk body answers a 200 or a 4xx problem, never a 5xx, and a refused bulk call changes no
 * job. A forged cursor never opens: it is a 400, not another page.
 */
describe("hostile input to GET /jobs, the summary and bulk actions (fast-check)", function () {
  this.timeout(180_000);
  let stack: TestStack;
  let jobIds: string[];
  before(async () => {
    stack = await TestStack.start();
    jobIds = [];
    for (let n = 0; n < 6; n += 1) jobIds.push(await stack.submit({ type: "text.transform", payload: { text: `hostile ${n}` }, delaySeconds: 900 }));
  });
  after(async () => stack.close());

  async function send(request: ApiRequest): Promise<HttpResponse> {
    const response = await stack.api(apiEvent(request));
    expect(response.statusCode, response.body).to.be.below(500);
    if (response.statusCode >= 400) {
      expect(response.headers["content-type"]).to.equal("application/problem+json");
      expect(JSON.parse(response.body)).to.include.keys("type", "title", "status", "detail");
      expect(response.body, "no internal detail").to.not.match(/at .*\.ts:\d+|Exception|dynamodb|DynamoDB/);
    }
    return response;
  }

  const queryValue = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom(...STATUS_WORDS), fc.integer().map(String), fc.date({ noInvalidDate: true }).map((date) => date.toISOString()));
  const queryName = fc.constantFrom("status", "type", "createdAfter", "createdBefore", "limit", "cursor", "owner", "x", "__proto__", "constructor");

  it("answers any query string of GET /jobs with a 200 or a 400/403 problem", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(queryName, queryValue), { maxLength: 5 }), async (pairs) => {
        const query = new URLSearchParams(pairs).toString();
        const response = await send({ method: "GET", path: `/jobs${query ? `?${query}` : ""}` });
        expect([200, 400, 403]).to.include(response.statusCode);
      }),
      { numRuns: 300 },
    );
  });

  it("answers any cursor that is not one it made with a 400, and every cursor it made, changed in one character, with a 400", async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1, maxLength: 300 }), async (cursor) => {
        const response = await send({ method: "GET", path: `/jobs?cursor=${encodeURIComponent(cursor)}` });
        expect(response.statusCode).to.equal(400);
      }),
      { numRuns: 200 },
    );
    const made = JSON.parse((await send({ method: "GET", path: "/jobs?limit=2" })).body).nextCursor as string;
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    await fc.assert(
      fc.asyncProperty(fc.nat(made.length - 1), fc.constantFrom(...alphabet), async (at, character) => {
        // Past the `c1.` prefix, and not the last character, whose low bits base64 may ignore.
        fc.pre(made[at] !== character && at > 2 && at < made.length - 1);
        const altered = `${made.slice(0, at)}${character}${made.slice(at + 1)}`;
        const response = await send({ method: "GET", path: `/jobs?limit=2&cursor=${encodeURIComponent(altered)}` });
        expect(response.statusCode, `cursor altered at ${at}`).to.equal(400);
      }),
      { numRuns: 200 },
    );
  });

  it("answers any JSON body of the bulk routes with a 200 or a 4xx, and changes no job for a 4xx or a dry run", async () => {
    const filter = fc.record({ status: fc.oneof(fc.array(fc.constantFrom(...STATUS_WORDS)), fc.jsonValue()), type: fc.oneof(fc.string(), fc.jsonValue()), createdAfter: fc.oneof(fc.string(), fc.date({ noInvalidDate: true }).map((date) => date.toISOString())) }, { requiredKeys: [] });
    const body = fc.oneof(
      fc.jsonValue({ maxDepth: 4 }),
      fc.record({ filter, dryRun: fc.oneof(fc.constant(true), fc.jsonValue()), limit: fc.oneof(fc.integer(), fc.jsonValue()), cursor: fc.string() }, { requiredKeys: [] }),
      fc.record({ jobIds: fc.oneof(fc.array(fc.oneof(fc.uuid(), fc.string()), { maxLength: 120 }), fc.jsonValue()), dryRun: fc.constant(true) }, { requiredKeys: [] }),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom("retry", "cancel"), body, async (action, request) => {
        const before = await Promise.all(jobIds.map((jobId) => stack.job(jobId)));
        const response = await send({ method: "POST", path: `/jobs/bulk/${action}`, body: request });
        expect([200, 400, 413, 415, 422]).to.include(response.statusCode);
        const dry = response.statusCode === 200 && JSON.parse(response.body).dryRun === true;
        if (response.statusCode >= 400 || dry) expect(await Promise.all(jobIds.map((jobId) => stack.job(jobId)))).to.deep.equal(before);
      }),
      { numRuns: 200 },
    );
  });

  it("answers any query of the summary with a 200 or a 400/403", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(queryName, queryValue), { maxLength: 3 }), async (pairs) => {
        const query = new URLSearchParams(pairs).toString();
        const response = await send({ method: "GET", path: `/jobs/summary${query ? `?${query}` : ""}` });
        expect([200, 400, 403]).to.include(response.statusCode);
      }),
      { numRuns: 150 },
    );
  });
});
