import { toJsonSchemaDefs, type ConversionConfig, type JsonSchema } from "@valibot/to-json-schema";
import * as v from "valibot";
import * as api from "./api/schemas";
import { routeScopes, type AuthMode } from "./auth/authMode";
import type { JobTypeRegistry } from "./domain/jobTypes";
import { IDEMPOTENCY_KEY } from "./domain/submission";
import { AUTHORIZER_STATUSES, errorResponses, GATEWAY_STATUSES, header, problemTable, responseName, schemaRef as ref, type ResponseHeader } from "./openapiResponses";
import { routes, type Operation, type Route } from "./routes";

export { PROBLEM_STATUS, UNROUTED_RESPONSES } from "./openapiResponses";

/**
 * The HTTP API's OpenAPI 3.1 document, generated: paths and operations from the route table
 * (`handlers/routes.ts`), bodies, queries and answers from the valibot schemas
 * (`handlers/api/schemas.ts`), one submission schema per job type, the errors from the problem
 * types (`handlers/api/http.ts`, see `openapiResponses.ts`). What is written here is only what
 * those do not say: which statuses each operation answers, and a line of prose here and there.
 *
 * Pure (no AWS, no I/O) and deterministic: the same options give the same document, key order
 * included. `GET /openapi.json` serves the stack's own; `npm run openapi` writes `docs/openapi.json`.
 */
export interface OpenApiOptions {
  /** The job types the stack runs: `POST /jobs` takes one body schema per type. */
  jobTypes: JobTypeRegistry;
  /** How the stack admits callers: which security scheme, if any, the operations carry. */
  authMode: AuthMode;
  /** `jwt` only: whether a token needs one of the route's scopes (`jwtRequireScopes`). @default true */
  requireScopes?: boolean;
}

/** The OpenAPI version of the document. */
export const OPENAPI_VERSION = "3.1.0";

/** `info.version`: the API's version, kept equal to package.json's (a unit test checks it). */
export const API_VERSION = "0.1.0";

const CONVERSION: ConversionConfig = {
  target: "draft-2020-12",
  // What a client sends: a pipe's input, before its transforms (`limit` is a string in a query).
  typeMode: "input",
  // `v.check` has no JSON Schema: it is dropped, and said in prose where it matters.
  errorMode: "ignore",
  overrideRef: ({ referenceId }) => `#/components/schemas/${referenceId}`,
};

type Schema = Record<string, unknown>;
/** A success answer; a header `true` is sent with every such answer. */
type Success = { schema: Schema; description: string; headers?: Partial<Record<ResponseHeader, boolean>> };

interface OperationSpec {
  ok: Record<number, Success>;
  /** The error statuses the operation answers itself, besides API Gateway's (429, 5xx) and, guarded, an authorizer's. */
  errors: number[];
  query?: v.GenericSchema;
  body?: "submission" | "batch" | Schema;
  /** Takes an `Idempotency-Key` header. */
  idempotent?: boolean;
}

const jobView = (description: string, headers?: Success["headers"]): Success => ({ schema: ref("JobView"), description, headers });
const bulk: OperationSpec = {
  ok: { 200: { schema: { oneOf: [ref("BulkDryRun"), ref("BulkResult")] }, description: "A dry run's count and sample, or one call's work (`nextCursor`: call again with it)", headers: { "Idempotent-Replayed": false } } },
  errors: [400, 409, 413, 415, 422],
  body: ref("BulkRequest"),
  idempotent: true,
};

