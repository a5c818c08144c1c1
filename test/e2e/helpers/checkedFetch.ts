import type { AuthMode } from "../../../handlers/auth/authMode";
import { createBuiltInJobTypes } from "../../../handlers/domain/jobTypes";
import { openApiDocument } from "../../../handlers/openapi";
import { isApiPath } from "../../../handlers/routes";
import { openApiChecker, type HeaderSource, type OpenApiChecker } from "../../helpers/openApiCheck";

/**
 * `fetch` for the API of a spawned `npm start` stack: every answer to a path under the API's
 * prefixes (`handlers/routes.ts` {@link isApiPath}) is checked against the OpenAPI document of
 * that stack (`test/helpers/openApiCheck.ts`) before it is returned; a non-conforming answer
 * rejects with `OpenApiConformanceError`. Anything else (the page, `config.json`, `/metrics`,
 * `/.well-known/`) is returned unchecked. The answer's body is still unread.
 *
 * The document is the built-in job types' (those `npm start` runs) in the stack's auth mode, which
 * its `config.json` says (read once per origin).
 */
export async function checkedFetch(input: string | URL, init: RequestInit = {}): Promise<Response> {
  const url = new URL(input);
  const response = await fetch(url, init);
  if (!isApiPath(url.pathname)) return response;
  const checker = await openApiCheckerFor(url.origin);
  checker.assertConforms(init.method ?? "GET", `${url.pathname}${url.search}`, response.status, response.headers, await response.clone().text());
  return response;
}

/**
 * Checks an answer of the stack at `origin` that was received some other way (a browser's, a
 * CLI's): throws `OpenApiConformanceError` unless it conforms. Paths outside the API pass.
 */
export async function assertStackAnswerConforms(origin: string, method: string, rawPath: string, status: number, headers: HeaderSource, bodyText: string): Promise<void> {
  if (!isApiPath(rawPath.split("?")[0]!)) return;
  (await openApiCheckerFor(origin)).assertConforms(method, rawPath, status, headers, bodyText);
}

// One per origin: a port's stack keeps its auth mode (a restarted stack gets a new port).
const checkers = new Map<string, Promise<OpenApiChecker>>();

/** The checker of the stack at `origin`, in the auth mode its `config.json` says. */
export function openApiCheckerFor(origin: string): Promise<OpenApiChecker> {
  let checker = checkers.get(origin);
  if (!checker) {
    checker = (async () => {
      const config = await fetch(`${origin}/config.json`);
      if (config.status !== 200) throw new Error(`${origin}/config.json answered ${config.status}`);
      const { auth } = (await config.json()) as { auth: AuthMode };
      return openApiCheckerForMode(auth);
    })();
    checkers.set(origin, checker);
    checker.catch(() => checkers.delete(origin));
  }
  return checker;
}

const documents = new Map<AuthMode, Record<string, unknown>>();

/**
 * The checker of a `npm start` stack in `mode`, for answers received before its `config.json`
 * can be read (a stack still starting answers everything `503`).
 */
export function openApiCheckerForMode(mode: AuthMode): OpenApiChecker {
  let document = documents.get(mode);
  if (!document) documents.set(mode, (document = openApiDocument({ jobTypes: createBuiltInJobTypes(), authMode: mode, requireScopes: true })));
  return openApiChecker(document);
}
