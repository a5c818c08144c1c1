import type { RouteAccess } from "../handlers/routes";
import type { FrontResponse } from "./apiGatewayEvent";

/**
 * A request as the local front hands it to an authorizer: everything a JWT or a SigV4 check
 * reads, taken from the wire before the request becomes a payload 2.0 event.
 */
export interface AuthorizationRequest {
  /** Upper-case method, e.g. `POST`. */
  method: string;
  /** The raw path, as the request target carries it (not decoded), e.g. `/jobs/abc`. */
  path: string;
  /** The raw query string without the `?` (not decoded); `""` when there is none. */
  rawQuery: string;
  /** Lower-case header names; a repeated header's values joined with commas, as API Gateway joins them. */
  headers: Record<string, string>;
  /** The whole request body (empty when there is none). */
  body: Buffer;
  /** The `Host` the request was sent to (host[:port]), as the front resolved it. */
  host: string;
}

/**
 * The route a checked request matched: one of the route table's entries, or `"default"` for a
 * request that reaches the api through API Gateway's `$default` route (an unknown path or
 * method under the API's paths), which carries the authorizer on a closed stack.
 */
export type AuthorizationRoute = { access: RouteAccess } | "default";

/**
 * What an authorizer decides:
 * - `ok: true`: the request goes on to the api function, and `authorizer` becomes the event's
 *   `requestContext.authorizer` exactly as API Gateway would pass it (e.g.
 *   `{ jwt: { claims, scopes } }` for a JWT authorizer, `{ iam: { … } }` for `AWS_IAM`).
 * - `ok: false`: the front answers `response` as it is (API Gateway's own 401 or 403); the api
 *   function is not invoked. The front adds the CORS headers.
 */
export type AuthorizationResult = { ok: true; authorizer: Record<string, unknown> } | { ok: false; response: FrontResponse };

/**
 * The local stand-in for an HTTP API authorizer (`jwt` or `iam` mode), which the front calls for
 * every request API Gateway would send through an authorizer: each route whose `access` is not
 * `public`, and the `$default` route. Never called for CORS preflights, public routes, site
 * files, `config.json`, `/metrics` or `/.well-known/*`.
 *
 * Must never reject: whatever the request holds, a bad credential is an `ok: false` answer
 * (API Gateway answers 401/403 for any input, never a 5xx). The front still turns a rejection
 * into a 500, but that is a bug of the authorizer.
 */
export interface LocalAuthorizer {
  authorize(request: AuthorizationRequest, route: AuthorizationRoute): Promise<AuthorizationResult>;
}

/** The JSON answers API Gateway gives for a refused request, e.g. `{"message":"Unauthorized"}`. */
export function gatewayMessage(statusCode: number, message: string, headers: Record<string, string> = {}): FrontResponse {
  return { statusCode, headers: { "content-type": "application/json", ...headers }, body: Buffer.from(JSON.stringify({ message })) };
}
