import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { ApiHandler } from "../handlers/api/handler";
import { ProblemType } from "../handlers/api/http";
import { describeError, type Logger } from "../handlers/log";
import type { JSONWebKeySet } from "jose";
import type { AuthMode } from "../handlers/auth/authMode";
import { DEFAULT_ROUTE_KEY, isApiPath, matchRoute, PREFLIGHT_ROUTE_KEY, type RouteMatch } from "../handlers/routes";
import { DEFAULTS } from "../handlers/settings";
import { fromLambdaResult, integrationFailure, problemResponse, requestHeaders, requestUrl, toApiGatewayEvent, type FrontResponse } from "./apiGatewayEvent";
import { CorsPolicy } from "./cors";
import { LOCAL_AWS } from "./emulators";
import { lambdaContext } from "./lambdaContext";
import type { AuthorizationRequest, AuthorizationRoute, LocalAuthorizer } from "./localAuthorizer";
import type { LocalMetrics } from "./localMetrics";
import { METRICS_PATH, metricsResponse } from "./metricsEndpoint";
import { openIdConfiguration, WELL_KNOWN } from "./oidcIssuer";
import { notFoundPage, readSiteFile, securityHeaders, SITE_DIR } from "./staticSite";

/** The api function's name and timeout in the context of each local invocation (its records name the invocation's request id). */
const API_FUNCTION = { name: "cloudqueue-api", timeoutSeconds: DEFAULTS.apiTimeoutSeconds } as const;

/** API Gateway HTTP API's largest request body (10 MiB); the function applies its own, smaller limit. */
const GATEWAY_MAX_BODY_BYTES = 10 * 1024 * 1024;

export interface HttpFrontOptions {
  /**
   * The api function. Until it is given ({@link HttpFront.ready}), every request, page and API
   * alike, is answered `503` with `Retry-After`: never a 5xx that says something broke.
   */
  api?: ApiHandler;
  logger: Logger;
  /** Origins allowed by CORS besides the page's own (the origin it is served from). */
  corsOrigins: readonly string[];
  siteDir?: string;
}

/** How a closed stack's front admits callers; a public stack (`authMode` `none`) has none of it. */
export interface FrontAuth {
  /** The stack's `authMode`, which `config.json` tells the page (it asks for a token in `jwt` mode). */
  mode: Exclude<AuthMode, "none">;
  /**
   * Checks every request API Gateway would send through the stack's authorizer (see
   * {@link LocalAuthorizer}); the event of an admitted one carries what it returned as
   * `requestContext.authorizer`.
   */
  authorizer: LocalAuthorizer;
  /** The local OIDC issuer (`jwt` mode), whose discovery documents the front serves under `/.well-known/`. */
  issuer?: { issuer: string; jwks: JSONWebKeySet };
}

/** The local stand-in for API Gateway and CloudFront: one server, one origin. */
export interface HttpFront {
  server: Server;
  /** Starts answering with `api` (and `metrics` at `/metrics`, and behind `auth` when given): the stack is ready. */
  ready(api: ApiHandler, metrics?: LocalMetrics, auth?: FrontAuth): void;
  /** Waits for the API requests being answered, then closes every connection. */
  close(): Promise<void>;
}

/** What every request is answered while the stack starts: the same shape as a throttled store's 503. */
export function startingResponse(): FrontResponse {
  const response = problemResponse(503, ProblemType.starting, "Service Unavailable", "CloudQueue is starting; retry in a moment");
  response.headers["retry-after"] = "1";
  return response;
}

