import type { APIGatewayProxyEventV2 } from "aws-lambda";
import * as v from "valibot";
import type { AuthSettings } from "./authSettings";
import type { Route } from "../routes";
import { PUBLIC_OWNER, routeScopes, SCOPES } from "./authMode";

/** Who is asking: the owner its jobs are stored under, and whether it sees every owner's jobs. */
export interface Caller {
  owner: string;
  admin: boolean;
  /** The token's scopes (`jwt`); empty otherwise. */
  scopes: string[];
}

/** The caller of a `none` stack: everyone is the one public owner, and no one is admin. */
export const PUBLIC_CALLER: Caller = { owner: PUBLIC_OWNER, admin: false, scopes: [] };

// What API Gateway puts in `requestContext.authorizer` (payload format 2.0). Claims arrive as
// strings (API Gateway flattens numbers and lists); `scopes` is the token's scopes when the route
// requires scopes, otherwise null.
const JwtContext = v.object({
  jwt: v.object({
    claims: v.record(v.string(), v.unknown()),
    scopes: v.nullish(v.array(v.string())),
  }),
});
const IamContext = v.object({
  iam: v.object({ userArn: v.pipe(v.string(), v.minLength(1)) }),
});

/**
 * The caller of a request, from the identity API Gateway verified (the JWT authorizer's claims,
 * or the SigV4 principal); `undefined` when a closed stack's request carries none (a route
 * declared without its authorizer: the handler refuses it rather than trust it).
 *
 * - `jwt`: the owner is `jwt:<iss>#<sub>` (`client_id` when a machine token has no `sub`); the
 *   admin scope makes an admin.
 * - `iam`: the owner is `iam:<principal ARN>`, an assumed-role session reduced to its role
 *   (`arn:aws:sts::1:assumed-role/R/session` → `arn:aws:iam::1:role/R`), so that every session of
 *   one role, such as each Lambda container of a caller, owns the same jobs; the principals listed
 *   in `adminPrincipals` are admins.
 */
export function callerOf(event: APIGatewayProxyEventV2, settings: Pick<AuthSettings, "mode" | "adminPrincipals">): Caller | undefined {
  if (settings.mode === "none") return PUBLIC_CALLER;
  const authorizer = (event.requestContext as { authorizer?: unknown } | undefined)?.authorizer;
  if (settings.mode === "jwt") {
    const context = v.safeParse(JwtContext, authorizer);
    if (!context.success) return undefined;
    const { claims, scopes } = context.output.jwt;
    const issuer = claimText(claims.iss);
    const subject = claimText(claims.sub) ?? claimText(claims.client_id);
    if (issuer === undefined || subject === undefined) return undefined;
    const granted = [...new Set([...(scopes ?? []), ...scopeList(claims.scope), ...scopeList(claims.scp)])];
    return { owner: `jwt:${issuer}#${subject}`, admin: granted.includes(SCOPES.admin), scopes: granted };
  }
  const context = v.safeParse(IamContext, authorizer);
  if (!context.success) return undefined;
  const principal = principalOf(context.output.iam.userArn);
  return { owner: `iam:${principal}`, admin: settings.adminPrincipals.map(principalOf).includes(principal), scopes: [] };
}

/**
 * Whether a `jwt` caller holds one of the route's scopes, when the stack requires them. API
 * Gateway checks this on each route, but not on `$default`, which has no scopes of its own: a
 * `HEAD /jobs/{jobId}`, which no route key matches, reaches the function there and is served as
 * the GET. The handler checks every operation, so no path skips a route's scope.
 */
export function holdsRouteScope(caller: Caller, route: Pick<Route, "access">, settings: Pick<AuthSettings, "mode" | "requireScopes">): boolean {
  if (settings.mode !== "jwt" || !settings.requireScopes || route.access === "public") return true;
  return routeScopes(route).some((scope) => caller.scopes.includes(scope));
}

/** An IAM principal's ARN as CloudQueue compares it: an assumed-role session becomes its role. */
export function principalOf(arn: string): string {
  const session = /^arn:(aws[\w-]*):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(arn);
  return session ? `arn:${session[1]}:iam::${session[2]}:role/${session[3]}` : arn;
}

function claimText(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

/**
 * A scope claim as API Gateway passes it: `"a b"`, or a list flattened to `"[a b]"`. Split on
 * single spaces only (RFC 6749 §3.3), as the authorizer reads it: a looser split here would grant
 * a scope, such as admin, that the authorizer did not see in the claim.
 */
function scopeList(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === "string");
  if (typeof value !== "string") return [];
  return value.replace(/^\[(.*)\]$/, "$1").split(" ").filter((scope) => scope !== "");
}
