/**
 * The HTTP API's route table: one entry per API Gateway route. The api handler dispatches on it,
 * the Pulumi program declares one route per entry, and the local stack's front matches requests
 * against it.
 *
 * `access` is what a caller needs on a closed stack (`authMode` `jwt` or `iam`): `public` routes
 * carry no authorizer; `read` and `submit` routes carry the stack's authorizer and, in `jwt` mode
 * with scopes required, accept a token holding that scope or the admin scope
 * (`handlers/auth/authMode.ts` {@link routeScopes}). `submit` covers every change a caller makes
 * to its jobs: submit, cancel, retry.
 */
export const routes = [
  { method: "POST", path: "/jobs", operation: "submitJob", access: "submit", summary: "Submit a job" },
  { method: "POST", path: "/jobs/batch", operation: "submitJobBatch", access: "submit", summary: "Submit up to 100 jobs at once, each accepted or refused on its own" },
  { method: "GET", path: "/jobs", operation: "listJobs", access: "read", summary: "List the caller's jobs, newest first, by status, type and time" },
  { method: "GET", path: "/jobs/summary", operation: "summarizeJobs", access: "read", summary: "Count the caller's jobs (every owner's for an admin) by status and type" },
  { method: "POST", path: "/jobs/bulk/retry", operation: "bulkRetryJobs", access: "submit", summary: "Retry failed or canceled jobs by filter or by id (dry run first)" },
  { method: "POST", path: "/jobs/bulk/cancel", operation: "bulkCancelJobs", access: "submit", summary: "Cancel queued jobs by filter or by id (dry run first)" },
  { method: "GET", path: "/jobs/{jobId}", operation: "getJob", access: "read", summary: "Read a job, with its attempt history" },
  { method: "DELETE", path: "/jobs/{jobId}", operation: "cancelJob", access: "submit", summary: "Cancel a queued job" },
  { method: "POST", path: "/jobs/{jobId}/retry", operation: "retryJob", access: "submit", summary: "Retry a failed or canceled job" },
  { method: "GET", path: "/job-types", operation: "listJobTypes", access: "public", summary: "The job types this stack runs, with their payload schemas" },
  { method: "GET", path: "/openapi.json", operation: "getOpenApi", access: "public", summary: "This API's OpenAPI 3.1 document" },
] as const;

export type Route = (typeof routes)[number];
export type Operation = Route["operation"];
export type RouteAccess = Route["access"];

/** API Gateway's route key of a route, e.g. `POST /jobs/{jobId}/retry`. */
export function routeKey(route: Route): string {
  return `${route.method} ${route.path}`;
}

/** A request matched to its route, with the path parameters API Gateway would pass. */
export interface RouteMatch {
  route: Route;
  routeKey: string;
  pathParameters: Record<string, string>;
}

/**
 * Matches a method and a raw path (no query string) as API Gateway does: literal segments
 * exactly, `{name}` one non-empty segment. `undefined` when nothing matches.
 */
export function matchRoute(method: string, path: string): RouteMatch | undefined {
  // As API Gateway: a literal segment wins over a parameter (`/jobs/summary` over `/jobs/{jobId}`).
  return routes
    .filter((route) => route.method === method.toUpperCase())
    .map((route) => matchPath(route, path))
    .filter((match) => match !== undefined)
    .sort((a, b) => Object.keys(a.pathParameters).length - Object.keys(b.pathParameters).length)[0];
}

/**
 * What the API answers for a method and path: a route, a known path asked with a method it does
 * not take (405, with the methods it does take for `Allow`), or nothing (404). The `$default`
 * route sends every request no route key matched to the api function, which answers with this.
 */
export type RouteResolution = { kind: "route"; match: RouteMatch } | { kind: "methodNotAllowed"; allow: string[] } | { kind: "notFound" };

export function resolveRoute(method: string, path: string): RouteResolution {
  // HEAD is GET without the body (RFC 9110): wherever GET is served, so is HEAD.
  const match = matchRoute(method.toUpperCase() === "HEAD" ? "GET" : method, path);
  if (match) return { kind: "route", match };
  const allow = [...new Set(routes.filter((route) => matchPath(route, path) !== undefined).flatMap((route) => (route.method === "GET" ? ["GET", "HEAD"] : [route.method])))];
  return allow.length > 0 ? { kind: "methodNotAllowed", allow } : { kind: "notFound" };
}

/** API Gateway's catch-all route key: requests no other route matched. */
export const DEFAULT_ROUTE_KEY = "$default";

/**
 * On a closed stack (`authMode` `jwt` or `iam`) the `$default` route carries the authorizer, and
 * API Gateway would send a CORS preflight that no route key matched to it, where it fails for
 * want of a token. This route, with no authorizer and a higher priority than `$default`, takes
 * every `OPTIONS` request instead; the api function answers it `204` and API Gateway adds the
 * CORS headers. Not an operation of the API: no entry in {@link routes}.
 */
export const PREFLIGHT_ROUTE_KEY = "OPTIONS /{proxy+}";

/**
 * The first path segments of the routes (`/jobs`, `/job-types`): under them a path belongs to the
 * API wherever the API shares an origin with the site (the site's distribution, the local front).
 */
export function apiPathPrefixes(): string[] {
  return [...new Set(routes.map((route) => `/${route.path.split("/")[1]}`))].sort();
}

/** Whether a path is one of {@link apiPathPrefixes} or under one. */
export function isApiPath(path: string): boolean {
  return apiPathPrefixes().some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
}

function matchPath(route: Route, path: string): RouteMatch | undefined {
  const segments = path.split("/");
  const pattern = route.path.split("/");
  if (pattern.length !== segments.length) return undefined;
  const pathParameters: Record<string, string> = {};
  const matches = pattern.every((part, index) => {
    const segment = segments[index]!;
    const parameter = /^\{(\w+)\}$/.exec(part);
    if (!parameter) return part === segment;
    if (segment === "") return false;
    pathParameters[parameter[1]!] = safeDecode(segment);
    return true;
  });
  return matches ? { route, routeKey: routeKey(route), pathParameters } : undefined;
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
