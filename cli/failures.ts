import { ApiError } from "./client";
import type { RunState } from "./context";
import { CliError } from "./errors";
import { EXIT, type ExitCode } from "./exitCodes";
import { ENV } from "./target";

/** A failure as the person reads it (lines for stderr) and as a script reads it (the exit code). */
export interface Failure {
  exitCode: ExitCode;
  lines: string[];
}

/** What to do about a 401 from a gateway: the page's advice (paste a token) is not the CLI's. */
const TOKEN_HINT = `pass --token or set ${ENV.token} (for npm start -- --auth jwt: export ${ENV.token}=$(npm run -s token -- --sub you))`;

/**
 * Any error a run ends with, as its message and exit code: the CLI's own as they are, the API's
 * by status (4xx refused, 5xx and 429 unavailable, no answer unreachable, with the target named),
 * anything else a bug.
 */
export function describeFailure(error: unknown, state: RunState): Failure {
  if (error instanceof CliError) return { exitCode: error.exitCode, lines: [error.message] };
  if (error instanceof ApiError) return apiFailure(error, state);
  if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) {
    return { exitCode: EXIT.unavailable, lines: [`no answer from the API at ${state.target?.apiUrl ?? "?"} in time (${error.message})`] };
  }
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return { exitCode: EXIT.internal, lines: [`unexpected error (a bug in the CLI): ${message.split("\n")[0]}`] };
}

function apiFailure(error: ApiError, state: RunState): Failure {
  const target = state.target;
  if (error.status === 0) {
    const reason = state.connection?.lastNetworkFailure();
    const hint = target?.source === "local default" || target?.source === "local stack" ? "; is npm start running? (or pass --api URL or --stack NAME)" : "";
    return { exitCode: EXIT.unavailable, lines: [`cannot reach the API at ${target?.apiUrl ?? "?"}${reason ? ` (${reason})` : ""}${hint}`] };
  }
  const { problem } = error;
  const exitCode = error.status >= 500 || error.status === 429 ? EXIT.unavailable : EXIT.refused;
  // A gateway's own answer ({"message"}) carries no problem type; its advice is written for the page.
  const detail = error.status === 401 && problem.type === undefined ? `this API needs a token: ${TOKEN_HINT}` : problem.detail;
  const title = problem.title ?? `HTTP ${error.status}`;
  const head = `${title} (${error.status})${detail && detail !== title ? `: ${detail}` : ""}`;
  const fields = (problem.errors ?? []).map((field) => `  ${field.path}: ${field.message}`);
  return { exitCode, lines: [head, ...fields] };
}
