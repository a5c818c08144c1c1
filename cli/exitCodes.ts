/**
 * What `cloudqueue` exits with (docs/CLI.md lists them). A job that ends `FAILED` while the CLI
 * waits for it is an answer, not a misuse: it has its own code, apart from usage and API errors.
 */
export const EXIT = {
  /** The command did what it was asked; a job waited for `SUCCEEDED`. */
  ok: 0,
  /** A job waited for (`--wait`, `wait`) ended `FAILED` or `CANCELED`; a redrive task ended `FAILED` or `CANCELLED`. */
  failed: 1,
  /** A bad command, option, argument or payload; a bulk action off a terminal without `--yes`. */
  usage: 2,
  /** The API refused the request (a 4xx problem: validation, not found, conflict, token). */
  refused: 3,
  /** The API could not be reached, timed out, or failed (5xx, or 429 after retries). */
  unavailable: 4,
  /** No target: the pulumi CLI is missing or failed, or the stack has no `apiUrl` output. */
  noTarget: 5,
  /** A bulk action was not confirmed at the prompt: nothing changed. */
  declined: 6,
  /** Anything else: a bug in the CLI (the message says what broke). */
  internal: 70,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
