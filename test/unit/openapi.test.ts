import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Validator } from "@seriousme/openapi-schema-validator";
import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { expect } from "chai";
import * as v from "valibot";
import { ProblemType } from "../../handlers/api/http";
import { ListQuerySchema, SummaryQuerySchema } from "../../handlers/api/schemas";
import { routeScopes, type AuthMode } from "../../handlers/auth/authMode";
import { createBuiltInJobTypes, createRegistry } from "../../handlers/domain/jobTypes";
import { isIdempotencyKey, validateSubmission } from "../../handlers/domain/submission";
import { API_VERSION, openApiDocument, PROBLEM_STATUS, type OpenApiOptions } from "../../handlers/openapi";
import { routes } from "../../handlers/routes";
import { DOCS_OPENAPI_PATH, docsOpenApiText } from "../../scripts/openapi";
import { assertConformsToOpenApi, OpenApiConformanceError } from "../helpers/openApiCheck";

type Json = Record<string, any>;

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
const MODES: { name: string; options: Omit<OpenApiOptions, "jobTypes"> }[] = [
  { name: "none", options: { authMode: "none" } },
  { name: "jwt with scopes", options: { authMode: "jwt", requireScopes: true } },
  { name: "jwt without scopes", options: { authMode: "jwt", requireScopes: false } },
  { name: "iam", options: { authMode: "iam" } },
];
const JOB_ID = "0b4f8c8e-6a8e-4e8e-9a8e-0b4f8c8e6a8e";

function documentFor(authMode: AuthMode, requireScopes = true): Json {
  return openApiDocument({ jobTypes: createBuiltInJobTypes(), authMode, requireScopes });
}

function operations(document: Json): { method: string; path: string; operation: Json }[] {
  return Object.entries<Json>(document.paths).flatMap(([path, item]) => METHODS.filter((method) => item[method]).map((method) => ({ method: method.toUpperCase(), path, operation: item[method] })));
}

function operationOf(document: Json, route: { method: string; path: string }): Json {
  return document.paths[route.path][route.method.toLowerCase()];
}

/** Every Schema Object of the document, with where it is. */
function schemasOf(document: Json): [string, Json][] {
  const found: [string, Json][] = Object.entries<Json>(document.components.schemas).map(([name, schema]) => [`components.schemas.${name}`, schema]);
  const walk = (node: unknown, at: string): void => {
    if (node === null || typeof node !== "object") return;
    for (const [key, value] of Object.entries(node)) {
      if (key === "schema" && value && typeof value === "object") found.push([`${at}.schema`, value as Json]);
      else if (!(at === "components" && key === "schemas")) walk(value, `${at}.${key}`);
    }
  };
  walk(document.paths, "paths");
  walk(document.components, "components");
  return found;
}

/** A strict 2020-12 ajv that knows the document's component schemas. */
function ajvFor(document: Json): Ajv2020 {
  const ajv = new Ajv2020({ strict: true, strictTypes: false, allErrors: true });
  addFormats(ajv);
  ajv.addVocabulary(["discriminator", "example"]);
  const retarget = (value: unknown): unknown =>
    JSON.parse(JSON.stringify(value).replaceAll('"#/components/schemas/', '"urn:cloudqueue:schemas:'));
  for (const [name, schema] of Object.entries<Json>(document.components.schemas)) ajv.addSchema({ ...(retarget(schema) as Json), $id: `urn:cloudqueue:schemas:${name}` });
  return ajv;
}

function rejects(check: () => void, pattern: RegExp): void {
  expect(check).to.throw(OpenApiConformanceError, pattern);
}

