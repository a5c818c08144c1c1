import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import * as v from "valibot";
import { TargetError, UsageError } from "./errors";

/** Where `npm start` listens when told nothing else (local/options.ts). */
export const LOCAL_DEFAULT_API_URL = "http://127.0.0.1:8080";
/** `npm start`'s data folder when told nothing else (local/options.ts). */
export const LOCAL_DEFAULT_DATA_DIR = ".cloudqueue";
/**
 * The file a running `npm start` would write into its data folder to say where it listens (not
 * written yet: until it is, a local stack on another port needs `--api`).
 */
export const LOCAL_STACK_FILE = "local-stack.json";

/** The environment variables the CLI reads. */
export const ENV = {
  apiUrl: "CLOUDQUEUE_API_URL",
  token: "CLOUDQUEUE_TOKEN",
  dataDir: "CLOUDQUEUE_DATA_DIR",
} as const;

/** Where the API is, and how the CLI found it (errors name it). */
export interface Target {
  apiUrl: string;
  source: "--api" | "--stack" | "CLOUDQUEUE_API_URL" | "local stack" | "local default";
  /** In words, for messages: `stack dev`, `the local stack (.cloudqueue/local-stack.json)`. */
  description: string;
}

/** What the command line said about the target. */
export interface TargetOptions {
  api?: string;
  stack?: string;
  dataDir?: string;
}

/** What target resolution reads from outside; tests pass fakes. */
export interface TargetSystem {
  env: Record<string, string | undefined>;
  /** `pulumi <args>`'s stdout. */
  pulumi(args: string[]): Promise<string>;
  readFile(path: string): Promise<string>;
  isAlive(pid: number): boolean;
}

/**
 * The API to talk to, first found of: `--api URL`, `--stack NAME` (its `apiUrl` output, from
 * `pulumi stack output`), `CLOUDQUEUE_API_URL`, the local stack's file in its data folder
 * (`--data-dir`, `CLOUDQUEUE_DATA_DIR`, default `.cloudqueue`), `npm start`'s default address.
 */
export async function resolveTarget(options: TargetOptions, system: TargetSystem): Promise<Target> {
  if (options.api !== undefined) return { apiUrl: apiUrlOf(options.api, "--api"), source: "--api", description: options.api };
  if (options.stack !== undefined) {
    const output = await stackOutput(system, options.stack, "apiUrl");
    return { apiUrl: apiUrlOf(output, `stack ${options.stack}'s apiUrl output`, TargetError), source: "--stack", description: `stack ${options.stack}` };
  }
  const fromEnv = system.env[ENV.apiUrl];
  if (fromEnv) return { apiUrl: apiUrlOf(fromEnv, ENV.apiUrl), source: ENV.apiUrl, description: `${ENV.apiUrl} (${fromEnv})` };
  const dataDir = options.dataDir ?? system.env[ENV.dataDir] ?? LOCAL_DEFAULT_DATA_DIR;
  const local = await readLocalStackFile(dataDir, system);
  if (local) return { apiUrl: local, source: "local stack", description: `the local stack of ${resolve(dataDir)}` };
  return { apiUrl: LOCAL_DEFAULT_API_URL, source: "local default", description: `the local stack at ${LOCAL_DEFAULT_API_URL} (npm start's default)` };
}

/** One output of a Pulumi stack (the selected one without `stack`), as `pulumi stack output` prints it. */
export async function stackOutput(system: Pick<TargetSystem, "pulumi">, stack: string | undefined, name: string): Promise<string> {
  const args = ["stack", "output", name, ...(stack === undefined ? [] : ["--stack", stack])];
  const which = stack === undefined ? "the selected stack" : `stack ${stack}`;
  let output: string;
  try {
    output = (await system.pulumi(args)).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      throw new TargetError(`the pulumi CLI is not installed (no pulumi on PATH): install it (https://www.pulumi.com/docs/install/) to use ${stack === undefined ? "the selected stack" : "--stack"}, or pass --api URL`, { cause: error });
    }
    const stderr = String((error as { stderr?: unknown }).stderr ?? "").trim().split("\n")[0];
    throw new TargetError(`pulumi stack output ${name} failed for ${which}${stderr ? `: ${stderr}` : ""}`, { cause: error });
  }
  if (output === "") throw new TargetError(`${which} has no ${name} output: has it been deployed (pulumi up)?`);
  return output;
}

/** Runs the real `pulumi`; an error carries its `code` (ENOENT when it is not installed) and `stderr`. */
export function runPulumi(args: string[]): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    execFile("pulumi", args, { encoding: "utf8", timeout: 60_000 }, (error, stdout, stderr) => (error ? reject(Object.assign(error, { stderr })) : resolvePromise(stdout)));
  });
}

/** What a running `npm start` is expected to write: where it listens, and which process it is. */
const LocalStackFileSchema = v.object({
  pid: v.pipe(v.number(), v.integer(), v.minValue(1)),
  apiUrl: v.pipe(v.string(), v.url()),
});

/** The API URL of the local stack whose data folder is `dataDir`, if one is running there. */
export async function readLocalStackFile(dataDir: string, system: Pick<TargetSystem, "readFile" | "isAlive">): Promise<string | undefined> {
  let text: string;
  try {
    text = await system.readFile(join(dataDir, LOCAL_STACK_FILE));
  } catch {
    return undefined;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  const file = v.safeParse(LocalStackFileSchema, parsed);
  // A file whose process is gone was left by a stack that was killed: nothing listens there.
  if (!file.success || !system.isAlive(file.output.pid)) return undefined;
  return new URL(file.output.apiUrl).href;
}

/** An http(s) base URL, or the error naming where the bad one came from. */
export function apiUrlOf(text: string, from: string, Failure: typeof UsageError | typeof TargetError = UsageError): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Failure(`${from} is not a URL: ${JSON.stringify(text)} (e.g. http://127.0.0.1:8080)`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new Failure(`${from} must be an http or https URL, not ${JSON.stringify(text)}`);
  if (url.search || url.hash) throw new Failure(`${from} must not carry a query or fragment: ${JSON.stringify(text)}`);
  return url.href;
}

/** The real system: the process's environment, `pulumi` on PATH, the file system. */
export function realTargetSystem(env: Record<string, string | undefined>): TargetSystem {
  return {
    env,
    pulumi: runPulumi,
    readFile: (path) => readFile(path, "utf8"),
    isAlive(pid) {
      try {
        process.kill(pid, 0);
        return true;
      } catch (error) {
        // EPERM: it exists but is someone else's, so it is alive.
        return (error as NodeJS.ErrnoException).code === "EPERM";
      }
    },
  };
}
