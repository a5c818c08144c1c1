// @ts-check
/**
 * The CloudQueue HTTP API, as the page uses it (SPEC §3). Every failure becomes an
 * {@link ApiError} carrying the problem document's detail and field errors.
 */

/**
 * @typedef {{ path: string, message: string }} FieldError
 * @typedef {{ type?: string, title?: string, status?: number, detail?: string, errors?: FieldError[] }} Problem
 * @typedef {{ code: string, message: string, retryable: boolean }} JobError
 * @typedef {"QUEUED" | "IN_PROGRESS" | "SUCCEEDED" | "FAILED" | "CANCELED"} JobStatus
 * @typedef {{
 *   jobId: string, type: string, status: JobStatus, payload?: unknown, result?: unknown, error?: JobError,
 *   attempts?: number, maxAttempts?: number, delaySeconds?: number, runAt?: string,
 *   createdAt: string, updatedAt?: string, startedAt?: string, finishedAt?: string, owner?: string,
 *   attemptHistory?: Attempt[]
 * }} Job
 * @typedef {{ attempt: number, startedAt: string, finishedAt?: string, outcome: "RUNNING" | "SUCCEEDED" | "FAILED" | "RETRYING" | "LEASE_EXPIRED", errorCode?: string }} Attempt
 * @typedef {{ status?: JobStatus[], type?: string, schedule?: string, createdAfter?: string, createdBefore?: string }} JobFilter
 * @typedef {{ jobs: Job[], nextCursor?: string }} JobPage
 * @typedef {Record<JobStatus, number>} StatusCounts
 * @typedef {{ scope: "owner" | "all", owner?: string, total: number, byStatus: StatusCounts, byType: Record<string, StatusCounts>, asOf: string }} JobSummary
 * @typedef {{ filter?: JobFilter, jobIds?: string[], dryRun?: boolean, limit?: number, cursor?: string }} BulkRequest
 * @typedef {{ action: "retry" | "cancel", dryRun: true, matched: number, matchedAtLeast: boolean, sample: Job[] }} BulkDryRun
 * @typedef {{ action: "retry" | "cancel", dryRun: false, examined: number, changed: number, skipped: number, changedJobIds: string[], skippedJobs: { jobId: string, status?: JobStatus, reason: "changed" | "not-found" }[], nextCursor?: string }} BulkResult
 * @typedef {{ type: string, payload: unknown, delaySeconds?: number, runAt?: string, idempotencyKey?: string }} BatchJob
 * @typedef {{ index: number, status: 202, jobId: string, job: Job }
 *   | { index: number, status: 200, jobId: string, job: Job }
 *   | { index: number, status: 400, errors: FieldError[] }
 *   | { index: number, status: 422, jobId: string, detail: string }} BatchItemResult
 * @typedef {{ results: BatchItemResult[] }} BatchResponse
 * @typedef {{ type?: string, enum?: unknown[], minimum?: number, maximum?: number, minLength?: number, maxLength?: number, description?: string }} PropertySchema
 * @typedef {{ type?: string, properties?: Record<string, PropertySchema>, required?: string[] }} PayloadSchema
 * @typedef {{ type: string, description: string, payloadSchema: PayloadSchema, example: unknown, timeoutSeconds: number, maxAttempts: number }} JobType
 */

/** The longest `Retry-After` honoured, in seconds. */
export const MAX_RETRY_AFTER_SECONDS = 60;

/** States nothing but an explicit retry leaves. */
export const TERMINAL = /** @type {const} */ (["SUCCEEDED", "FAILED", "CANCELED"]);

/** Each status in words, in the order of a job's life. */
export const STATUS_TEXT = /** @type {const} */ ({
  QUEUED: "Queued",
  IN_PROGRESS: "In progress",
  SUCCEEDED: "Succeeded",
  FAILED: "Failed",
  CANCELED: "Canceled",
});

/**
 * The statuses each bulk action moves jobs from (docs/OPERATIONS.md): a bulk filter naming any
 * other status is refused.
 * @type {Readonly<Record<"retry" | "cancel", readonly JobStatus[]>>}
 */
export const BULK_FROM = { retry: ["FAILED", "CANCELED"], cancel: ["QUEUED"] };

/** @param {string} status */
export function isTerminal(status) {
  return /** @type {readonly string[]} */ (TERMINAL).includes(status);
}

