import { EXIT, type ExitCode } from "./exitCodes";

/** Base of every error the CLI raises on purpose: its message is one line for stderr, its code the exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "CliError";
  }
}

/** A bad argument or option the parser could not catch (a payload that is not JSON, a missing `--yes`). */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, EXIT.usage);
    this.name = "UsageError";
  }
}

/** No API to talk to: the pulumi CLI is missing or failed, or a stack has no `apiUrl`. */
export class TargetError extends CliError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, EXIT.noTarget, options);
    this.name = "TargetError";
  }
}

/** A bulk action the person declined at the prompt. */
export class DeclinedError extends CliError {
  constructor(message: string) {
    super(message, EXIT.declined);
    this.name = "DeclinedError";
  }
}
