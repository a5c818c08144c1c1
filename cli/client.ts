import { ApiClient, ApiError } from "../site/api.js";
import { version } from "../package.json";

export { ApiError, isTerminal, STATUS_TEXT, TERMINAL } from "../site/api.js";
export type { ApiClient, BatchItemResult, BatchJob, BatchResponse, BulkDryRun, BulkRequest, BulkResult, Job, JobFilter, JobStatus, JobSummary, JobType, Problem } from "../site/api.js";

/** What the CLI says it is, in `User-Agent`: the API's access logs tell the CLI's calls from the page's. */
export const USER_AGENT = `cloudqueue-cli/${version} node/${process.versions.node}`;

/** Tries of one request at most, when the API answers "try again later". */
export const MAX_ATTEMPTS = 3;

/** Answers that say "not now": throttled, or the API (or a gateway before it) unavailable for a moment. */
const TRY_LATER = new Set([429, 502, 503, 504]);

export interface CliApiClientOptions {
  /** Sent as `Authorization: Bearer <token>` with every request. */
  token?: string;
  /** How the client waits between tries. @default setTimeout */
  sleep?: (ms: number) => Promise<void>;
}

/**
 * The page's API client (`site/api.js`, loaded as it is: Node requires the ES module), with what
 * a command line adds: its `User-Agent`, and a retry of a safe request (a read, a cancel, or one
 * with an `Idempotency-Key`, or a batch whose every item has its own) that the API answered 429,
 * 502, 503 or 504, after its `Retry-After`.
 * A retry (`POST /jobs/{id}/retry`) without a key is never sent twice: a second one would be a 409.
 */
export class CliApiClient extends ApiClient {
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(apiUrl: string, options: CliApiClientOptions = {}) {
    super(apiUrl);
    this.token = options.token;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  override async request(method: string, path: string, body?: unknown, extraHeaders: Record<string, string> = {}): Promise<unknown> {
    const headers = { "user-agent": USER_AGENT, ...extraHeaders };
    const safe = method === "GET" || method === "DELETE" || "idempotency-key" in headers || isKeyedBatch(method, path, body);
    for (let attempt = 1; ; attempt++) {
      try {
        return await super.request(method, path, body, headers);
      } catch (error) {
        if (!(error instanceof ApiError) || !safe || !TRY_LATER.has(error.status) || attempt >= MAX_ATTEMPTS) throw error;
        await this.sleep((error.retryAfterSeconds ?? attempt) * 1000);
      }
    }
  }
}

/** A `POST /jobs/batch` whose every item has its own `idempotencyKey`: sent again, it submits nothing twice. */
function isKeyedBatch(method: string, path: string, body: unknown): boolean {
  if (method !== "POST" || path !== "jobs/batch") return false;
  const jobs = (body as { jobs?: unknown } | undefined)?.jobs;
  return Array.isArray(jobs) && jobs.length > 0 && jobs.every((job) => typeof (job as { idempotencyKey?: unknown } | null)?.idempotencyKey === "string");
}

/** Why requests failed to reach the API: the shared client reports every such failure as one "Network error". */
export interface FetchDeadline {
  /** The reason of the latest request that got no answer (`connect ECONNREFUSED 127.0.0.1:8080`, `no answer within 30 s`). */
  lastFailure(): string | undefined;
  /** Puts the original `fetch` back. */
  restore(): void;
}

/**
 * Gives every `fetch` of this process a deadline and remembers why the last one failed. The
 * shared client calls the global `fetch` and takes no signal, so the CLI (which owns its process)
 * wraps the global rather than forking the client.
 */
export function installFetchDeadline(timeoutMs: number): FetchDeadline {
  const original = globalThis.fetch;
  let lastFailure: string | undefined;
  globalThis.fetch = async (input, init = {}) => {
    const deadline = AbortSignal.timeout(timeoutMs);
    try {
      return await original(input, { ...init, signal: init.signal ? AbortSignal.any([init.signal, deadline]) : deadline });
    } catch (error) {
      lastFailure = deadline.aborted ? `no answer within ${timeoutMs / 1000} s` : reasonOf(error);
      throw error;
    }
  };
  return { lastFailure: () => lastFailure, restore: () => void (globalThis.fetch = original) };
}

/** undici's "fetch failed" hides the socket's error in `cause`. */
function reasonOf(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  if (cause instanceof Error && cause.message) return cause.message;
  return error instanceof Error ? error.message : String(error);
}
