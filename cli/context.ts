import type { Command } from "commander";
import type { ApiClient } from "./client";
import type { ExitCode } from "./exitCodes";
import type { OutputStream } from "./output";
import { ENV, resolveTarget, type Target, type TargetSystem } from "./target";

/** The process as a command sees it; tests pass fakes. */
export interface Io {
  stdout: OutputStream;
  stderr: OutputStream;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: Record<string, string | undefined>;
  now(): number;
}

/** The API calls the commands make: the shared client's, so a test can stand in for it. */
export type Api = Pick<ApiClient, "listJobTypes" | "submit" | "submitBatch" | "get" | "cancel" | "retry" | "list" | "summary" | "bulk">;

/** An API client for one target, and why its last request got no answer (for the error message). */
export interface Connection {
  api: Api;
  lastNetworkFailure(): string | undefined;
}

/** Everything the commands use from outside. */
export interface CliDeps {
  io: Io;
  target: TargetSystem;
  connect(apiUrl: string, options: { token?: string; timeoutMs: number }): Connection;
  readFile(path: string): Promise<string>;
  readStdin(): Promise<string>;
  sleep(ms: number): Promise<void>;
  /** A fresh random key (a bulk run's, a submission's Idempotency-Key). */
  randomKey(): string;
  /** Asks a yes/no question on the terminal. */
  confirm(question: string): Promise<boolean>;
  /** Runs `listener` on Ctrl-C, then exits 130; the returned function stops listening. */
  onInterrupt(listener: () => void): () => void;
}

/** The options every command takes (the program's). */
export interface GlobalOptions {
  api?: string;
  stack?: string;
  dataDir?: string;
  token?: string;
  json?: boolean;
  timeout: number;
}

/** What a run learned that its exit code and its error message depend on. */
export interface RunState {
  exitCode?: ExitCode;
  target?: Target;
  connection?: Connection;
}

/** A command's way to the API: the target resolved, the client built, the output settings. */
export interface Session {
  api: Api;
  target: Target;
  json: boolean;
  /** The terminal's width for tables; none when stdout is not a terminal. */
  width: number | undefined;
}

/** Resolves the target of `command`'s options and connects to it, remembering both in `state`. */
export async function openSession(command: Command, deps: CliDeps, state: RunState): Promise<Session> {
  const options = command.optsWithGlobals<GlobalOptions>();
  const target = await resolveTarget(options, deps.target);
  state.target = target;
  const connection = deps.connect(target.apiUrl, { token: options.token ?? (deps.io.env[ENV.token] || undefined), timeoutMs: options.timeout * 1000 });
  state.connection = connection;
  return { api: connection.api, target, json: options.json === true, width: tableWidth(deps.io.stdout) };
}

/** The terminal's width, for tables cut to fit; none for a pipe or a file. */
export function tableWidth(stream: OutputStream): number | undefined {
  return stream.isTTY && stream.columns ? stream.columns : undefined;
}
