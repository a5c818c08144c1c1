import type { APIGatewayProxyEventV2, Context } from "aws-lambda";
import * as v from "valibot";
import type { JobListing, JobFilter } from "../adapters/jobListing";
import type { RequestRecords } from "../adapters/requestRecords";
import type { JobQueue } from "../adapters/sqsJobQueue";
import type { JobStore } from "../adapters/jobStore";
import type { AuthSettings } from "../auth/authSettings";
import { routeScopes } from "../auth/authMode";
import { callerOf, holdsRouteScope, PUBLIC_CALLER } from "../auth/caller";
import type { IdSecretSource } from "../auth/idSecret";
import { toJobView, type JobStatus } from "../domain/job";
import { isJobId } from "../domain/jobId";
import { describeJobTypes, type JobTypeRegistry } from "../domain/jobTypes";
import { IDEMPOTENCY_KEY_RULE, isIdempotencyKey, toFieldErrors, validateSubmission, type FieldError } from "../domain/submission";
import {
  ForbiddenOwnerError,
  IdempotencyKeyConflictError,
  IdSecretUnavailableError,
  InsufficientScopeError,
  InvalidRequestError,
  JobNotFoundError,
  JobStateConflictError,
  RequestInProgressError,
  StoreUnavailableError,
  UnauthenticatedError,
} from "../errors";
import { describeError, type Logger } from "../log";
import { statusClass, UNMATCHED_ROUTE } from "../metrics";
import { PREFLIGHT_ROUTE_KEY, resolveRoute, routeKey, routes, type Operation } from "../routes";
import { openApiDocument } from "../openapi";
import { BulkActions, type BulkAction } from "./bulkActions";
import { InvalidCursorError } from "./cursor";
import { header, json, problem, ProblemType, readJsonBody, type HttpResponse } from "./http";
import { JobSearch } from "./jobSearch";
import { JobService, type BatchItem } from "./jobService";
import { createScheduleFireHandler, type ScheduleFireResult } from "./scheduleFire";
import { isScheduleFireEvent, type ScheduleFire } from "../domain/schedule";
import { BatchRequestSchema, BulkRequestSchema, createdRangeMs, ListQuerySchema, SummaryQuerySchema, type BatchResult } from "./schemas";

export interface ApiHandlerDeps {
  store: JobStore;
  /** The listing indexes: `GET /jobs`, the summary, bulk actions by filter. */
  listing: JobListing;
  /** Records of bulk calls made under an `Idempotency-Key`. */
  records: RequestRecords;
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

/**
 * The api function's one entry: API Gateway's requests, and the schedules' fires (EventBridge
 * Scheduler invokes the function with a {@link ScheduleFire} as its input).
 */
export interface ApiEntry {
  (event: APIGatewayProxyEventV2, context?: ApiContext): Promise<HttpResponse>;
  (event: ScheduleFire, context?: ApiContext): Promise<ScheduleFireResult>;
}

/** The api function's handler: {@link createApiHandler} for requests, `createScheduleFireHandler` for fires. */
export function createApiEntry(deps: ApiHandlerDeps): ApiEntry {
  const http = createApiHandler(deps);
  const fire = createScheduleFireHandler({ ...deps, authMode: deps.auth.mode });
  const entry = (event: APIGatewayProxyEventV2 | ScheduleFire, context?: ApiContext) =>
    isScheduleFireEvent(event) ? fire(event, deps.logger.child(context?.awsRequestId ? { requestId: context.awsRequestId } : {})) : http(event as APIGatewayProxyEventV2, context);
  return entry as ApiEntry;
}

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

  let openApi: Record<string, unknown> | undefined;

