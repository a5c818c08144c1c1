import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet, type JWTPayload } from "jose";
import { routeScopes } from "../handlers/auth/authMode";
import type { FrontResponse } from "./apiGatewayEvent";
import { gatewayMessage, type AuthorizationRequest, type AuthorizationResult, type AuthorizationRoute, type LocalAuthorizer } from "./localAuthorizer";

/** The algorithms API Gateway's JWT authorizer accepts: RSA signatures only (no `none`, no HMAC, no EC). */
export const JWT_ALGORITHMS = ["RS256", "RS384", "RS512"] as const;

export interface JwtAuthorizerOptions {
  /** The `iss` a token must carry, exactly. */
  issuer: string;
  /** The audience: a token's `aud` must contain it, or, with no `aud`, its `client_id` must equal it. */
  audience: string;
  /** The issuer's public keys (its `jwks_uri` document). */
  jwks: JSONWebKeySet;
  /**
   * Whether each route's scopes are required (`routeScopes`): a token must carry one of them.
   * The deployed stack's default (`jwtRequireScopes`). @default true
   */
  requireScopes?: boolean;
  /** The clock, in ms since the epoch. @default Date.now */
  now?: () => number;
}

/** `401` for a request without a token: no `error`, as RFC 6750 §3.1 has it for a missing credential. */
export function missingTokenResponse(): FrontResponse {
  return gatewayMessage(401, "Unauthorized", { "www-authenticate": "Bearer" });
}

/** `401` for a token that failed any check; which one is not said. */
export function invalidTokenResponse(): FrontResponse {
  return gatewayMessage(401, "Unauthorized", { "www-authenticate": 'Bearer error="invalid_token"' });
}

/** `403` for a valid token without any of the route's scopes. */
export function insufficientScopeResponse(): FrontResponse {
  return gatewayMessage(403, "Forbidden", { "www-authenticate": 'Bearer error="insufficient_scope"' });
}

/**
 * The local stand-in for API Gateway's HTTP API JWT authorizer
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-jwt-authorizer.html):
 * the token from the `Authorization` header (alone or after `Bearer `); an RSA algorithm; a `kid`
 * naming a key of the JWKS; the signature (jose, the algorithms pinned); `iss`; `aud`, or
 * `client_id` when there is no `aud`; `exp` in the future, `nbf` and `iat` not; then, when scopes
 * are required, one of the route's scopes in `scope` or `scp`.
 *
 * The `$default` route (`"default"`) needs a valid token but no scope: it only answers 404 and
 * 405, and which scope would it need?
 *
 * Never rejects: any failure, a throw of jose included, is a 401.
 */
export function createJwtAuthorizer(options: JwtAuthorizerOptions): LocalAuthorizer {
  const keys = createLocalJWKSet(options.jwks);
  const kids = new Set(options.jwks.keys.map((key) => key.kid).filter((kid) => typeof kid === "string"));
  const requireScopes = options.requireScopes ?? true;
  const now = options.now ?? Date.now;

  async function verify(token: string): Promise<JWTPayload | undefined> {
    const header = decodeProtectedHeader(token);
    if (!(JWT_ALGORITHMS as readonly unknown[]).includes(header.alg)) return undefined;
    if (typeof header.kid !== "string" || !kids.has(header.kid)) return undefined;
    const currentDate = new Date(now());
    // `exp` required: a token that never expires is not one API Gateway takes.
    const { payload } = await jwtVerify(token, keys, { issuer: options.issuer, algorithms: [...JWT_ALGORITHMS], currentDate, requiredClaims: ["exp"] });
    if (!hasAudience(payload, options.audience)) return undefined;
    // jose checks `iat` against the clock only with `maxTokenAge`; API Gateway refuses one from the future.
    if (typeof payload.iat === "number" && payload.iat > Math.floor(currentDate.getTime() / 1000)) return undefined;
    return payload;
  }

  return {
    async authorize(request: AuthorizationRequest, route: AuthorizationRoute): Promise<AuthorizationResult> {
      const token = tokenOf(request.headers.authorization);
      if (token === undefined) return { ok: false, response: missingTokenResponse() };
      let payload: JWTPayload | undefined;
      try {
        payload = await verify(token);
      } catch {
        payload = undefined;
      }
      if (!payload) return { ok: false, response: invalidTokenResponse() };
      const required = requireScopes && route !== "default" ? routeScopes(route) : [];
      const granted = tokenScopes(payload);
      if (required.length > 0 && !required.some((scope) => granted.includes(scope))) return { ok: false, response: insufficientScopeResponse() };
      return { ok: true, authorizer: { jwt: { claims: flattenClaims(payload), scopes: required.length > 0 ? granted : null } } };
    },
  };
}

/** The token of an `Authorization` value (`Bearer <token>` or the token alone); `undefined` when there is none. */
function tokenOf(authorization: string | undefined): string | undefined {
  const value = authorization?.trim() ?? "";
  if (value === "") return undefined;
  return value.replace(/^Bearer\s+/i, "");
}

function hasAudience(payload: JWTPayload, audience: string): boolean {
  if (payload.aud !== undefined) return Array.isArray(payload.aud) ? payload.aud.includes(audience) : payload.aud === audience;
  return payload.client_id === audience;
}

/** The token's scopes: its `scope` claim (space-separated), then `scp` (a string or a list). */
export function tokenScopes(payload: JWTPayload): string[] {
  const listed = (value: unknown): string[] => {
    if (typeof value === "string") return value.split(" ").filter((scope) => scope !== "");
    if (Array.isArray(value)) return value.filter((scope): scope is string => typeof scope === "string");
    return [];
  };
  return [...new Set([...listed(payload.scope), ...listed(payload.scp)])];
}

/**
 * The claims as API Gateway passes them to the function: every value a string (strings as they
 * are, numbers and booleans printed, lists `[a b]`, objects as JSON).
 */
export function flattenClaims(payload: JWTPayload): Record<string, string> {
  return Object.fromEntries(Object.entries(payload).map(([name, value]) => [name, claimText(value)]));
}

function claimText(value: unknown): string {
  if (typeof value === "string") return value;
  if (Array.isArray(value)) return `[${value.map((item) => (typeof item === "string" ? item : JSON.stringify(item))).join(" ")}]`;
  if (typeof value === "object" && value !== null) return JSON.stringify(value);
  return String(value);
}
