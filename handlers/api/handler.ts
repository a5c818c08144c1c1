import type { APIGatewayProxyEventV2, Context } from "aws-lambda";
import type { JobQueue } from "../adapters/sqsJobQueue";
import type { JobStore } from "../adapters/jobStore";
import type { AuthSettings } from "../auth/authSettings";
import { routeScopes } from "../auth/authMode";
import { callerOf, holdsRouteScope, PUBLIC_CALLER } from "../auth/caller";
import type { IdSecretSource } from "../auth/idSecret";
import { toJobView } from "../domain/job";
import { isJobId } from "../domain/jobId";
import { describeJobTypes, type JobTypeRegistry } from "../domain/jobTypes";
import { isIdempotencyKey, validateSubmission } from "../domain/submission";
import { IdempotencyKeyConflictError, IdSecretUnavailableError, InsufficientScopeError, JobNotFoundError, JobStateConflictError, StoreUnavailableError, UnauthenticatedError } from "../errors";
import { describeError, type Logger } from "../log";
import { statusClass, UNMATCHED_ROUTE } from "../metrics";
import { PREFLIGHT_ROUTE_KEY, resolveRoute, routeKey, routes, type Operation } from "../routes";
import { header, json, problem, ProblemType, readJsonBody, type HttpResponse } from "./http";
import { JobService } from "./jobService";

export interface ApiHandlerDeps {
  store: JobStore;
  queue: JobQueue;
  jobTypes: JobTypeRegistry;
  logger: Logger;
  /** Largest accepted request body. @default 65536 */
  maxBodyBytes: number;
  /** How callers are identified (`authMode`) and, with `iam`, who is admin. */
  auth: Pick<AuthSettings, "mode" | "adminPrincipals" | "requireScopes">;
  /** The secret of key-derived job ids. */
  idSecret: IdSecretSource;
  now?: () => number;
}

/** The part of the Lambda context the api uses: the invocation's id, for its log records. */
export type ApiContext = Partial<Pick<Context, "awsRequestId">>;

export type ApiHandler = (event: APIGatewayProxyEventV2, context?: ApiContext) => Promise<HttpResponse>;

// Built per handler, not at module level: Pulumi's closure serializer copies module-level values
// into the Lambda code, and a Map loses its entries there.
function operationsByRouteKey(): ReadonlyMap<string, Operation> {
  return new Map(routes.map((route) => [routeKey(route), route.operation]));
}

/**
 * The HTTP API's Lambda handler (API Gateway HTTP API, payload format 2.0): parse the request,
 * call the {@link JobService}, map its errors to problem responses. Internal errors are logged
 * and answered with a bare 500: their text never reaches the client.
 */
export function createApiHandler(deps: ApiHandlerDeps): ApiHandler {
  const jobTypesResponse = describeJobTypes(deps.jobTypes);
  const operationByRouteKey = operationsByRouteKey();
  const routeByOperation = new Map(routes.map((route) => [route.operation as Operation, route]));
  const now = deps.now ?? Date.now;

  const operations: Record<Operation, (event: APIGatewayProxyEventV2, service: JobService) => Promise<HttpResponse>> = {
    async submitJob(event, service) {
      const idempotencyKey = header(event, "idempotency-key");
      if (idempotencyKey !== undefined && !isIdempotencyKey(idempotencyKey)) {
        return problem(400, ProblemType.validation, "Bad Request", "Idempotency-Key must be 1 to 255 printable ASCII characters", [
          { path: "header:Idempotency-Key", message: "must be 1 to 255 printable ASCII characters" },
        ]);
      }
      const body = readJsonBody(event, deps.maxBodyBytes);
      if (!body.ok) return body.response;
      const validation = validateSubmission(body.body, deps.jobTypes);
      if (!validation.ok) {
        return problem(400, ProblemType.validation, "Bad Request", "the job is invalid", validation.errors);
      }
      const { job, replayed } = await service.submit(validation.submission, idempotencyKey);
      const location = { location: `/jobs/${job.jobId}` };
      if (replayed) return json(200, toJobView(job), { ...location, "idempotent-replayed": "true" });
      return json(202, { jobId: job.jobId, type: job.type, status: job.status, createdAt: job.createdAt }, location);
    },
    async getJob(event, service) {
      return json(200, toJobView(await service.get(jobIdOf(event))));
    },
    async cancelJob(event, service) {
      return json(200, toJobView(await service.cancel(jobIdOf(event))));
    },
    async retryJob(event, service) {
      const job = await service.retry(jobIdOf(event));
      return json(202, toJobView(job), { location: `/jobs/${job.jobId}` });
    },
    async listJobTypes() {
      return json(200, jobTypesResponse);
    },
  };

  /**
   * The service for one request, as its caller. Every operation but the public job types needs a
   * verified caller: on a closed stack API Gateway's authorizer has verified it before the
   * function runs, so a missing one means a route declared without its authorizer, refused here
   * rather than trusted.
   */
  function serviceFor(operation: Operation, event: APIGatewayProxyEventV2, logger: Logger, requestId: string | undefined): JobService {
    const route = routeByOperation.get(operation)!;
    const caller = callerOf(event, deps.auth);
    // A public operation touches no job: whoever asks, it runs as the public caller.
    if (route.access === "public") return new JobService({ ...deps, logger, requestId, caller: caller ?? PUBLIC_CALLER });
    if (!caller) throw new UnauthenticatedError();
    if (!holdsRouteScope(caller, route, deps.auth)) throw new InsufficientScopeError(routeScopes(route));
    return new JobService({ ...deps, logger, requestId, caller });
  }

  return async (event, context) => {
    const startedMs = now();
    // API Gateway's request id is the one a client and API Gateway's own logs know: it travels
    // with the job (stored, and on every message) so one query finds the job's whole story.
    const apiRequestId = event.requestContext?.requestId;
    const logger = deps.logger.child({ ...(context?.awsRequestId && { requestId: context.awsRequestId }), ...(apiRequestId && { apiRequestId }) });
    const routed = routeOf(event, operationByRouteKey);
    let response: HttpResponse;
    if (!routed.ok) response = routed.response;
    else {
      try {
        response = await operations[routed.operation](routed.event, serviceFor(routed.operation, event, logger, apiRequestId));
      } catch (error) {
        response = errorResponse(error, event, logger);
      }
    }
    const route = routed.ok ? routed.operation : UNMATCHED_ROUTE;
    logger.info(
      "api.request",
      { route, method: event.requestContext?.http?.method, path: event.rawPath, status: response.statusCode, latencyMs: now() - startedMs },
      { metrics: { ApiRequests: 1 }, dimensions: { Route: route, StatusClass: statusClass(response.statusCode) } },
    );
    return response;
  };
}