describe("the OpenAPI document", () => {
  for (const { name, options } of MODES) {
    it(`is a valid OpenAPI 3.1 document (${name}), by @seriousme/openapi-schema-validator`, async () => {
      const validator = new Validator();
      const result = await validator.validate(openApiDocument({ jobTypes: createBuiltInJobTypes(), ...options }));
      expect(result.errors, JSON.stringify(result.errors)).to.equal(undefined);
      expect(result.valid).to.equal(true);
      expect(validator.version).to.equal("3.1");
    });
  }

  it("holds JSON Schema 2020-12 schemas only: every one compiles under ajv's strict 2020-12 meta-schema, its references resolved", () => {
    const document = documentFor("jwt");
    const ajv = ajvFor(document);
    const schemas = schemasOf(document);
    expect(schemas.length).to.be.greaterThan(40);
    for (const [at, schema] of schemas) {
      expect(() => ajv.compile(JSON.parse(JSON.stringify(schema).replaceAll('"#/components/schemas/', '"urn:cloudqueue:schemas:'))), at).not.to.throw();
    }
    expect(document.jsonSchemaDialect).to.equal("https://json-schema.org/draft/2020-12/schema");
  });

  it("has exactly one operation per route of the table, named and summarized by it, and no other", () => {
    const document = documentFor("jwt");
    const found = operations(document).map(({ method, path, operation }) => `${method} ${path} ${operation.operationId}: ${operation.summary}`);
    expect(found.sort()).to.deep.equal(routes.map((route) => `${route.method} ${route.path} ${route.operation}: ${route.summary}`).sort());
  });

  it("declares every path parameter of a path template, required, and no other", () => {
    for (const { path, method, operation } of operations(documentFor("none"))) {
      const inPath = (operation.parameters ?? []).filter((parameter: Json) => parameter.in === "path");
      expect(inPath.map((parameter: Json) => parameter.name), `${method} ${path}`).to.deep.equal([...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]));
      for (const parameter of inPath) expect(parameter.required, `${method} ${path} ${parameter.name}`).to.equal(true);
    }
  });

  it("says HEAD is answered wherever GET is", () => {
    const document = documentFor("none");
    for (const route of routes.filter((route) => route.method === "GET")) expect(operationOf(document, route).description, route.path).to.contain("HEAD");
    expect(document.info.description).to.contain("`HEAD` is answered wherever `GET` is");
  });

  it("takes the queries of GET /jobs and GET /jobs/summary from their schemas, each value a string as a query string gives it", () => {
    const document = documentFor("none");
    const query = (path: string) => operationOf(document, { method: "GET", path }).parameters.filter((parameter: Json) => parameter.in === "query");
    const listEntries = Object.keys((ListQuerySchema.pipe[0] as v.StrictObjectSchema<v.ObjectEntries, undefined>).entries);
    expect(query("/jobs").map((parameter: Json) => parameter.name).sort()).to.deep.equal(listEntries.sort());
    expect(query("/jobs/summary").map((parameter: Json) => parameter.name)).to.deep.equal(Object.keys(SummaryQuerySchema.entries));
    for (const parameter of [...query("/jobs"), ...query("/jobs/summary")]) {
      expect(parameter.schema.type, parameter.name).to.equal("string");
      expect(parameter.required, parameter.name).to.equal(false);
    }
    const limit = query("/jobs").find((parameter: Json) => parameter.name === "limit");
    expect(new RegExp(limit.schema.pattern).test("25")).to.equal(true);
    expect(new RegExp(limit.schema.pattern).test("x")).to.equal(false);
  });

  it("takes a submission schema per job type: each type's example passes, another type's payload and an unknown type do not, as the api decides", () => {
    const counted = { type: "test.counted", description: "a test type", schema: v.strictObject({ key: v.string(), failTimes: v.optional(v.number(), 0) }), example: { key: "k" }, timeoutSeconds: 1, maxAttempts: 1, run: async () => undefined };
    const jobTypes = createRegistry([...createBuiltInJobTypes().values(), counted]);
    const document = openApiDocument({ jobTypes, authMode: "none" });
    const validate = ajvFor(document).compile(JSON.parse(JSON.stringify(operationOf(document, { method: "POST", path: "/jobs" }).requestBody.content["application/json"].schema).replaceAll('"#/components/schemas/', '"urn:cloudqueue:schemas:')));
    const bodies = [
      ...[...jobTypes.values()].map((jobType) => ({ type: jobType.type, payload: jobType.example })),
      { type: "text.transform", payload: { text: "x" }, delaySeconds: 900 },
      { type: "text.transform", payload: { text: "x" }, delaySeconds: 31_536_001 },
      { type: "hash.digest", payload: { text: "hello cloudqueue" } },
      { type: "hash.digest", payload: createBuiltInJobTypes().get("demo.unreliable")!.example },
      { type: "no.such.type", payload: {} },
      { type: "text.transform", payload: { text: "x" }, extra: true },
    ];
    for (const body of bodies) {
      expect(validate(body), JSON.stringify(body)).to.equal(validateSubmission(body, jobTypes).ok);
    }
    expect(bodies.filter((body) => validate(body))).to.have.length(jobTypes.size + 1);
  });

  it("takes an Idempotency-Key on POST /jobs and the bulk routes only, by the api's own rule", () => {
    const document = documentFor("none");
    const takesKey = operations(document)
      .filter(({ operation }) => (operation.parameters ?? []).some((parameter: Json) => parameter.$ref === "#/components/parameters/IdempotencyKey"))
      .map(({ operation }) => operation.operationId);
    expect(takesKey).to.deep.equal(["submitJob", "bulkRetryJobs", "bulkCancelJobs"]);
    const { schema, in: location, name } = document.components.parameters.IdempotencyKey;
    expect({ location, name }).to.deep.equal({ location: "header", name: "Idempotency-Key" });
    const validate = new Ajv2020().compile(schema);
    for (const key of ["a", " ", "order-42 ~!", "x".repeat(255), "x".repeat(256), "", "tab\there", "naïve", "line\n"]) {
      expect(validate(key), JSON.stringify(key)).to.equal(isIdempotencyKey(key));
    }
  });

  it("answers each problem type with its status as application/problem+json, the type one of that status's", () => {
    const document = documentFor("jwt");
    for (const [key, type] of Object.entries(ProblemType)) {
      const status = PROBLEM_STATUS[key as keyof typeof ProblemType];
      const response = Object.values<Json>(document.components.responses).find((candidate) => candidate.content["application/problem+json"]?.schema.properties.status.const === status);
      expect(response, `a response for ${status}`).to.not.equal(undefined);
      expect(response!.content["application/problem+json"].schema.properties.type.enum, key).to.include(type);
      expect(response!.content["application/problem+json"].schema.$ref).to.equal("#/components/schemas/Problem");
    }
  });

  it("documents the errors each route can answer", () => {
    const document = documentFor("none");
    const statuses = (method: string, path: string) => Object.keys(operationOf(document, { method, path }).responses);
    expect(statuses("POST", "/jobs")).to.deep.equal(["200", "202", "400", "413", "415", "422", "429", "500", "502", "503", "504"]);
    expect(statuses("GET", "/jobs")).to.deep.equal(["200", "400", "403", "429", "500", "502", "503", "504"]);
    expect(statuses("POST", "/jobs/bulk/retry")).to.deep.equal(["200", "400", "409", "413", "415", "422", "429", "500", "502", "503", "504"]);
    expect(statuses("DELETE", "/jobs/{jobId}")).to.deep.equal(["200", "400", "404", "409", "429", "500", "502", "503", "504"]);
    expect(statuses("POST", "/jobs/{jobId}/retry")).to.deep.equal(["202", "400", "404", "409", "429", "500", "502", "503", "504"]);
    expect(statuses("GET", "/job-types")).to.deep.equal(["200", "429", "500", "502", "503", "504"]);
  });

  describe("security", () => {
    it("none: no scheme, no operation with a requirement, no authorizer's answers", () => {
      const document = documentFor("none");
      expect(document.components.securitySchemes).to.equal(undefined);
      for (const { operation } of operations(document)) {
        expect(operation.security, operation.operationId).to.equal(undefined);
        expect(operation.responses, operation.operationId).not.to.have.property("401");
      }
    });

    it("jwt with scopes: a bearer JWT, each route asking for any one of its scopes, the public routes for nothing", () => {
      const document = documentFor("jwt", true);
      expect(document.components.securitySchemes).to.deep.equal({ jwt: { ...document.components.securitySchemes.jwt, type: "http", scheme: "bearer", bearerFormat: "JWT" } });
      for (const route of routes) {
        const operation = operationOf(document, route);
        if (route.access === "public") {
          expect(operation.security, route.operation).to.equal(undefined);
          expect(operation.responses, route.operation).not.to.have.property("401");
        } else {
          expect(operation.security, route.operation).to.deep.equal(routeScopes(route).map((scope) => ({ jwt: [scope] })));
        }
      }
      expect(operationOf(document, { method: "GET", path: "/job-types" }).security).to.equal(undefined);
      expect(operationOf(document, { method: "GET", path: "/openapi.json" }).security).to.equal(undefined);
    });

    it("jwt without scopes: any token of the issuer", () => {
      const document = documentFor("jwt", false);
      for (const route of routes.filter((route) => route.access !== "public")) expect(operationOf(document, route).security, route.operation).to.deep.equal([{ jwt: [] }]);
    });

    it("iam: a SigV4 signature in Authorization", () => {
      const document = documentFor("iam");
      expect(document.components.securitySchemes.sigv4).to.include({ type: "apiKey", in: "header", name: "Authorization", "x-amazon-apigateway-authtype": "awsSigv4" });
      for (const route of routes) expect(operationOf(document, route).security, route.operation).to.deep.equal(route.access === "public" ? undefined : [{ sigv4: [] }]);
    });

    it("closed stacks: API Gateway's {message} 401 and 403 on every guarded route", () => {
      for (const mode of ["jwt", "iam"] as const) {
        const document = documentFor(mode);
        for (const route of routes.filter((route) => route.access !== "public")) {
          for (const status of ["401", "403"]) {
            const response = document.components.responses[operationOf(document, route).responses[status].$ref.split("/").pop()];
            expect(response.content["application/json"].schema, `${mode} ${route.operation} ${status}`).to.deep.equal({ $ref: "#/components/schemas/GatewayMessage" });
            expect(response.content["application/problem+json"], `${mode} ${route.operation} ${status}`).to.not.equal(undefined);
          }
        }
      }
    });
  });

  it("is the same document for the same options", () => {
    expect(JSON.stringify(documentFor("jwt"))).to.equal(JSON.stringify(documentFor("jwt")));
  });

  it("is committed as docs/openapi.json, in step with the route table and the schemas (npm run openapi rewrites it)", () => {
    expect(readFileSync(DOCS_OPENAPI_PATH, "utf8"), "docs/openapi.json is stale: npm run openapi").to.equal(docsOpenApiText());
    const committed = JSON.parse(readFileSync(DOCS_OPENAPI_PATH, "utf8"));
    expect(committed.info.description).to.contain("authMode `jwt` with route scopes required").and.to.contain("`text.transform`, `hash.digest`, `demo.unreliable`");
  });

  it("carries package.json's version", () => {
    expect(API_VERSION).to.equal(JSON.parse(readFileSync(join(__dirname, "..", "..", "package.json"), "utf8")).version);
  });
});

