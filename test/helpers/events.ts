import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { matchRoute } from "../../handlers/routes";

export interface ApiRequest {
  method: string;
  path: string;
  body?: unknown;
  /** Sent as-is when a string; JSON-encoded otherwise. */
  rawBody?: string | Buffer;
  headers?: Record<string, string>;
  /** `requestContext.authorizer`: what API Gateway's authorizer verified (see {@link jwtCaller}, {@link iamCaller}). */
  authorizer?: Record<string, unknown>;
}

/** The issuer of the tests' JWT callers. */
export const TEST_ISSUER = "https://issuer.example.com/";

/**
 * What API Gateway's JWT authorizer passes for a verified token of `sub` (payload 2.0): the
 * claims as strings, and the token's scopes (the route requires scopes).
 */
export function jwtCaller(sub: string, scopes: string[] = ["cloudqueue/submit", "cloudqueue/read"], issuer = TEST_ISSUER): Record<string, unknown> {
  return { jwt: { claims: { iss: issuer, sub, aud: "cloudqueue", scope: scopes.join(" "), exp: "4102444800", iat: "1700000000" }, scopes } };
}

/** What API Gateway passes for a SigV4-verified IAM caller (payload 2.0). */
export function iamCaller(userArn: string): Record<string, unknown> {
  return { iam: { accessKey: "AKIAEXAMPLE", accountId: "123456789012", callerId: "AIDAEXAMPLE", cognitoIdentity: null, principalOrgId: null, userArn, userId: "AIDAEXAMPLE" } };
}

/**
 * The payload 2.0 event API Gateway's HTTP API would send for a request, routed with the same
 * route table as the deployed API (unmatched paths get the `$default` route key).
 */
export function apiEvent(request: ApiRequest): APIGatewayProxyEventV2 {
  const [rawPath, rawQueryString = ""] = request.path.split("?") as [string, string?];
  const match = matchRoute(request.method, rawPath);
  const headers: Record<string, string> = { "content-type": "application/json", ...lowerCaseKeys(request.headers ?? {}) };
  let body: string | undefined;
  let isBase64Encoded = false;
  if (Buffer.isBuffer(request.rawBody)) {
    body = request.rawBody.toString("base64");
    isBase64Encoded = true;
  } else if (typeof request.rawBody === "string") {
    body = request.rawBody;
  } else if (request.body !== undefined) {
    body = JSON.stringify(request.body);
  }
  // As API Gateway: decoded, a repeated parameter's values joined with commas.
  const query: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(rawQueryString)) query[name] = query[name] === undefined ? value : `${query[name]},${value}`;
  return {
    version: "2.0",
    routeKey: match?.routeKey ?? "$default",
    rawPath,
    rawQueryString,
    ...(Object.keys(query).length > 0 && { queryStringParameters: query }),
    headers,
    pathParameters: match && Object.keys(match.pathParameters).length > 0 ? match.pathParameters : undefined,
    requestContext: {
      accountId: "123456789012",
      apiId: "local",
      domainName: "localhost",
      domainPrefix: "localhost",
      http: { method: request.method, path: rawPath, protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: "test" },
      requestId: `req-${Math.random().toString(36).slice(2)}`,
      routeKey: match?.routeKey ?? "$default",
      stage: "$default",
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
      ...(request.authorizer && { authorizer: request.authorizer }),
    } as APIGatewayProxyEventV2["requestContext"],
    body,
    isBase64Encoded,
  };
}

function lowerCaseKeys(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([key, value]) => [key.toLowerCase(), value]));
}

/** A Lambda context with `remainingMs` left. */
export function lambdaContext(remainingMs = 60_000) {
  const deadline = Date.now() + remainingMs;
  return { getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()) };
}
