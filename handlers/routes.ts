/**
 * The HTTP API's route table: one entry per API Gateway route. The api handler dispatches on it,
 * the Pulumi program declares one route per entry, and the local stack's front matches requests
 * against it.
 */
export const routes = [
  { method: "POST", path: "/jobs", operation: "submitJob" },
  { method: "GET", path: "/jobs/{jobId}", operation: "getJob" },
  { method: "DELETE", path: "/jobs/{jobId}", operation: "cancelJob" },
  { method: "POST", path: "/jobs/{jobId}/retry", operation: "retryJob" },
  { method: "GET", path: "/job-types", operation: "listJobTypes" },
] as const;

export type Route = (typeof routes)[number];
export type Operation = Route["operation"];

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
  const segments = path.split("/");
  for (const route of routes) {
    if (route.method !== method.toUpperCase()) continue;
    const pattern = route.path.split("/");
    if (pattern.length !== segments.length) continue;
    const pathParameters: Record<string, string> = {};
    const matches = pattern.every((part, index) => {
      const segment = segments[index]!;
      const parameter = /^\{(\w+)\}$/.exec(part);
      if (!parameter) return part === segment;
      if (segment === "") return false;
      pathParameters[parameter[1]!] = safeDecode(segment);
      return true;
    });
    if (matches) return { route, routeKey: routeKey(route), pathParameters };
  }
  return undefined;
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