  const operations: Record<Operation, (event: APIGatewayProxyEventV2, services: RequestServices) => Promise<HttpResponse>> = {
    async submitJob(event, { service }) {
      const idempotencyKey = header(event, "idempotency-key");
      if (idempotencyKey !== undefined && !isIdempotencyKey(idempotencyKey)) return badIdempotencyKey();
      const body = readJsonBody(event, deps.maxBodyBytes);
      if (!body.ok) return body.response;
      const validation = validateSubmission(body.body, deps.jobTypes, now());
      if (!validation.ok) {
        return problem(400, ProblemType.validation, "Bad Request", "the job is invalid", validation.errors);
      }
      const { job, replayed } = await service.submit(validation.submission, idempotencyKey);
      const location = { location: `/jobs/${job.jobId}` };
      if (replayed) return json(200, toJobView(job), { ...location, "idempotent-replayed": "true" });
      return json(202, { jobId: job.jobId, type: job.type, status: job.status, createdAt: job.createdAt }, location);
    },
    async submitJobBatch(event, { service }) {
      const body = readJsonBody(event, deps.maxBodyBytes);
      if (!body.ok) return body.response;
      const envelope = v.safeParse(BatchRequestSchema, body.body);
      if (!envelope.success) return problem(400, ProblemType.validation, "Bad Request", "the batch is invalid: it must be {\"jobs\": [1 to 100 jobs]}", toFieldErrors(envelope.issues));
      const nowMs = now();
      const results: BatchResult[] = new Array(envelope.output.jobs.length);
      const valid: { index: number; item: BatchItem }[] = [];
      envelope.output.jobs.forEach((item, index) => {
        const checked = validateBatchItem(item, nowMs);
        if (checked.ok) valid.push({ index, item: checked.item });
        else results[index] = { index, status: 400, errors: checked.errors };
      });
      const outcomes = valid.length > 0 ? await service.submitBatch(valid.map(({ item }) => item)) : [];
      outcomes.forEach((outcome, n) => {
        const index = valid[n]!.index;
        if (outcome.kind === "accepted") {
          const { job } = outcome;
          results[index] = { index, status: 202, jobId: job.jobId, job: { jobId: job.jobId, type: job.type, status: job.status, createdAt: job.createdAt } };
        } else if (outcome.kind === "replayed") results[index] = { index, status: 200, jobId: outcome.job.jobId, job: toJobView(outcome.job) as unknown as Extract<BatchResult, { status: 200 }>["job"] };
        else results[index] = { index, status: 422, jobId: outcome.jobId, detail: "this idempotencyKey was already used for a different job" };
      });
      return json(200, { results });
    },
    async getJob(event, { service }) {
      return json(200, toJobView(await service.get(jobIdOf(event))));
    },
    async cancelJob(event, { service }) {
      return json(200, toJobView(await service.cancel(jobIdOf(event))));
    },
    async retryJob(event, { service }) {
      const job = await service.retry(jobIdOf(event));
      return json(202, toJobView(job), { location: `/jobs/${job.jobId}` });
    },
    async listJobs(event, { search }) {
      const query = parseQuery(ListQuerySchema, event);
      const filter: JobFilter = {
        ...(query.status && { statuses: query.status as JobStatus[] }),
        ...(query.type !== undefined && { type: query.type }),
        ...(query.schedule !== undefined && { schedule: query.schedule }),
        ...createdRangeMs(query.createdAfter, query.createdBefore),
      };
      return json(200, await search.list({ filter, limit: query.limit, cursor: query.cursor, owner: query.owner }));
    },
    async summarizeJobs(event, { search }) {
      return json(200, await search.summary(parseQuery(SummaryQuerySchema, event)));
    },
    async bulkRetryJobs(event, services) {
      return bulk("retry", event, services);
    },
    async bulkCancelJobs(event, services) {
      return bulk("cancel", event, services);
    },
    async listJobTypes() {
      return json(200, jobTypesResponse);
    },
    async getOpenApi() {
      openApi ??= openApiDocument({ jobTypes: deps.jobTypes, authMode: deps.auth.mode, requireScopes: deps.auth.requireScopes });
      return json(200, openApi);
    },
  };

  /** One batch item: its `idempotencyKey` by the header's rule, the rest as a `POST /jobs` body; paths relative to the item. */
  function validateBatchItem(item: unknown, nowMs: number): { ok: true; item: BatchItem } | { ok: false; errors: FieldError[] } {
    if (item === null || typeof item !== "object" || Array.isArray(item) || !Object.hasOwn(item, "idempotencyKey")) {
      const validation = validateSubmission(item, deps.jobTypes, nowMs);
      return validation.ok ? { ok: true, item: { submission: validation.submission } } : validation;
    }
    const { idempotencyKey, ...submission } = item as Record<string, unknown>;
    const keyErrors: FieldError[] = typeof idempotencyKey === "string" && isIdempotencyKey(idempotencyKey) ? [] : [{ path: "idempotencyKey", message: `idempotencyKey must be ${IDEMPOTENCY_KEY_RULE}` }];
    const validation = validateSubmission(submission, deps.jobTypes, nowMs);
    if (!validation.ok) return { ok: false, errors: [...keyErrors, ...validation.errors] };
    if (keyErrors.length > 0) return { ok: false, errors: keyErrors };
    return { ok: true, item: { submission: validation.submission, idempotencyKey: idempotencyKey as string } };
  }