/** A request that did not succeed: HTTP status (0 when the API was not reached) and the problem. */
export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {Problem} problem
   * @param {number} [retryAfterSeconds] from `Retry-After` (at most {@link MAX_RETRY_AFTER_SECONDS}), when the answer says when to try again
   */
  constructor(status, problem, retryAfterSeconds) {
    super(problem.detail || problem.title || `the API answered ${status}`);
    this.name = "ApiError";
    this.status = status;
    this.problem = problem;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/**
 * What a person is told for answers API Gateway or CloudFront give themselves, before or instead
 * of CloudQueue: `{"message": "..."}` JSON, or an HTML error page, never problem+json.
 * @type {Readonly<Record<number, string>>}
 */
export const GATEWAY_ANSWERS = {
  401: "this stack needs a valid access token: paste one under Access (locally, npm run token -- --sub you prints one)",
  403: "your token does not carry the scope this action needs (cloudqueue/submit to submit, cancel or retry; cloudqueue/read to read)",
  413: "the request is larger than API Gateway accepts (10 MB); CloudQueue's own limit is smaller",
  429: "the API is throttling requests; wait a moment and try again",
  500: "the API failed to answer; try again (the job may have been accepted: check Recent jobs)",
  502: "the API gave an invalid answer; try again in a moment",
  503: "the API is unavailable; try again in a moment",
  504: "the API did not answer in time; the job may have been accepted: check Recent jobs before submitting again",
};

/**
 * The problem a failed answer carries: CloudQueue's problem+json as it is; anything else (API
 * Gateway's `{"message"}`, a CDN's HTML page) becomes a problem with the gateway's message as its
 * title and a sentence saying what to do.
 * @param {number} status
 * @param {unknown} parsed the JSON body, if it was JSON
 * @returns {Problem}
 */
export function problemOf(status, parsed) {
  if (parsed && typeof parsed === "object" && "type" in parsed && "title" in parsed) return /** @type {Problem} */ (parsed);
  const message = parsed && typeof parsed === "object" && "message" in parsed && typeof parsed.message === "string" ? parsed.message : undefined;
  return { title: message ?? `HTTP ${status}`, status, detail: GATEWAY_ANSWERS[status] ?? `the API answered ${status}${message ? ` (${message})` : ""}` };
}

/**
 * How the stack admits callers (`authMode`): `none` (the public demo), `jwt` (a bearer token on
 * every job request), `iam` (SigV4-signed requests only, which a page cannot make).
 * @typedef {"none" | "jwt" | "iam"} AuthMode
 */

export class ApiClient {
  /**
   * @param {string} apiUrl the API's absolute base URL (from config.json, resolved against the page)
   * @param {AuthMode} [auth]
   */
  constructor(apiUrl, auth = "none") {
    this.base = apiUrl.endsWith("/") ? apiUrl : `${apiUrl}/`;
    this.auth = auth;
    /** @type {string | undefined} the bearer token sent with every request (jwt mode) */
    this.token = undefined;
  }

  /**
   * Reads `config.json` (next to the page) for the API's URL; the page's own origin if absent.
   * @returns {Promise<ApiClient>}
   */
  static async fromConfig() {
    try {
      const response = await fetch("config.json", { cache: "no-cache" });
      if (response.ok) {
        /** @type {unknown} */
        const config = await response.json();
        if (config && typeof config === "object" && "apiUrl" in config && typeof config.apiUrl === "string" && config.apiUrl) {
          const auth = "auth" in config && (config.auth === "jwt" || config.auth === "iam") ? config.auth : "none";
          // Relative ("/") when the API shares the page's origin, whichever domain name it was loaded by.
          return new ApiClient(new URL(config.apiUrl, location.href).href, auth);
        }
      }
    } catch {
      // Fall through: served without a config, the API is expected on the same origin.
    }
    return new ApiClient(location.origin);
  }

  /** @returns {Promise<JobType[]>} */
  listJobTypes() {
    return /** @type {Promise<JobType[]>} */ (this.request("GET", "job-types"));
  }

  /**
   * @param {{ type: string, payload: unknown, delaySeconds?: number, runAt?: string }} submission
   * @param {{ idempotencyKey?: string }} [options]
   * @returns {Promise<Job>}
   */
  submit(submission, options = {}) {
    const headers = idempotencyHeaders(options.idempotencyKey);
    return /** @type {Promise<Job>} */ (this.request("POST", "jobs", submission, headers));
  }

  /**
   * Submits 1 to 100 jobs in one request (`POST /jobs/batch`): one result per job, in order, each
   * accepted (202), a replay of its `idempotencyKey` (200), invalid (400) or a key conflict (422).
   * @param {BatchJob[]} jobs
   * @returns {Promise<BatchResponse>}
   */
  submitBatch(jobs) {
    return /** @type {Promise<BatchResponse>} */ (this.request("POST", "jobs/batch", { jobs }));
  }

  /** @param {string} jobId @returns {Promise<Job>} */
  get(jobId) {
    return /** @type {Promise<Job>} */ (this.request("GET", `jobs/${encodeURIComponent(jobId)}`));
  }

  /** @param {string} jobId @returns {Promise<Job>} */
  cancel(jobId) {
    return /** @type {Promise<Job>} */ (this.request("DELETE", `jobs/${encodeURIComponent(jobId)}`));
  }

  /** @param {string} jobId @returns {Promise<Job>} */
  retry(jobId) {
    return /** @type {Promise<Job>} */ (this.request("POST", `jobs/${encodeURIComponent(jobId)}/retry`));
  }

  /**
   * One page of the caller's jobs, newest first.
   * @param {JobFilter & { limit?: number, cursor?: string, owner?: string }} [query]
   * @returns {Promise<JobPage>}
   */
  list(query = {}) {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) {
      if (value === undefined || value === "" || (Array.isArray(value) && value.length === 0)) continue;
      search.set(name, Array.isArray(value) ? value.join(",") : String(value));
    }
    const suffix = search.size > 0 ? `?${search}` : "";
    return /** @type {Promise<JobPage>} */ (this.request("GET", `jobs${suffix}`));
  }

  /**
   * Counts by status and type: the caller's jobs, every owner's for an admin (or `owner`'s).
   * @param {{ owner?: string }} [query]
   * @returns {Promise<JobSummary>}
   */
  summary(query = {}) {
    const suffix = query.owner ? `?${new URLSearchParams({ owner: query.owner })}` : "";
    return /** @type {Promise<JobSummary>} */ (this.request("GET", `jobs/summary${suffix}`));
  }

  /**
   * A bulk retry or cancel: a dry run (`dryRun: true`) counts and samples, the action moves at
   * most `limit` jobs and answers a `nextCursor` while more match.
   * @param {"retry" | "cancel"} action
   * @param {BulkRequest} request
   * @param {{ idempotencyKey?: string }} [options]
   * @returns {Promise<BulkDryRun | BulkResult>}
   */
  bulk(action, request, options = {}) {
    const headers = idempotencyHeaders(options.idempotencyKey);
    return /** @type {Promise<BulkDryRun | BulkResult>} */ (this.request("POST", `jobs/bulk/${action}`, request, headers));
  }

  /** The API's OpenAPI document. @returns {Promise<Record<string, unknown>>} */
  openApi() {
    return /** @type {Promise<Record<string, unknown>>} */ (this.request("GET", "openapi.json"));
  }

  /**
   * @param {string} method
   * @param {string} path relative to the API's base URL
   * @param {unknown} [body]
   * @param {Record<string, string>} [extraHeaders]
   * @returns {Promise<unknown>}
   */
  async request(method, path, body, extraHeaders = {}) {
    /** @type {Response} */
    let response;
    /** @type {Record<string, string>} */
    const headers = { accept: "application/json", ...extraHeaders };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    try {
      response = await fetch(new URL(path, this.base), {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: "no-store",
      });
    } catch {
      throw new ApiError(0, { title: "Network error", detail: "the API could not be reached; check your connection and try again" });
    }
    const text = await response.text();
    /** @type {unknown} */
    let parsed;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!response.ok) throw new ApiError(response.status, problemOf(response.status, parsed), retryAfterSeconds(response));
    return parsed;
  }
}