/** Per operation, what the route table does not say (read from `handlers/api/handler.ts`). */
const OPERATIONS: Readonly<Record<Operation, OperationSpec>> = {
  submitJob: {
    ok: {
      202: { schema: ref("JobAccepted"), description: "The job is stored and queued", headers: { Location: true } },
      200: jobView("A replay: this Idempotency-Key already submitted this job, which is answered as it is now", { Location: true, "Idempotent-Replayed": true }),
    },
    errors: [400, 413, 415, 422],
    body: "submission",
    idempotent: true,
  },
  submitJobBatch: {
    ok: {
      200: {
        schema: ref("BatchResponse"),
        description: "One result per item, in order: `202` accepted, `200` a replay of the item's `idempotencyKey`, `400` invalid (nothing stored), `422` the key already used for another body. A bad item never blocks the others.",
      },
    },
    errors: [400, 413, 415],
    body: "batch",
  },
  listJobs: { ok: { 200: { schema: ref("JobList"), description: "A page of jobs, newest first" } }, errors: [400, 403], query: api.ListQuerySchema },
  summarizeJobs: { ok: { 200: { schema: ref("JobSummary"), description: "The counts" } }, errors: [400, 403], query: api.SummaryQuerySchema },
  bulkRetryJobs: bulk,
  bulkCancelJobs: bulk,
  getJob: { ok: { 200: jobView("The job") }, errors: [400, 404] },
  cancelJob: { ok: { 200: jobView("The job, canceled (or already canceled)") }, errors: [400, 404, 409] },
  retryJob: { ok: { 202: jobView("The job, queued again", { Location: true }) }, errors: [400, 404, 409] },
  listJobTypes: { ok: { 200: { schema: ref("JobTypes"), description: "The job types" } }, errors: [] },
  getOpenApi: {
    ok: {
      200: {
        schema: { type: "object", required: ["openapi", "info", "paths"], properties: { openapi: { type: "string", pattern: "^3\\.1\\." }, info: { type: "object" }, paths: { type: "object" } } },
        description: "This document",
      },
    },
    errors: [],
  },
};

const PARAMETER_NOTES: Readonly<Record<string, string>> = {
  jobId: "The job's id (a lower-case UUID); any other text is a `400`.",
  status: "One status or several, comma-separated (`FAILED,CANCELED`).",
  type: "One job type.",
  createdAfter: "An RFC 3339 time; jobs created at or after it.",
  createdBefore: "An RFC 3339 time; jobs created at or before it (not before `createdAfter`).",
  limit: `The page size, 1 to ${api.MAX_PAGE}. @default ${api.DEFAULT_PAGE}`,
  cursor: "A page's `nextCursor`, with the same filters, for the next page.",
  owner: "An admin may name another owner; anyone else only itself (else `403`).",
};

/** The OpenAPI 3.1 document of the HTTP API of a stack with these job types and this auth mode. */
export function openApiDocument(options: OpenApiOptions): Record<string, unknown> {
  const closed = options.authMode !== "none";
  const paths: Record<string, Record<string, unknown>> = {};
  const statuses = new Set<number>([404, 405]);
  for (const route of routes) {
    paths[route.path] ??= {};
    paths[route.path]![route.method.toLowerCase()] = operation(route, options);
    for (const status of errorStatuses(route, closed)) statuses.add(status);
  }
  const scheme = securityScheme(options.authMode);
  return {
    openapi: OPENAPI_VERSION,
    info: { title: "CloudQueue", version: API_VERSION, description: describeDocument(options) },
    jsonSchemaDialect: "https://json-schema.org/draft/2020-12/schema",
    paths,
    components: {
      schemas: componentSchemas(options.jobTypes),
      responses: errorResponses([...statuses].sort((a, b) => a - b), closed),
      parameters: {
        IdempotencyKey: {
          name: "Idempotency-Key",
          in: "header",
          required: false,
          description: "Makes the request exact to retry: the same key with the same body answers the first request's answer again; with another body it is a `422`.",
          schema: { type: "string", minLength: 1, maxLength: 255, pattern: IDEMPOTENCY_KEY.source },
        },
      },
      ...(scheme && { securitySchemes: { [scheme.name]: scheme.scheme } }),
    },
  };
}

