import { restoreErrorShape } from "./domain/errorShape";
import type { Job, JobStatus } from "./domain/job";

/** Base of every error CloudQueue raises on purpose; `name` tells them apart in logs. */
export class CloudQueueError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    restoreErrorShape(this, message, options);
    this.name = "CloudQueueError";
  }
}

/** No job has this id. */
export class JobNotFoundError extends CloudQueueError {
  constructor(readonly jobId: string) {
    super(`job ${jobId} does not exist`);
    this.name = "JobNotFoundError";
  }
}

/** The job exists but its status does not allow the requested transition. */
export class JobStateConflictError extends CloudQueueError {
  constructor(readonly jobId: string, readonly status: JobStatus, action: string) {
    super(`job ${jobId} is ${status} and cannot be ${action}`);
    this.name = "JobStateConflictError";
  }
}

/** A job with the same id (same `Idempotency-Key`) is already stored. */
export class JobAlreadyExistsError extends CloudQueueError {
  /** @param existing the stored job, when the failed write returned it */
  constructor(readonly jobId: string, readonly existing?: Job) {
    super(`job ${jobId} already exists`);
    this.name = "JobAlreadyExistsError";
  }
}

/** The same `Idempotency-Key` was used for a different request. */
export class IdempotencyKeyConflictError extends CloudQueueError {
  constructor(readonly jobId: string) {
    super(`Idempotency-Key already used for a different request (job ${jobId})`);
    this.name = "IdempotencyKeyConflictError";
  }
}

/** The fencing condition failed: the claim token is no longer the job's (another attempt owns it). */
export class StaleClaimError extends CloudQueueError {
  constructor(readonly jobId: string) {
    super(`claim on job ${jobId} is no longer current`);
    this.name = "StaleClaimError";
  }
}

/** A conditional write lost a race with another writer; the caller re-reads and decides. */
export class ConditionFailedError extends CloudQueueError {
  /** @param current the job as the failed write saw it, when DynamoDB returned it */
  constructor(readonly jobId: string, readonly current?: Job, options?: { cause?: unknown }) {
    super(`condition failed on job ${jobId}`, options);
    this.name = "ConditionFailedError";
  }
}

/** DynamoDB failed (throttled after retries, unavailable, misconfigured). */
export class StoreUnavailableError extends CloudQueueError {
  constructor(operation: string, options: { cause: unknown }) {
    super(`job store ${operation} failed: ${errorName(options.cause)}`, options);
    this.name = "StoreUnavailableError";
  }
}

/**
 * DynamoDB refused a request for good (validation, access, a missing table): retrying the same
 * request cannot help.
 */
export class StoreRejectedError extends CloudQueueError {
  constructor(operation: string, options: { cause: unknown }) {
    super(`job store ${operation} was refused: ${errorName(options.cause)}`, options);
    this.name = "StoreRejectedError";
  }
}

/**
 * The job store's error for an SDK failure: `StoreUnavailableError` when it is transient
 * (throttling, a 5xx, a network error or timeout: worth retrying later), `StoreRejectedError`
 * otherwise.
 */
export function storeError(operation: string, cause: unknown): StoreUnavailableError | StoreRejectedError {
  return isTransient(cause) ? new StoreUnavailableError(operation, { cause }) : new StoreRejectedError(operation, { cause });
}

/**
 * Whether an AWS SDK error is worth retrying later (the SDK's own classification, in short).
 * The name lists are arrays inside the function: Pulumi's closure serializer empties Sets.
 */
function isTransient(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const throttling = ["ProvisionedThroughputExceededException", "ThrottlingException", "Throttling", "RequestLimitExceeded", "LimitExceededException", "TooManyRequestsException", "RequestThrottled", "RequestThrottledException", "SlowDown"];
  const transient = ["TimeoutError", "RequestTimeout", "RequestTimeoutException", "InternalServerError", "ServiceUnavailable", "ServiceUnavailableException"];
  const network = ["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN"];
  const details = error as Error & { code?: string; $metadata?: { httpStatusCode?: number }; $retryable?: unknown };
  const status = details.$metadata?.httpStatusCode ?? 0;
  return throttling.includes(error.name) || transient.includes(error.name) || network.includes(details.code ?? "") || status === 429 || status >= 500 || Boolean(details.$retryable);
}

/** SQS failed (throttled after retries, unavailable, misconfigured). */
export class QueueUnavailableError extends CloudQueueError {
  constructor(operation: string, options: { cause: unknown }) {
    super(`job queue ${operation} failed: ${errorName(options.cause)}`, options);
    this.name = "QueueUnavailableError";
  }
}

/** The `name` of an unknown thrown value, for logs. */
export function errorName(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}

/**
 * The id secret could not be had (KMS throttled, unavailable, or refusing the api's role): no
 * key-derived id can be computed, so a submission with an `Idempotency-Key` is refused (503)
 * rather than stored under an id a retry could not find again.
 */
export class IdSecretUnavailableError extends CloudQueueError {
  constructor(options: { cause: unknown }) {
    super(`the id secret is unavailable: ${errorName(options.cause)}`, options);
    this.name = "IdSecretUnavailableError";
  }
}

/** A closed stack's request arrived with no verified identity (a route declared without its authorizer). */
export class UnauthenticatedError extends CloudQueueError {
  constructor() {
    super("the request carries no verified identity");
    this.name = "UnauthenticatedError";
  }
}

/** A `jwt` caller without any of the scopes its route requires (the handler's own check, see `holdsRouteScope`). */
export class InsufficientScopeError extends CloudQueueError {
  constructor(readonly scopes: string[]) {
    super(`the request needs one of the scopes ${scopes.join(", ")}`);
    this.name = "InsufficientScopeError";
  }
}

/** A caller that is not an admin named another owner (`GET /jobs?owner=`). */
export class ForbiddenOwnerError extends CloudQueueError {
  constructor() {
    super("only an admin may name another owner");
    this.name = "ForbiddenOwnerError";
  }
}

/** A request is still running under the same `Idempotency-Key` (a bulk call retried too soon). */
export class RequestInProgressError extends CloudQueueError {
  constructor() {
    super("a request with this Idempotency-Key is still running");
    this.name = "RequestInProgressError";
  }
}

/** A request that is well-formed but asks for something invalid; `errors` say what, field by field. */
export class InvalidRequestError extends CloudQueueError {
  constructor(readonly detail: string, readonly errors: { path: string; message: string }[]) {
    super(detail);
    this.name = "InvalidRequestError";
  }
}