/**
 * The operation of a request. A route's own key names it; a request that reached the function
 * through the `$default` route (no route key matched) is resolved from its method and path, so
 * an unknown path answers the problem 404 and a known path with the wrong method 405 + `Allow`,
 * never API Gateway's bare `{"message":"Not Found"}`.
 */
function routeOf(
  event: APIGatewayProxyEventV2,
  operationByRouteKey: ReadonlyMap<string, Operation>,
): { ok: true; operation: Operation; event: APIGatewayProxyEventV2 } | { ok: false; response: HttpResponse } {
  const operation = operationByRouteKey.get(event.routeKey);
  if (operation) return { ok: true, operation, event };
  // A CORS preflight on a closed stack (see PREFLIGHT_ROUTE_KEY): API Gateway adds the CORS headers.
  if (event.routeKey === PREFLIGHT_ROUTE_KEY) return { ok: false, response: { statusCode: 204, headers: {}, body: "" } };
  const resolution = resolveRoute(event.requestContext?.http?.method ?? "", event.rawPath ?? "");
  if (resolution.kind === "route") {
    return { ok: true, operation: resolution.match.route.operation, event: { ...event, pathParameters: resolution.match.pathParameters } };
  }
  if (resolution.kind === "methodNotAllowed") {
    const response = problem(405, ProblemType.methodNotAllowed, "Method Not Allowed", `this path takes ${resolution.allow.join(", ")}`);
    response.headers.allow = resolution.allow.join(", ");
    return { ok: false, response };
  }
  return { ok: false, response: problem(404, ProblemType.notFound, "Not Found", "no such route") };
}

class MalformedJobIdError extends Error {}

function jobIdOf(event: APIGatewayProxyEventV2): string {
  const jobId = event.pathParameters?.jobId ?? "";
  if (!isJobId(jobId)) throw new MalformedJobIdError();
  return jobId;
}

function errorResponse(error: unknown, event: APIGatewayProxyEventV2, logger: Logger): HttpResponse {
  if (error instanceof MalformedJobIdError) {
    return problem(400, ProblemType.validation, "Bad Request", "the job id is malformed", [{ path: "jobId", message: "must be a lower-case UUID" }]);
  }
  if (error instanceof JobNotFoundError) return problem(404, ProblemType.notFound, "Not Found", "no job has this id");
  if (error instanceof JobStateConflictError) {
    return problem(409, ProblemType.conflict, "Conflict", `the job is ${error.status}`);
  }
  if (error instanceof UnauthenticatedError) {
    const response = problem(401, ProblemType.unauthenticated, "Unauthorized", "this request needs a verified identity (a bearer token, or a SigV4 signature)");
    response.headers["www-authenticate"] = "Bearer";
    return response;
  }
  if (error instanceof InsufficientScopeError) {
    const response = problem(403, ProblemType.forbidden, "Forbidden", `this request needs one of the scopes ${error.scopes.join(", ")}`);
    response.headers["www-authenticate"] = `Bearer error="insufficient_scope", scope="${error.scopes.join(" ")}"`;
    return response;
  }
  if (error instanceof IdempotencyKeyConflictError) {
    return problem(422, ProblemType.idempotencyConflict, "Unprocessable Content", "this Idempotency-Key was already used for a different request");
  }
  logger.error("api.internal_error", { routeKey: event.routeKey, ...describeError(error) });
  if (error instanceof IdSecretUnavailableError) {
    const response = problem(503, ProblemType.unavailable, "Service Unavailable", "job ids cannot be derived from Idempotency-Keys right now; retry in a moment (nothing was stored)");
    response.headers["retry-after"] = "1";
    return response;
  }
  if (error instanceof StoreUnavailableError) {
    // DynamoDB throttled or unreachable past the SDK's retries: transient. A put may still have
    // landed, so only a retry with the same Idempotency-Key is sure not to create a second job.
    const response = problem(503, ProblemType.unavailable, "Service Unavailable", "the job store is busy; retry in a moment (with an Idempotency-Key, a retry never creates a second job)");
    response.headers["retry-after"] = "1";
    return response;
  }
  return problem(500, ProblemType.internal, "Internal Server Error", "the request could not be completed (with an Idempotency-Key, a retry never creates a second job)");
}
