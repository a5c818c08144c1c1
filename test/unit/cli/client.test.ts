import { expect } from "chai";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { ApiError, CliApiClient, installFetchDeadline, MAX_ATTEMPTS, USER_AGENT } from "../../../cli/client";

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

/** A server answering each request with the next of `answers` (the last repeats). */
async function serve(answers: { status: number; headers?: Record<string, string>; body?: unknown; hang?: boolean }[]): Promise<{ url: string; seen: Seen[]; server: Server }> {
  const seen: Seen[] = [];
  const server = createServer((request, response) => {
    seen.push({ method: request.method ?? "", url: request.url ?? "", headers: request.headers });
    const answer = answers[Math.min(seen.length - 1, answers.length - 1)]!;
    if (answer.hang) return;
    response.writeHead(answer.status, { "content-type": "application/json", ...answer.headers });
    response.end(answer.body === undefined ? "" : JSON.stringify(answer.body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

const unavailable = { status: 503, headers: { "retry-after": "2" }, body: { type: "urn:cloudqueue:problem:starting", title: "Service Unavailable", status: 503 } };
const ok = { status: 200, body: { jobId: "j1", type: "text.transform", status: "QUEUED", createdAt: "2025-05-01T00:00:00Z" } };

describe("cli/client", () => {
  let server: Server | undefined;
  afterEach(() => server?.close());

  it("sends the CLI's User-Agent and the bearer token through the shared client", async () => {
    const api = await serve([ok]);
    server = api.server;
    const client = new CliApiClient(`${api.url}/prefix`, { token: "t0k" });
    await client.get("j 1");
    expect(api.seen).to.have.length(1);
    expect(api.seen[0]).to.deep.include({ method: "GET", url: "/prefix/jobs/j%201" });
    expect(api.seen[0]!.headers).to.include({ "user-agent": USER_AGENT, authorization: "Bearer t0k" });
  });

  it("sends a read again after a 503's Retry-After, up to its tries", async () => {
    const api = await serve([unavailable, unavailable, ok]);
    server = api.server;
    const waits: number[] = [];
    const client = new CliApiClient(api.url, { sleep: async (ms) => void waits.push(ms) });
    const job = await client.get("j1");
    expect(job.jobId).to.equal("j1");
    expect(api.seen).to.have.length(3);
    expect(waits).to.deep.equal([2_000, 2_000]);
  });

  it("gives up after its tries with the last answer's error", async () => {
    const api = await serve([unavailable]);
    server = api.server;
    const client = new CliApiClient(api.url, { sleep: async () => {} });
    const error = await client.summary().catch((caught: unknown) => caught);
    expect(error).to.be.instanceOf(ApiError);
    expect((error as ApiError).status).to.equal(503);
    expect(api.seen).to.have.length(MAX_ATTEMPTS);
  });

  it("sends a submission with an Idempotency-Key again, the same key each time", async () => {
    const api = await serve([{ status: 429, body: { message: "Too Many Requests" } }, ok]);
    server = api.server;
    const waits: number[] = [];
    const client = new CliApiClient(api.url, { sleep: async (ms) => void waits.push(ms) });
    await client.submit({ type: "text.transform", payload: { text: "hi" } }, { idempotencyKey: "k-1" });
    expect(api.seen.map((request) => request.headers["idempotency-key"])).to.deep.equal(["k-1", "k-1"]);
    // No Retry-After: a second apart.
    expect(waits).to.deep.equal([1_000]);
  });

  it("sends a batch again only when every item has its own idempotencyKey, the same body each time", async () => {
    const api = await serve([unavailable, { status: 200, body: { results: [] } }]);
    server = api.server;
    const bodies: string[] = [];
    const original = globalThis.fetch;
    globalThis.fetch = async (input, init) => {
      bodies.push(String(init?.body));
      return original(input, init);
    };
    try {
      const client = new CliApiClient(api.url, { sleep: async () => {} });
      const keyed = [{ type: "text.transform", payload: { text: "a" }, idempotencyKey: "k-a" }, { type: "text.transform", payload: { text: "b" }, idempotencyKey: "k-b" }];
      await client.submitBatch(keyed);
      expect(api.seen.map((request) => `${request.method} ${request.url}`)).to.deep.equal(["POST /jobs/batch", "POST /jobs/batch"]);
      expect(bodies[1]).to.equal(bodies[0]);
      // One item without a key: a second send could make its job twice, so it is not sent again.
      api.seen.length = 0;
      const unkeyed = [keyed[0]!, { type: "text.transform", payload: { text: "c" } }];
      const error = await client.submitBatch(unkeyed).catch((caught: unknown) => caught);
      expect((error as ApiError).status).to.equal(503);
      expect(api.seen).to.have.length(1);
    } finally {
      globalThis.fetch = original;
    }
  });

  it("never sends a job's retry twice: a second one would be a conflict, not the same answer", async () => {
    const api = await serve([unavailable, ok]);
    server = api.server;
    const client = new CliApiClient(api.url, { sleep: async () => {} });
    const error = await client.retry("j1").catch((caught: unknown) => caught);
    expect((error as ApiError).status).to.equal(503);
    expect(api.seen).to.have.length(1);
  });

  it("does not send a refused request again", async () => {
    const api = await serve([{ status: 404, body: { type: "urn:cloudqueue:problem:not-found", title: "Not Found", status: 404 } }, ok]);
    server = api.server;
    const client = new CliApiClient(api.url, { sleep: async () => {} });
    const error = await client.get("j1").catch((caught: unknown) => caught);
    expect((error as ApiError).status).to.equal(404);
    expect(api.seen).to.have.length(1);
  });

  describe("installFetchDeadline", () => {
    it("ends a request the API does not answer at its deadline, as the client's network error, and says why", async () => {
      const api = await serve([{ status: 200, hang: true }]);
      server = api.server;
      const deadline = installFetchDeadline(200);
      try {
        const error = await new CliApiClient(api.url).get("j1").catch((caught: unknown) => caught);
        expect(error).to.be.instanceOf(ApiError);
        expect((error as ApiError).status).to.equal(0);
        expect(deadline.lastFailure()).to.equal("no answer within 0.2 s");
      } finally {
        deadline.restore();
        server.closeAllConnections();
      }
    });

    it("keeps the socket's reason when nothing listens", async () => {
      const api = await serve([ok]);
      await new Promise((resolve) => api.server.close(resolve));
      const deadline = installFetchDeadline(5_000);
      try {
        const error = await new CliApiClient(api.url).get("j1").catch((caught: unknown) => caught);
        expect((error as ApiError).status).to.equal(0);
        expect(deadline.lastFailure()).to.match(/^connect ECONNREFUSED 127\.0\.0\.1:\d+$/);
      } finally {
        deadline.restore();
      }
    });

    it("puts the original fetch back", () => {
      const original = globalThis.fetch;
      installFetchDeadline(1_000).restore();
      expect(globalThis.fetch).to.equal(original);
    });
  });
});
