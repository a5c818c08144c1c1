import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import type { FieldError } from "../domain/submission";

export type HttpResponse = APIGatewayProxyStructuredResultV2 & { statusCode: number; headers: Record<string, string>; body: string };

/**
 * Every API answer is about state that changes (a job's status): no cache, the site's CDN in
 * front included, may keep one.
 */
const NO_STORE = { "cache-control": "no-store" } as const;

/** A JSON response. */
export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
  return { statusCode, headers: { "content-type": "application/json", ...NO_STORE, ...headers }, body: JSON.stringify(body) };
}

/** Problem types (RFC 9457 `type`), one per kind of client error. */
export const ProblemType = {
  validation: "urn:cloudqueue:problem:validation",
  malformedJson: "urn:cloudqueue:problem:malformed-json",
  unsupportedMediaType: "urn:cloudqueue:problem:unsupported-media-type",
  payloadTooLarge: "urn:cloudqueue:problem:payload-too-large",
  notFound: "urn:cloudqueue:problem:not-found",
  unauthenticated: "urn:cloudqueue:problem:unauthenticated",
  forbidden: "urn:cloudqueue:problem:forbidden",
  methodNotAllowed: "urn:cloudqueue:problem:method-not-allowed",
  conflict: "urn:cloudqueue:problem:state-conflict",
  idempotencyConflict: "urn:cloudqueue:problem:idempotency-key-conflict",
  unavailable: "urn:cloudqueue:problem:unavailable",
  starting: "urn:cloudqueue:problem:starting",
  internal: "urn:cloudqueue:problem:internal",
} as const;

/** An RFC 9457 `application/problem+json` response. */
export function problem(statusCode: number, type: string, title: string, detail: string, errors?: FieldError[]): HttpResponse {
  return {
    statusCode,
    headers: { "content-type": "application/problem+json", ...NO_STORE },
    body: JSON.stringify({ type, title, status: statusCode, detail, ...(errors && { errors }) }),
  };
}

/** A header by name, case-insensitively (HTTP API lower-cases them; tests and proxies may not). */
export function header(event: APIGatewayProxyEventV2, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}

/** `application/json`, with or without parameters, or any `application/*+json`. */
export function isJsonContentType(value: string | undefined): boolean {
  if (!value) return false;
  const mediaType = value.split(";")[0]!.trim().toLowerCase();
  return mediaType === "application/json" || /^application\/[\w.+-]+\+json$/.test(mediaType);
}

/**
 * The request's JSON body: 415 when not declared JSON, 413 over `maxBytes`, 400 for bytes that
 * are not UTF-8 or text that is not JSON.
 */
export function readJsonBody(event: APIGatewayProxyEventV2, maxBytes: number): { ok: true; body: unknown } | { ok: false; response: HttpResponse } {
  if (!isJsonContentType(header(event, "content-type"))) {
    return { ok: false, response: problem(415, ProblemType.unsupportedMediaType, "Unsupported Media Type", "the request body must be application/json") };
  }
  const bytes = Buffer.from(event.body ?? "", event.isBase64Encoded ? "base64" : "utf8");
  if (bytes.length > maxBytes) {
    return { ok: false, response: problem(413, ProblemType.payloadTooLarge, "Content Too Large", `the request body must be at most ${maxBytes} bytes`) };
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return { ok: false, response: problem(400, ProblemType.malformedJson, "Bad Request", "the request body is not valid UTF-8", [{ path: "", message: "invalid UTF-8" }]) };
  }
  let wellFormed = true;
  let body: unknown;
  try {
    // Lone surrogates (`"\ud800"`) are valid JSON but not Unicode text: DynamoDB refuses them
    // and no job can use them, so they are refused here, as a client error.
    body = JSON.parse(text, (key, value) => {
      if (!key.isWellFormed() || (typeof value === "string" && !value.isWellFormed())) wellFormed = false;
      return value;
    });
  } catch (error) {
    const message = error instanceof SyntaxError ? error.message : "invalid JSON";
    return { ok: false, response: problem(400, ProblemType.malformedJson, "Bad Request", "the request body is not valid JSON", [{ path: "", message }]) };
  }
  if (!wellFormed) {
    return { ok: false, response: problem(400, ProblemType.malformedJson, "Bad Request", "the request body has a string that is not well-formed Unicode", [{ path: "", message: "lone UTF-16 surrogate in a string" }]) };
  }
  return { ok: true, body };
}
