import { ProblemType } from "./api/http";

/**
 * The parts of the OpenAPI document's answers that several operations share (see
 * `handlers/openapi.ts`): one error response per status, from the problem types and API
 * Gateway's own answers, and the response headers.
 */

/** The status every problem type is answered with (a new problem type does not compile without one). */
export const PROBLEM_STATUS: Readonly<Record<keyof typeof ProblemType, number>> = {
  validation: 400,
  malformedJson: 400,
  unsupportedMediaType: 415,
  payloadTooLarge: 413,
  notFound: 404,
  unauthenticated: 401,
  forbidden: 403,
  methodNotAllowed: 405,
  conflict: 409,
  idempotencyConflict: 422,
  unavailable: 503,
  starting: 503,
  internal: 500,
};

/**
 * `components.responses` of the answers no operation owns: a path no operation has (`404`), a
 * known path asked with a method it does not take (`405`, with `Allow`).
 */
export const UNROUTED_RESPONSES = { notFound: "NotFound", methodNotAllowed: "MethodNotAllowed" } as const;

/** What API Gateway itself may answer any route with: throttling, an integration that failed or timed out. */
export const GATEWAY_STATUSES = [429, 500, 502, 503, 504];
/** What API Gateway's authorizer answers on a route it guards. */
export const AUTHORIZER_STATUSES = [401, 403];
/** API Gateway's answer to a body over its own limit (10 MiB), before the function's smaller one. */
const GATEWAY_TOO_LARGE = 413;

const REASONS: Readonly<Record<number, string>> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

const HEADERS = {
  Location: { description: "The job's path, `/jobs/{jobId}`.", schema: { type: "string" } },
  "Idempotent-Replayed": { description: "`true`: the answer of an earlier request with this Idempotency-Key.", schema: { type: "string", const: "true" } },
  "Retry-After": { description: "Seconds to wait before retrying.", schema: { type: "string" } },
  Allow: { description: "The methods the path takes.", schema: { type: "string" } },
  "WWW-Authenticate": { description: "The bearer challenge (RFC 6750), with `error` and `scope` when a token was refused.", schema: { type: "string" } },
} as const;

export type ResponseHeader = keyof typeof HEADERS;

/** A Header Object; `required`: every answer of its status sends it. */
export function header(name: ResponseHeader, required: boolean): Record<string, unknown> {
  return { ...HEADERS[name], ...(required && { required }) };
}

/** A reference to a schema of `components.schemas`. */
export function schemaRef(name: string): Record<string, unknown> {
  return { $ref: `#/components/schemas/${name}` };
}

/** The name under `components.responses` of an error status: its reason phrase, e.g. `ContentTooLarge`. */
export function responseName(status: number): string {
  return REASONS[status]!.replace(/ /g, "");
}

/**
 * One `components.responses` entry per status: CloudQueue's problem (`application/problem+json`,
 * its `type` one of that status's problem types), API Gateway's `{"message"}`
 * (`application/json`), or either. An authorizer's 401 and 403 exist only on a closed stack.
 */
export function errorResponses(statuses: number[], closed: boolean): Record<string, unknown> {
  const gatewayStatuses = [...GATEWAY_STATUSES, GATEWAY_TOO_LARGE, ...(closed ? AUTHORIZER_STATUSES : [])];
  const headers: Record<number, Record<string, unknown>> = {
    401: { "WWW-Authenticate": header("WWW-Authenticate", false) },
    403: { "WWW-Authenticate": header("WWW-Authenticate", false) },
    405: { Allow: header("Allow", true) },
    503: { "Retry-After": header("Retry-After", false) },
  };
  return Object.fromEntries(
    statuses.map((status) => {
      const types = problemTypes()
        .filter((problem) => problem.status === status)
        .map((problem) => problem.type);
      const content: Record<string, unknown> = {};
      if (types.length > 0) content["application/problem+json"] = { schema: { ...schemaRef("Problem"), properties: { type: { enum: types }, status: { const: status } } } };
      if (gatewayStatuses.includes(status)) content["application/json"] = { schema: schemaRef("GatewayMessage") };
      return [responseName(status), { description: REASONS[status], ...(headers[status] && { headers: headers[status] }), content }];
    }),
  );
}

/** The problem types and their statuses, as a Markdown table (for the document's description). */
export function problemTable(): string {
  const rows = problemTypes().map((problem) => `| \`${problem.type}\` | ${problem.status} |`);
  return `| Problem type | Status |\n|---|---|\n${rows.join("\n")}`;
}

/**
 * Every problem type with its status, by status then type: an order of their own, not the
 * objects' key order, which Pulumi's closure serializer does not keep (the Lambda's document
 * must be the same as the committed one).
 */
function problemTypes(): { type: string; status: number }[] {
  return Object.entries(ProblemType)
    .map(([key, type]) => ({ type, status: PROBLEM_STATUS[key as keyof typeof ProblemType] }))
    .sort((a, b) => a.status - b.status || (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
}