/**
 * The `Idempotency-Key` header of a request, when it has a key.
 * @param {string | undefined} key
 * @returns {Record<string, string>}
 */
function idempotencyHeaders(key) {
  return key ? { "idempotency-key": key } : {};
}

/** Tries of a call {@link withRetryAfter} makes at most. */
export const RETRY_AFTER_ATTEMPTS = 10;

/**
 * Calls `call` again when it fails with an answer marked "try again" (429, or 503 with
 * Retry-After: a stack still starting, a throttled API), waiting what the answer asks (at most
 * 5 s a time), up to {@link RETRY_AFTER_ATTEMPTS} tries; any other failure is thrown at once.
 * @template T
 * @param {() => Promise<T>} call
 * @returns {Promise<T>}
 */
export async function withRetryAfter(call) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      const waitSeconds = error instanceof ApiError ? error.retryAfterSeconds : undefined;
      if (!waitSeconds || attempt >= RETRY_AFTER_ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.min(waitSeconds, 5) * 1000));
    }
  }
}

/**
 * The seconds an answer's `Retry-After` asks to wait, at most {@link MAX_RETRY_AFTER_SECONDS};
 * `undefined` without one (or with an HTTP date, which CloudQueue never sends).
 * @param {Response} response
 * @returns {number | undefined}
 */
export function retryAfterSeconds(response) {
  const retryAfter = Number(response.headers.get("retry-after"));
  // A larger one (or one past setTimeout's range) is waited out for this long at most.
  return Number.isFinite(retryAfter) && retryAfter > 0 ? Math.min(retryAfter, MAX_RETRY_AFTER_SECONDS) : undefined;
}
