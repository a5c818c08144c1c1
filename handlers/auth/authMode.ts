import type { Route } from "../routes";

/**
 * How a stack admits callers (SPEC §11, `authMode` in `Pulumi.yaml`):
 * - `none`: the public demo. Anyone may submit, and read, cancel or retry any job whose id they
 *   know; every caller is the one owner {@link PUBLIC_OWNER}.
 * - `jwt`: API Gateway's JWT authorizer (any OIDC issuer) on every job route; the owner is the
 *   token's issuer and subject.
 * - `iam`: `AWS_IAM` authorization (SigV4); the owner is the calling IAM principal.
 */
export const AUTH_MODES = ["none", "jwt", "iam"] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

/**
 * The OAuth scopes a `jwt` stack checks per route (when `jwtRequireScopes` is on): `submit` to
 * submit, cancel and retry, `read` to read, `admin` for every route and every owner's jobs.
 */
export const SCOPES = {
  submit: "cloudqueue/submit",
  read: "cloudqueue/read",
  admin: "cloudqueue/admin",
} as const;

/** The owner of every job on a `none` stack, and of jobs stored before owners were recorded. */
export const PUBLIC_OWNER = "public";

/**
 * The scopes a route accepts, any one of which admits a token: its own and the admin scope.
 * Empty for a public route (no authorizer at all).
 */
export function routeScopes(route: Pick<Route, "access">): string[] {
  return route.access === "public" ? [] : [SCOPES[route.access], SCOPES.admin];
}

/** Whether a route carries the stack's authorizer in `mode`. */
export function isAuthorized(route: Pick<Route, "access">, mode: AuthMode): boolean {
  return mode !== "none" && route.access !== "public";
}