function operation(route: Route, options: OpenApiOptions): Record<string, unknown> {
  const spec = OPERATIONS[route.operation];
  const parameters = [
    ...[...route.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({ name, in: "path", required: true, description: PARAMETER_NOTES[name!], schema: { type: "string" } })),
    ...(spec.query ? queryParameters(spec.query) : []),
    ...(spec.idempotent ? [{ $ref: "#/components/parameters/IdempotencyKey" }] : []),
  ];
  const responses: Record<string, unknown> = {};
  for (const [status, success] of Object.entries(spec.ok)) {
    const headers = Object.entries(success.headers ?? {}).map(([name, required]) => [name, header(name as ResponseHeader, required)]);
    responses[status] = { description: success.description, ...(headers.length > 0 && { headers: Object.fromEntries(headers) }), content: { "application/json": { schema: success.schema } } };
  }
  for (const status of errorStatuses(route, options.authMode !== "none")) responses[status] = { $ref: `#/components/responses/${responseName(status)}` };
  const body =
    spec.body === "submission"
      ? { oneOf: submissionNames(options.jobTypes).map(([, name]) => ref(name)) }
      : spec.body === "batch"
        ? {
            type: "object",
            required: ["jobs"],
            additionalProperties: false,
            description: `1 to ${api.MAX_BATCH} jobs, each a \`POST /jobs\` body with an optional \`idempotencyKey\`. An envelope of another shape is a \`400\`; a bad item is only its own result's.`,
            properties: { jobs: { type: "array", minItems: 1, maxItems: api.MAX_BATCH, items: { oneOf: submissionNames(options.jobTypes).map(([, name]) => ref(`Batch${name}`)) } } },
          }
        : spec.body;
  return {
    operationId: route.operation,
    summary: route.summary,
    ...(route.method === "GET" && { description: "Also answered to `HEAD`: the same status and headers, no body." }),
    ...(parameters.length > 0 && { parameters }),
    ...(body && { requestBody: { required: true, content: { "application/json": { schema: body } } } }),
    responses,
    ...(options.authMode !== "none" && route.access !== "public" && { security: security(route, options) }),
  };
}

function errorStatuses(route: Route, closed: boolean): number[] {
  const guarded = closed && route.access !== "public";
  return [...new Set([...OPERATIONS[route.operation].errors, ...(guarded ? AUTHORIZER_STATUSES : []), ...GATEWAY_STATUSES])].sort((a, b) => a - b);
}

function security(route: Route, options: OpenApiOptions): Record<string, string[]>[] {
  if (options.authMode === "iam") return [{ sigv4: [] }];
  // Alternatives: any one of the route's scopes admits the token.
  return (options.requireScopes ?? true) ? routeScopes(route).map((scope) => ({ jwt: [scope] })) : [{ jwt: [] }];
}

function securityScheme(mode: AuthMode): { name: string; scheme: Schema } | undefined {
  if (mode === "jwt") {
    return {
      name: "jwt",
      scheme: { type: "http", scheme: "bearer", bearerFormat: "JWT", description: "A token of the stack's OIDC issuer (`jwtIssuer`) for one of its audiences (`jwtAudiences`), checked by API Gateway's JWT authorizer; the owner of the caller's jobs is the token's issuer and subject." },
    };
  }
  if (mode === "iam") {
    return {
      name: "sigv4",
      // OpenAPI has no SigV4 scheme: an Authorization header, as API Gateway's own exports describe it.
      scheme: {
        type: "apiKey",
        in: "header",
        name: "Authorization",
        description: "An AWS Signature Version 4 signature (service `execute-api`), checked by API Gateway's `AWS_IAM` authorization; the owner of the caller's jobs is the calling IAM principal.",
        "x-amazon-apigateway-authtype": "awsSigv4",
      },
    };
  }
  return undefined;
}

/** A query schema's entries as query parameters (every value a string, as a query string gives it). */
function queryParameters(query: v.GenericSchema): Schema[] {
  const { query: json } = toJsonSchemaDefs({ query }, CONVERSION) as { query: { properties: Record<string, Schema>; required: string[] } };
  return Object.entries(json.properties).map(([name, schema]) => ({ name, in: "query", required: json.required.includes(name), description: PARAMETER_NOTES[name], schema }));
}