/**
 * The HTTP server of the local stack, the site's distribution and the API in one. A request
 * matching the route table becomes a payload 2.0 event for the api handler, as API Gateway would
 * build it; `config.json` points the page at this same origin; other `GET`s are files of
 * `site/`; any other request under the API's paths reaches the api handler through the
 * `$default` route (its problem 404 or 405); `/metrics` is the local stack's metrics registry
 * (see metricsEndpoint.ts), which the deployed site does not have; any other `GET` gets the
 * site's 404 page.
 *
 * On a closed stack ({@link FrontAuth}), the requests API Gateway would send through the
 * authorizer are checked before the api sees them: each route whose `access` is not `public`,
 * and `$default`. A refusal is API Gateway's own 401 or 403, with the CORS headers of any API
 * answer. Preflights, public routes, site files, `config.json`, `/metrics` and `/.well-known/`
 * are never checked; any other `OPTIONS` goes to the api through the preflight route, which has
 * no authorizer.
 */
export function createHttpFront(options: HttpFrontOptions): HttpFront {
  const siteDir = options.siteDir ?? SITE_DIR;
  let api = options.api;
  let metrics: LocalMetrics | undefined;
  let auth: FrontAuth | undefined;
  let inFlight = 0;
  let drained: (() => void) | undefined;
  let closing = false;

  async function respond(request: IncomingMessage): Promise<FrontResponse> {
    if (!api) {
      request.resume();
      return startingResponse();
    }
    const method = (request.method ?? "GET").toUpperCase();
    const url = requestUrl(request);
    if (!url) {
      request.resume();
      return problemResponse(400, ProblemType.validation, "Bad Request", "the request target is not a path");
    }
    const host = hostOf(request);
    const ownOrigins = new Set([`http://${host}`]);
    const cors = new CorsPolicy((origin) => ownOrigins.has(origin) || options.corsOrigins.includes(origin));
    if (cors.isPreflight(method, request.headers) && isApiPath(url.pathname)) {
      return { statusCode: 204, headers: cors.preflightHeaders(request.headers), body: Buffer.alloc(0) };
    }
    if (metrics && url.pathname === METRICS_PATH) {
      request.resume();
      return metricsResponse(method, request.headers.accept, metrics);
    }
    const isPage = method === "GET" || method === "HEAD";
    if (auth?.issuer && url.pathname.startsWith("/.well-known/")) {
      request.resume();
      return (isPage && wellKnownResponse(url.pathname, auth.issuer, `http://${host}`)) || (await notFoundPage(siteDir));
    }
    const match = matchRoute(method, url.pathname);
    if (match || isApiPath(url.pathname) || !isPage) {
      const body = await readBody(request);
      if (!body) return problemResponse(413, ProblemType.payloadTooLarge, "Content Too Large", "the request body is too large");
      const { route, checked } = apiRoute(method, url.pathname, match, auth !== undefined);
      let authorizerContext: Record<string, unknown> | undefined;
      if (auth && checked) {
        const decision = await auth.authorizer.authorize(authorizationRequest(request, method, body, host), checked);
        if (!decision.ok) return { ...decision.response, headers: cors.apply(decision.response.headers, request.headers.origin) };
        authorizerContext = decision.authorizer;
      }
      let result: FrontResponse;
      try {
        const context = lambdaContext(API_FUNCTION.name, API_FUNCTION.timeoutSeconds, LOCAL_AWS.region);
        result = fromLambdaResult(await api(toApiGatewayEvent(request, body, route, host, authorizerContext), context));
      } catch (error) {
        options.logger.error("local.api_invocation_failed", { routeKey: route.routeKey, ...describeError(error) });
        result = integrationFailure();
      }
      return { ...result, headers: cors.apply(result.headers, request.headers.origin) };
    }
    if (url.pathname === "/config.json") {
      // Like the deployed site's config.json: the API is on the page's own origin, and its auth mode.
      const config = JSON.stringify({ apiUrl: `http://${host}`, auth: auth?.mode ?? "none" });
      return { statusCode: 200, headers: { "content-type": "application/json", "cache-control": "no-cache" }, body: Buffer.from(config) };
    }
    return (await readSiteFile(url.pathname, siteDir)) ?? (await notFoundPage(siteDir));
  }

  const server = createServer((request, response) => {
    inFlight++;
    respond(request)
      .catch((error: unknown) => {
        options.logger.error("local.front_failed", describeError(error));
        return integrationFailure();
      })
      .then((result) => {
        // Stopping: answer, then close the connection. Otherwise a busy keep-alive client keeps
        // sending new jobs on it, and the drain (which waits for no request in flight) never ends.
        if (closing) response.setHeader("connection", "close");
        write(response, request.method === "HEAD", result);
      })
      .finally(() => {
        inFlight--;
        if (inFlight === 0) drained?.();
      });
  });
  // Browsers keep connections open; without this a close would wait for them to time out.
  server.keepAliveTimeout = 5_000;

  return {
    server,
    ready(handler, registry, frontAuth) {
      api = handler;
      metrics = registry;
      auth = frontAuth;
    },
    async close() {
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      if (inFlight > 0) await new Promise<void>((resolve) => (drained = resolve));
      server.closeAllConnections();
      await closed;
    },
  };
}

