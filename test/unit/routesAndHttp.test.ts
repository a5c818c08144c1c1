import { expect } from "chai";
import { isJsonContentType, readJsonBody } from "../../handlers/api/http";
import { apiPathPrefixes, isApiPath, matchRoute, resolveRoute, routeKey, routes } from "../../handlers/routes";
import { settingsFromEnv } from "../../handlers/settings";
import { apiEvent } from "../helpers/events";

describe("routes", () => {
  it("matches each route of the table, with its path parameters", () => {
    const id = "0b4f8c8e-6a8e-4e8e-9a8e-0b4f8c8e6a8e";
    expect(matchRoute("POST", "/jobs")?.routeKey).to.equal("POST /jobs");
    expect(matchRoute("GET", `/jobs/${id}`)).to.deep.include({ routeKey: "GET /jobs/{jobId}", pathParameters: { jobId: id } });
    expect(matchRoute("delete", `/jobs/${id}`)?.routeKey).to.equal("DELETE /jobs/{jobId}");
    expect(matchRoute("POST", `/jobs/${id}/retry`)?.routeKey).to.equal("POST /jobs/{jobId}/retry");
    expect(matchRoute("GET", "/job-types")?.routeKey).to.equal("GET /job-types");
    expect(matchRoute("GET", "/jobs")?.routeKey).to.equal("GET /jobs");
    expect(matchRoute("GET", "/openapi.json")?.routeKey).to.equal("GET /openapi.json");
  });

  it("prefers a literal segment to a parameter, as API Gateway does", () => {
    expect(matchRoute("GET", "/jobs/summary")).to.deep.include({ routeKey: "GET /jobs/summary", pathParameters: {} });
    expect(matchRoute("POST", "/jobs/bulk/retry")?.routeKey).to.equal("POST /jobs/bulk/retry");
    expect(matchRoute("POST", "/jobs/bulk/cancel")?.routeKey).to.equal("POST /jobs/bulk/cancel");
    expect(matchRoute("POST", "/jobs/other/retry")?.routeKey).to.equal("POST /jobs/{jobId}/retry");
  });

  it("matches nothing else", () => {
    for (const [method, path] of [["PUT", "/jobs"], ["PUT", "/jobs/x"], ["GET", "/jobs/bulk/retry"], ["GET", "/jobs/"], ["GET", "/jobs/x/y"], ["GET", "/"]] as const) {
      expect(matchRoute(method, path), `${method} ${path}`).to.equal(undefined);
    }
  });

  it("tells a known path with the wrong method (405, with the methods it takes) from an unknown path (404)", () => {
    const id = "0b4f8c8e-6a8e-4e8e-9a8e-0b4f8c8e6a8e";
    expect(resolveRoute("PUT", "/jobs")).to.deep.equal({ kind: "methodNotAllowed", allow: ["POST", "GET", "HEAD"] });
    expect(resolveRoute("GET", "/jobs/bulk/cancel")).to.deep.equal({ kind: "methodNotAllowed", allow: ["POST"] });
    expect(resolveRoute("POST", `/jobs/${id}`)).to.deep.equal({ kind: "methodNotAllowed", allow: ["GET", "HEAD", "DELETE"] });
    expect(resolveRoute("HEAD", "/job-types")).to.deep.include({ kind: "route" });
    expect(resolveRoute("GET", `/jobs/${id}/retry`)).to.deep.equal({ kind: "methodNotAllowed", allow: ["POST"] });
    expect(resolveRoute("GET", "/jobs/x/y")).to.deep.equal({ kind: "notFound" });
    expect(resolveRoute("GET", "/")).to.deep.equal({ kind: "notFound" });
    expect(resolveRoute("GET", "/job-types")).to.deep.include({ kind: "route" });
  });

  it("names the API's path prefixes from the route table, and the paths under them", () => {
    expect(apiPathPrefixes()).to.deep.equal(["/job-types", "/jobs", "/openapi.json"]);
    for (const path of ["/jobs", "/jobs/x", "/jobs/x/retry", "/job-types", "/job-types/x"]) expect(isApiPath(path), path).to.equal(true);
    for (const path of ["/", "/index.html", "/jobsx", "/job", "/config.json"]) expect(isApiPath(path), path).to.equal(false);
  });

  it("has one distinct route key per entry", () => {
    expect(new Set(routes.map(routeKey)).size).to.equal(routes.length);
  });
});

describe("api/http", () => {
  it("recognises JSON media types", () => {
    expect(isJsonContentType("application/json")).to.equal(true);
    expect(isJsonContentType("Application/JSON; charset=utf-8")).to.equal(true);
    expect(isJsonContentType("application/problem+json")).to.equal(true);
    expect(isJsonContentType("text/plain")).to.equal(false);
    expect(isJsonContentType(undefined)).to.equal(false);
  });

  it("reads base64-encoded bodies as API Gateway sends binary ones", () => {
    const result = readJsonBody(apiEvent({ method: "POST", path: "/jobs", rawBody: Buffer.from('{"a":1}') }), 100);
    expect(result).to.deep.equal({ ok: true, body: { a: 1 } });
  });

  it("answers 400 for bytes that are not UTF-8", () => {
    const result = readJsonBody(apiEvent({ method: "POST", path: "/jobs", rawBody: Buffer.from([0x7b, 0xff, 0x7d]) }), 100);
    expect(result.ok).to.equal(false);
    if (!result.ok) expect(result.response.statusCode).to.equal(400);
  });

  it("counts the limit in bytes, not characters", () => {
    const body = JSON.stringify({ text: "é".repeat(40) }); // 92 bytes, 52 characters
    const result = readJsonBody(apiEvent({ method: "POST", path: "/jobs", rawBody: body }), 60);
    expect(result.ok).to.equal(false);
    if (!result.ok) expect(result.response.statusCode).to.equal(413);
  });
});

describe("settingsFromEnv", () => {
  const base = { CLOUDQUEUE_TABLE_NAME: "jobs", CLOUDQUEUE_QUEUE_URL: "https://sqs.eu-west-1.amazonaws.com/1/q" };

  it("reads the required names and applies defaults", () => {
    expect(settingsFromEnv(base)).to.deep.include({ tableName: "jobs", sweepShards: 4, maxBodyBytes: 65_536, retentionDays: 30 });
  });

  it("names every bad variable", () => {
    expect(() => settingsFromEnv({ ...base, CLOUDQUEUE_SWEEP_SHARDS: "0", CLOUDQUEUE_QUEUE_URL: "nope" })).to.throw(
      /CLOUDQUEUE_QUEUE_URL.*CLOUDQUEUE_SWEEP_SHARDS|CLOUDQUEUE_SWEEP_SHARDS.*CLOUDQUEUE_QUEUE_URL/,
    );
    expect(() => settingsFromEnv({})).to.throw(/CLOUDQUEUE_TABLE_NAME/);
  });
});