  async function bulk(action: BulkAction, event: APIGatewayProxyEventV2, { bulkActions }: RequestServices): Promise<HttpResponse> {
    const idempotencyKey = header(event, "idempotency-key");
    if (idempotencyKey !== undefined && !isIdempotencyKey(idempotencyKey)) return badIdempotencyKey();
    const body = readJsonBody(event, deps.maxBodyBytes);
    if (!body.ok) return body.response;
    const parsed = v.safeParse(BulkRequestSchema, body.body);
    if (!parsed.success) return problem(400, ProblemType.validation, "Bad Request", "the bulk request is invalid", toFieldErrors(parsed.issues));
    const { response, replayed } = await bulkActions.run(action, parsed.output, idempotencyKey);
    return json(200, response, replayed ? { "idempotent-replayed": "true" } : {});
  }

  /**
   * The service for one request, as its caller. Every operation but the public job types needs a
   * verified caller: on a closed stack API Gateway's authorizer has verified it before the
   * function runs, so a missing one means a route declared without its authorizer, refused here
   * rather than trusted.
   */
  function servicesFor(operation: Operation, event: APIGatewayProxyEventV2, logger: Logger, requestId: string | undefined): RequestServices {
    const route = routeByOperation.get(operation)!;
    let caller = callerOf(event, deps.auth);
    // A public operation touches no job: whoever asks, it runs as the public caller.
    if (route.access === "public") caller ??= PUBLIC_CALLER;
    else if (!caller) throw new UnauthenticatedError();
    else if (!holdsRouteScope(caller, route, deps.auth)) throw new InsufficientScopeError(routeScopes(route));
    const service = new JobService({ ...deps, logger, requestId, caller });
    const secret = () => service.secret();
    const search = new JobSearch({ listing: deps.listing, caller, cursorSecret: secret, now });
    return { service, search, bulkActions: new BulkActions({ search, jobs: service, records: deps.records, caller, idSecret: secret, now }) };
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
        response = await operations[routed.operation](routed.event, servicesFor(routed.operation, event, logger, apiRequestId));
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

/** What an operation works with: the caller's job service, its search, its bulk actions. */
interface RequestServices {
  service: JobService;
  search: JobSearch;
  bulkActions: BulkActions;
}

class MalformedJobIdError extends Error {}

/**
 * The query string against its schema. API Gateway joins a repeated parameter's values with
 * commas, which a status list reads as several statuses.
 */
function parseQuery<TSchema extends v.GenericSchema>(schema: TSchema, event: APIGatewayProxyEventV2): v.InferOutput<TSchema> {
  const parsed = v.safeParse(schema, { ...(event.queryStringParameters ?? {}) });
  if (!parsed.success) throw new InvalidRequestError("the query is invalid", toFieldErrors(parsed.issues).map((error) => ({ ...error, path: `query:${error.path}` })));
  return parsed.output;
}

function badIdempotencyKey(): HttpResponse {
  return problem(400, ProblemType.validation, "Bad Request", `Idempotency-Key must be ${IDEMPOTENCY_KEY_RULE}`, [
    { path: "header:Idempotency-Key", message: `must be ${IDEMPOTENCY_KEY_RULE}` },
  ]);
}

function jobIdOf(event: APIGatewayProxyEventV2): string {
  const jobId = event.pathParameters?.jobId ?? "";
  if (!isJobId(jobId)) throw new MalformedJobIdError();
  return jobId;
}

function errorResponse(error: unknown, event: APIGatewayProxyEventV2, logger: Logger): HttpResponse {
  if (error instanceof MalformedJobIdError) {
    return problem(400, ProblemType.validation, "Bad Request", "the job id is malformed", [{ path: "jobId", message: "must be a lower-case UUID" }]);
  }
  if (error instanceof InvalidCursorError) {
    return problem(400, ProblemType.validation, "Bad Request", "the cursor is not valid for this request", [{ path: error.path, message: "pass back a nextCursor unchanged, with the same filters" }]);
  }
  if (error instanceof InvalidRequestError) return problem(400, ProblemType.validation, "Bad Request", error.detail, error.errors);
  if (error instanceof ForbiddenOwnerError) return problem(403, ProblemType.forbidden, "Forbidden", "only an admin may name another owner");
  if (error instanceof RequestInProgressError) return problem(409, ProblemType.conflict, "Conflict", "a request with this Idempotency-Key is still running; retry in a moment");
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