/** `Submission.<type>` per job type (characters a component name may not have become `_`). */
function submissionNames(jobTypes: JobTypeRegistry): [string, string][] {
  return [...jobTypes.keys()].map((type) => [type, `Submission.${type.replace(/[^\w.-]/g, "_")}`]);
}

function componentSchemas(jobTypes: JobTypeRegistry): Record<string, unknown> {
  // The submission envelope with the type fixed and the payload that type's own schema.
  const submissions = Object.fromEntries(
    submissionNames(jobTypes).map(([type, name]) => [name, v.strictObject({ ...api.SubmissionSchema.entries, type: v.literal(type), payload: jobTypes.get(type)!.schema })]),
  );
  // The same, as a batch item: with its own optional Idempotency-Key.
  const batchItems = Object.fromEntries(
    submissionNames(jobTypes).map(([type, name]) => [`Batch${name}`, v.strictObject({ ...api.BatchJobSchema.entries, type: v.literal(type), payload: jobTypes.get(type)!.schema })]),
  );
  const schemas: Record<string, JsonSchema> = toJsonSchemaDefs(
    {
      JobAccepted: api.JobAcceptedSchema,
      JobView: api.JobViewSchema,
      Attempt: api.AttemptSchema,
      JobListItem: api.JobListItemSchema,
      JobList: api.JobListSchema,
      JobSummary: api.JobSummarySchema,
      BulkRequest: api.BulkRequestSchema,
      BulkFilter: api.BulkFilterSchema,
      BulkDryRun: api.BulkDryRunSchema,
      BulkResult: api.BulkResultSchema,
      BatchResponse: api.BatchResponseSchema,
      JobTypes: api.JobTypesSchema,
      Problem: api.ProblemSchema,
      GatewayMessage: api.GatewayMessageSchema,
      ...submissions,
      ...batchItems,
    },
    CONVERSION,
  );
  schemas.BulkRequest!.description = "Exactly one of `filter` and `jobIds`.";
  schemas.Problem!.description = "An RFC 9457 problem: every error CloudQueue answers itself. Act on `status` and `type`, never on the text.";
  schemas.GatewayMessage!.description = "API Gateway's own answer (its authorizer's 401 and 403, a body over its limit, throttling, an integration that failed or timed out). Act on the status, never on the text.";
  for (const [type, name] of submissionNames(jobTypes)) {
    schemas[name]!.description = `A \`${type}\` job: ${jobTypes.get(type)!.description}`;
    schemas[`Batch${name}`]!.description = `A \`${type}\` job of a batch: ${jobTypes.get(type)!.description}`;
  }
  return schemas;
}

function describeDocument(options: OpenApiOptions): string {
  const mode =
    options.authMode === "none"
      ? "authMode `none` (the public demo: no authorizer, every caller is one owner)"
      : options.authMode === "iam"
        ? "authMode `iam` (requests signed with SigV4)"
        : `authMode \`jwt\` with route scopes ${(options.requireScopes ?? true) ? "required (a token needs one of the operation's scopes)" : "not required (any valid token)"}`;
  return [
    "CloudQueue's HTTP API. Generated from the route table (`handlers/routes.ts`), the valibot schemas (`handlers/api/schemas.ts`), the job types and the problem types (`handlers/api/http.ts`): not written by hand.",
    `This document describes a stack with ${mode} and the job types ${[...options.jobTypes.keys()].map((type) => `\`${type}\``).join(", ")}. Every stack serves the document of its own mode and job types at \`GET /openapi.json\`.`,
    [
      "- `HEAD` is answered wherever `GET` is: the same status and headers, no body.",
      "- A path no operation has is answered `404` (`#/components/responses/NotFound`); a path asked with a method it does not take, `405` with `Allow` (`#/components/responses/MethodNotAllowed`).",
      "- The errors CloudQueue answers itself are RFC 9457 problems (`application/problem+json`); API Gateway's own answers (an authorizer's 401 and 403, a body over its 10 MiB, throttling, an integration that failed or timed out) are `{\"message\"}` as `application/json`. Act on the status and the problem `type`, never on a text.",
    ].join("\n"),
    problemTable(),
  ].join("\n\n");
}