describe("the OpenAPI response check", () => {
  const none = documentFor("none");
  const jwt = documentFor("jwt");
  const json = { "content-type": "application/json" };
  const problemJson = { "content-type": "application/problem+json" };
  const accepted = JSON.stringify({ jobId: JOB_ID, type: "text.transform", status: "QUEUED", createdAt: "2025-01-01T00:00:00.000Z" });
  const problem = (status: number, type: string) => JSON.stringify({ type, title: "x", status, detail: "x" });

  it("passes a documented answer", () => {
    assertConformsToOpenApi(none, "POST", "/jobs", 202, { ...json, location: `/jobs/${JOB_ID}` }, accepted);
    assertConformsToOpenApi(none, "GET", `/jobs?status=FAILED&limit=2`, 200, json, JSON.stringify({ jobs: [] }));
    assertConformsToOpenApi(none, "POST", "/jobs", 400, problemJson, problem(400, ProblemType.malformedJson));
  });

  it("refuses a status the operation does not document", () => {
    rejects(() => assertConformsToOpenApi(none, "POST", "/jobs", 404, problemJson, problem(404, ProblemType.notFound)), /submitJob documents 200, 202, 400/);
  });

  it("refuses a media type the response does not have", () => {
    rejects(() => assertConformsToOpenApi(none, "POST", "/jobs", 400, json, problem(400, ProblemType.validation)), /is application\/problem\+json/);
    rejects(() => assertConformsToOpenApi(none, "GET", "/job-types", 200, { "content-type": "text/html" }, "[]"), /is application\/json/);
  });

  it("refuses a body that misses a field, has one the contract does not name, or a problem type of another status", () => {
    rejects(() => assertConformsToOpenApi(none, "POST", "/jobs", 202, { ...json, location: "/jobs/x" }, JSON.stringify({ jobId: JOB_ID })), /must have required property 'type'/);
    rejects(() => assertConformsToOpenApi(none, "POST", "/jobs", 202, { ...json, location: "/jobs/x" }, JSON.stringify({ ...JSON.parse(accepted), requestHash: "leak" })), /must NOT have additional properties/);
    rejects(() => assertConformsToOpenApi(none, "POST", "/jobs", 400, problemJson, problem(400, ProblemType.notFound)), /must be equal to one of the allowed values/);
    rejects(() => assertConformsToOpenApi(none, "POST", "/jobs", 202, { ...json, location: "/jobs/x" }, "not json"), /is not JSON/);
  });

  it("refuses an answer without a header its status always sends", () => {
    rejects(() => assertConformsToOpenApi(none, "POST", "/jobs", 202, json, accepted), /always sends Location/);
  });

  it("takes HEAD as GET without a body, and a preflight's 204 without one", () => {
    assertConformsToOpenApi(none, "HEAD", `/jobs/${JOB_ID}`, 404, problemJson, "");
    rejects(() => assertConformsToOpenApi(none, "HEAD", `/jobs/${JOB_ID}`, 202, json, ""), /getJob documents/);
    assertConformsToOpenApi(jwt, "OPTIONS", "/jobs", 204, {}, "");
    rejects(() => assertConformsToOpenApi(jwt, "OPTIONS", "/jobs", 204, {}, "x"), /no body/);
  });

  it("matches a literal segment before a parameter", () => {
    assertConformsToOpenApi(none, "GET", "/jobs/summary", 200, json, JSON.stringify({ scope: "owner", owner: "public", total: 0, byStatus: { QUEUED: 0, IN_PROGRESS: 0, SUCCEEDED: 0, FAILED: 0, CANCELED: 0 }, byType: {}, asOf: "2025-01-01T00:00:00.000Z" }));
    rejects(() => assertConformsToOpenApi(none, "GET", "/jobs/summary", 404, problemJson, problem(404, ProblemType.notFound)), /summarizeJobs documents/);
  });

  it("takes an unknown path's problem 404 and a known path's 405 with Allow, and nothing else for them", () => {
    assertConformsToOpenApi(none, "GET", "/jobs/a/b/c", 404, problemJson, problem(404, ProblemType.notFound));
    assertConformsToOpenApi(none, "PUT", "/jobs", 405, { ...problemJson, allow: "POST, GET, HEAD" }, problem(405, ProblemType.methodNotAllowed));
    rejects(() => assertConformsToOpenApi(none, "PUT", "/jobs", 405, problemJson, problem(405, ProblemType.methodNotAllowed)), /always sends Allow/);
    rejects(() => assertConformsToOpenApi(none, "PUT", "/jobs", 404, problemJson, problem(404, ProblemType.notFound)), /documents 405/);
    rejects(() => assertConformsToOpenApi(none, "GET", "/jobs/a/b/c", 401, json, JSON.stringify({ message: "Unauthorized" })), /documents 404/);
  });

  it("on a closed stack, takes API Gateway's {message} 401 on guarded routes and unknown paths, never on public routes", () => {
    const unauthorized = JSON.stringify({ message: "Unauthorized" });
    assertConformsToOpenApi(jwt, "POST", "/jobs", 401, { ...json, "www-authenticate": "Bearer" }, unauthorized);
    assertConformsToOpenApi(jwt, "GET", "/jobs/a/b", 401, json, unauthorized);
    rejects(() => assertConformsToOpenApi(jwt, "GET", "/job-types", 401, json, unauthorized), /listJobTypes documents 200/);
    rejects(() => assertConformsToOpenApi(jwt, "POST", "/jobs", 401, json, JSON.stringify({ message: "Unauthorized", detail: "x" })), /must NOT have additional properties/);
  });
});
