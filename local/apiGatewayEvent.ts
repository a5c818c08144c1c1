import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { APIGatewayEventRequestContextV2, APIGatewayProxyEventV2WithRequestContext, APIGatewayProxyResultV2 } from "aws-lambda";
import { problem } from "../handlers/api/http";
import type { RouteMatch } from "../handlers/routes";

/**
 * The request target as a URL whose path is the target's own (`//a/jobs` stays that path, as
 * API Gateway's `rawPath` keeps it), or `undefined` for a target that is not an origin-form path.
 */
export function requestUrl(request: IncomingMessage): URL | undefined {
  const target = request.url ?? "/";
  if (!target.startsWith("/")) return undefined;
  try {
    return new URL(`http://local${target}`);
  } catch {
    return undefined;
  }
}

/** A response as the local front writes it. */
export interface FrontResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: Buffer;
}

/**
 * A request's headers as API Gateway passes them: lower-case names, a repeated header's values
 * joined with commas; `cookie` apart (payload 2.0 lists cookies on their own).
 */
export function requestHeaders(request: IncomingMessage): { headers: Record<string, string>; cookies: string[] | undefined } {
  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  for (let index = 0; index < request.rawHeaders.length; index += 2) {
    const name = request.rawHeaders[index]!.toLowerCase();
    const value = request.rawHeaders[index + 1]!;
    if (name === "cookie") {
      cookies = [...(cookies ?? []), ...value.split(";").map((cookie) => cookie.trim()).filter(Boolean)];
      continue;
    }
    headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
  }
  return { headers, cookies };
}

/**
 * The payload 2.0 request context with what an authorizer passed on, as API Gateway sets it
 * (`{ jwt: { claims, scopes } }`, `{ iam: { … } }`); absent on a route without an authorizer.
 */
export type LocalRequestContext = APIGatewayEventRequestContextV2 & { authorizer?: Record<string, unknown> };

/**
 * The payload format 2.0 event API Gateway's HTTP API builds for a request matched to a route:
 * lower-case headers (repeated ones joined with commas), cookies apart, query parameters, path
 * parameters, the body as text, or base64 when it is not UTF-8 text, and `authorizer`, when
 * given, as `requestContext.authorizer`.
 */
export function toApiGatewayEvent(
  request: IncomingMessage,
  body: Buffer,
  match: Pick<RouteMatch, "routeKey" | "pathParameters">,
  host: string,
  authorizer?: Record<string, unknown>,
): APIGatewayProxyEventV2WithRequestContext<LocalRequestContext> {
  const url = requestUrl(request) ?? new URL("http://local/");
  const { headers, cookies } = requestHeaders(request);
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) query[name] = query[name] === undefined ? value : `${query[name]},${value}`;
  const text = isTextBody(headers["content-type"]) ? decodeUtf8(body) : undefined;
  const now = new Date();
  const method = (request.method ?? "GET").toUpperCase();
  return {
    version: "2.0",
    routeKey: match.routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    ...(cookies && { cookies }),
    headers,
    ...(Object.keys(query).length > 0 && { queryStringParameters: query }),
    ...(Object.keys(match.pathParameters).length > 0 && { pathParameters: match.pathParameters }),
    requestContext: {
      accountId: "000000000000",
      apiId: "local",
      ...(authorizer && { authorizer }),
      domainName: host,
      domainPrefix: host.split(".")[0] ?? host,
      http: {
        method,
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? "127.0.0.1",
        userAgent: headers["user-agent"] ?? "",
      },
      requestId: randomUUID(),
      routeKey: match.routeKey,
      stage: "$default",
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(body.length > 0 && { body: text ?? body.toString("base64") }),
    isBase64Encoded: body.length > 0 && text === undefined,
  };
}

/**
 * Maps what the function returned to the HTTP response, as API Gateway does for payload 2.0: a
 * structured result is taken as it is; anything else is a 200 JSON body of the value.
 */
export function fromLambdaResult(result: APIGatewayProxyResultV2): FrontResponse {
  if (typeof result === "object" && result !== null && "statusCode" in result && typeof result.statusCode === "number") {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(result.headers ?? {})) headers[name.toLowerCase()] = String(value);
    const raw = result.body ?? "";
    const body = result.isBase64Encoded ? Buffer.from(raw, "base64") : Buffer.from(raw, "utf8");
    if (result.cookies?.length) headers["set-cookie"] = result.cookies.join(", ");
    return { statusCode: result.statusCode, headers, body };
  }
  const body = typeof result === "string" ? result : JSON.stringify(result);
  return { statusCode: 200, headers: { "content-type": "application/json" }, body: Buffer.from(body, "utf8") };
}

/** A problem+json answer of the front itself (not the function's), as bytes. */
export function problemResponse(status: number, type: string, title: string, detail: string): FrontResponse {
  const response = problem(status, type, title, detail);
  return { statusCode: status, headers: response.headers, body: Buffer.from(response.body) };
}

/** What API Gateway answers when the function throws or times out: a bare 500. */
export function integrationFailure(): FrontResponse {
  return { statusCode: 500, headers: { "content-type": "application/json" }, body: Buffer.from(JSON.stringify({ message: "Internal Server Error" })) };
}

/** Media types API Gateway passes as text rather than base64. */
function isTextBody(contentType: string | undefined): boolean {
  const mediaType = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  return mediaType === "" || mediaType.startsWith("text/") || /^application\/([\w.+-]+\+)?(json|xml)$/.test(mediaType) || mediaType === "application/x-www-form-urlencoded";
}

/** The bytes as text when they are valid UTF-8; otherwise `undefined` (sent as base64). */
function decodeUtf8(bytes: Buffer): string | undefined {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}