/**
 * The API Gateway route a request to the api takes, and what the authorizer checks for it
 * (`undefined`: not checked). A route of the table; on a closed stack, any other `OPTIONS` the
 * preflight route (no authorizer); else `$default`, which carries the authorizer.
 */
function apiRoute(method: string, path: string, match: RouteMatch | undefined, closed: boolean): { route: Pick<RouteMatch, "routeKey" | "pathParameters">; checked: AuthorizationRoute | undefined } {
  if (match) return { route: match, checked: match.route.access === "public" ? undefined : match.route };
  if (closed && method === "OPTIONS") return { route: { routeKey: PREFLIGHT_ROUTE_KEY, pathParameters: { proxy: path.slice(1) } }, checked: undefined };
  return { route: { routeKey: DEFAULT_ROUTE_KEY, pathParameters: {} }, checked: "default" };
}

/** What an authorizer reads of a request: the target exactly as sent, the headers as API Gateway joins them. */
function authorizationRequest(request: IncomingMessage, method: string, body: Buffer, host: string): AuthorizationRequest {
  const target = request.url ?? "/";
  const query = target.indexOf("?");
  return {
    method,
    path: query === -1 ? target : target.slice(0, query),
    rawQuery: query === -1 ? "" : target.slice(query + 1),
    headers: requestHeaders(request).headers,
    body,
    host,
  };
}

/** The issuer's discovery documents (public: no token is needed to learn how to check one). */
function wellKnownResponse(path: string, issuer: NonNullable<FrontAuth["issuer"]>, origin: string): FrontResponse | undefined {
  const document = path === WELL_KNOWN.openidConfiguration ? openIdConfiguration(issuer, origin) : path === WELL_KNOWN.jwks ? issuer.jwks : undefined;
  if (!document) return undefined;
  return { statusCode: 200, headers: { "content-type": "application/json", "cache-control": "no-cache" }, body: Buffer.from(JSON.stringify(document)) };
}

function write(response: ServerResponse, headOnly: boolean, result: FrontResponse): void {
  const headers = { ...securityHeaders(), ...result.headers, "content-length": String(result.body.length) };
  response.writeHead(result.statusCode, headers);
  response.end(headOnly ? undefined : result.body);
}

/** The request's `Host`, if it is a plain host[:port]; the server's address otherwise. */
function hostOf(request: IncomingMessage): string {
  const host = request.headers.host ?? "";
  if (/^[\w.-]+(:\d+)?$/.test(host) || /^\[[\da-f:.]+\](:\d+)?$/i.test(host)) return host;
  const address = request.socket.localAddress ?? "127.0.0.1";
  return `${address.includes(":") ? `[${address}]` : address}:${request.socket.localPort}`;
}

/** The whole body, or `undefined` past API Gateway's limit. */
function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > GATEWAY_MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    request.on("end", () => resolve(tooLarge ? undefined : Buffer.concat(chunks)));
    request.on("error", reject);
  });
}
