import { PassThrough } from "node:stream";
import type { Job } from "../../../cli/client";
import type { Api, CliDeps } from "../../../cli/context";
import type { ExitCode } from "../../../cli/exitCodes";
import { run } from "../../../cli/program";
import type { TargetSystem } from "../../../cli/target";

/** A stream that keeps what is written to it. */
export class FakeStream {
  text = "";
  constructor(
    readonly isTTY = false,
    readonly columns?: number,
  ) {}
  write(text: string): boolean {
    this.text += text;
    return true;
  }
}

/** Every call a fake API got, in order: the method's name and its arguments. */
export type Call = [method: keyof Api, ...args: unknown[]];

/**
 * An API whose answers a test scripts per method: each call takes the next answer of its queue
 * (an Error is thrown); a method without answers left fails the test loudly.
 */
export function fakeApi(answers: Partial<Record<keyof Api, unknown[]>>): { api: Api; calls: Call[] } {
  const calls: Call[] = [];
  const answer = (method: keyof Api) =>
    async (...args: unknown[]) => {
      calls.push([method, ...args]);
      const queue = answers[method];
      if (!queue || queue.length === 0) throw new Error(`unexpected call ${method}(${JSON.stringify(args)})`);
      const next = queue.shift();
      if (next instanceof Error) throw next;
      return next;
    };
  const methods = ["listJobTypes", "submit", "get", "cancel", "retry", "list", "summary", "bulk"] as const;
  return { api: Object.fromEntries(methods.map((method) => [method, answer(method)])) as unknown as Api, calls };
}

/** A target system with nothing found: no pulumi, no local stack file. */
export function emptyTargetSystem(overrides: Partial<TargetSystem> = {}): TargetSystem {
  return {
    env: {},
    pulumi: async () => {
      throw Object.assign(new Error("spawn pulumi ENOENT"), { code: "ENOENT" });
    },
    readFile: async (path) => {
      throw Object.assign(new Error(`ENOENT: ${path}`), { code: "ENOENT" });
    },
    isAlive: () => false,
    ...overrides,
  };
}

export const NOW = Date.parse("2025-05-01T12:00:00.000Z");

export interface Harness {
  deps: CliDeps;
  stdout: FakeStream;
  stderr: FakeStream;
  calls: Call[];
  /** The URLs `connect` was asked for, with the token. */
  connections: { apiUrl: string; token?: string; timeoutMs: number }[];
  sleeps: number[];
  questions: string[];
}

/** Fake deps around a scripted API; `tty` makes stdin, stdout and stderr terminals. */
export function harness(answers: Partial<Record<keyof Api, unknown[]>>, options: { tty?: boolean; confirm?: boolean; env?: Record<string, string>; target?: Partial<TargetSystem>; stdin?: string } = {}): Harness {
  const { api, calls } = fakeApi(answers);
  const stdout = new FakeStream(options.tty, options.tty ? 80 : undefined);
  const stderr = new FakeStream(options.tty, options.tty ? 80 : undefined);
  const stdin = Object.assign(new PassThrough(), { isTTY: options.tty });
  const connections: Harness["connections"] = [];
  const sleeps: number[] = [];
  const questions: string[] = [];
  let keys = 0;
  const deps: CliDeps = {
    io: { stdout, stderr, stdin, env: options.env ?? {}, now: () => NOW },
    target: emptyTargetSystem({ env: options.env ?? {}, ...options.target }),
    connect(apiUrl, connection) {
      connections.push({ apiUrl, ...connection });
      return { api, lastNetworkFailure: () => "connect ECONNREFUSED 127.0.0.1:8080" };
    },
    readFile: async (path) => {
      if (path === "payload.json") return '{"text":"from a file"}';
      throw Object.assign(new Error("no such file"), { code: "ENOENT" });
    },
    readStdin: async () => options.stdin ?? "",
    sleep: async (ms) => void sleeps.push(ms),
    randomKey: () => `key${++keys}`,
    confirm: async (question) => {
      questions.push(question);
      return options.confirm ?? false;
    },
    onInterrupt: () => () => {},
  };
  return { deps, stdout, stderr, calls, connections, sleeps, questions };
}

/** Runs a command line against the harness. */
export function runCli(h: Harness, argv: string[]): Promise<ExitCode> {
  return run(argv, h.deps);
}

/** A job as the API shows it, with defaults for what a test does not care about. */
export function job(overrides: Partial<Job> = {}): Job {
  return { jobId: "job-1", type: "text.transform", status: "QUEUED", attempts: 0, maxAttempts: 3, createdAt: "2025-05-01T11:59:00.000Z", ...overrides };
}
