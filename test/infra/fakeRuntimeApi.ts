import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";

/**
 * A Lambda execution environment for one function, built from the real Node.js runtime interface
 * client (npm `aws-lambda-ric`, the code behind the managed `nodejs22.x` runtime) and a fake of the
 * Runtime API it talks to. What the tests need from it is what CloudWatch would receive: the lines
 * the function's code writes on stdout and the records the client's console patch writes, each
 * attributed to the invocation that wrote it, under the environment Lambda sets. The Runtime API,
 * the process and its output files live in one file because they are one contract: the headers
 * `next` sends, the environment and fds the process starts with, the framing the client writes.
 */

const API = "/2018-06-01/runtime";
/** Lambda refuses a synchronous invocation's response above 6 MB. */
const MAX_RESPONSE_BYTES = 6 * 1024 * 1024;
const RIC_ENTRY = require.resolve("aws-lambda-ric");
const TELEMETRY_FD = 3;

/** The error a runtime reported: the body it posted, its type from the error-type header. */
export interface ReportedError {
  errorType: string;
  errorMessage: string;
  trace?: string[];
}

/** One invocation as the Runtime API saw it. */
export interface InvocationResult {
  /** `Lambda-Runtime-Aws-Request-Id`: what the function sees as `context.awsRequestId`. */
  requestId: string;
  traceId: string;
  deadlineMs: number;
  /** When `next` handed the event out, and when the runtime reported the outcome. */
  dispatchedMs: number;
  reportedMs: number;
  outcome: { ok: true; response: unknown } | { ok: false; error: ReportedError };
}

/** What the Runtime API tells of the function in every `next`. */
export interface FunctionEndpoint {
  /** `Lambda-Runtime-Invoked-Function-Arn`. */
  arn: string;
  /** Sets `Lambda-Runtime-Deadline-Ms`. */
  timeoutSeconds: number;
}

interface Queued {
  event: unknown;
  resolve(result: InvocationResult): void;
  reject(error: Error): void;
}
interface InFlight extends Queued {
  requestId: string;
  traceId: string;
  deadlineMs: number;
  dispatchedMs: number;
}

/**
 * The Runtime API (2018-06-01) of one execution environment: `next` long-polls until an event is
 * queued and answers with the headers Lambda sends; `response`, `error` and `init/error` record
 * the outcome. One invocation at a time, as in one Lambda sandbox. Anything a real runtime client
 * must not do (a report for another request id, a second `next` while one waits) is answered as
 * Lambda would and kept in {@link violations}, for the test to assert empty.
 */
export class FakeRuntimeApi {
  readonly violations: string[] = [];
  private readonly queue: Queued[] = [];
  private inFlight: InFlight | undefined;
  private waiting: http.ServerResponse | undefined;
  private initError: ReportedError | undefined;

  private constructor(
    private readonly server: http.Server,
    /** `host:port`, the value of `AWS_LAMBDA_RUNTIME_API`. */
    readonly address: string,
    private readonly fn: FunctionEndpoint,
    private readonly onDispatch: () => void,
  ) {}

  /**
   * Listens on a free port of 127.0.0.1. `onDispatch` runs just before an event is handed out,
   * while the runtime is blocked in `next`: everything it wrote until then precedes the invocation.
   */
  static async start(fn: FunctionEndpoint, onDispatch: () => void = () => {}): Promise<FakeRuntimeApi> {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    const api = new FakeRuntimeApi(server, `127.0.0.1:${port}`, fn, onDispatch);
    server.on("request", (req, res) => {
      api.route(req, res).catch((error: unknown) => {
        api.violations.push(`${req.method} ${req.url}: ${error}`);
        if (!res.headersSent) answer(res, 500, { errorType: "ServiceException", errorMessage: String(error) });
      });
    });
    return api;
  }

  /** Queues `event`; resolves when the runtime reports its outcome. */
  invoke(event: unknown): Promise<InvocationResult> {
    if (this.initError) return Promise.reject(initFailure(this.initError));
    return new Promise((resolve, reject) => {
      this.queue.push({ event, resolve, reject });
      this.dispatch();
    });
  }

  /** Fails the invocation in flight and every queued one (the runtime died or timed out). */
  abort(reason: Error): void {
    for (const invocation of [...(this.inFlight ? [this.inFlight] : []), ...this.queue.splice(0)]) invocation.reject(reason);
    this.inFlight = undefined;
  }

  async close(): Promise<void> {
    this.abort(new Error("the Runtime API was closed"));
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private dispatch(): void {
    if (!this.waiting || this.inFlight || this.queue.length === 0) return;
    const queued = this.queue.shift()!;
    const requestId = randomUUID();
    const dispatchedMs = Date.now();
    const traceId = `Root=1-${Math.floor(dispatchedMs / 1000).toString(16)}-${randomBytes(12).toString("hex")};Parent=${randomBytes(8).toString("hex")};Sampled=0`;
    this.inFlight = { ...queued, requestId, traceId, deadlineMs: dispatchedMs + this.fn.timeoutSeconds * 1000, dispatchedMs };
    this.onDispatch();
    const body = JSON.stringify(queued.event);
    this.waiting.writeHead(200, {
      "Content-Type": "application/json",
      "Lambda-Runtime-Aws-Request-Id": requestId,
      "Lambda-Runtime-Deadline-Ms": String(this.inFlight.deadlineMs),
      "Lambda-Runtime-Invoked-Function-Arn": this.fn.arn,
      "Lambda-Runtime-Trace-Id": traceId,
    });
    this.waiting.end(body);
    this.waiting = undefined;
  }

  private async route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = req.url ?? "";
    const body = await readBody(req);
    const report = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/.exec(url);
    if (req.method === "GET" && url === `${API}/invocation/next`) {
      if (this.waiting) this.violations.push("a second `next` while one was waiting");
      this.waiting = res;
      this.dispatch();
    } else if (req.method === "POST" && report) {
      const requestId = decodeURIComponent(report[1]!);
      const invocation = this.inFlight;
      if (!invocation || invocation.requestId !== requestId) {
        this.violations.push(`a ${report[2]} for ${requestId}, which is not the invocation in flight`);
        return answer(res, 400, { errorType: "InvalidRequestID", errorMessage: `no invocation ${requestId} in flight` });
      }
      this.inFlight = undefined;
      const result = { requestId, traceId: invocation.traceId, deadlineMs: invocation.deadlineMs, dispatchedMs: invocation.dispatchedMs, reportedMs: Date.now() };
      if (report[2] === "error") {
        invocation.resolve({ ...result, outcome: { ok: false, error: reportedError(req, body) } });
      } else if (body.length > MAX_RESPONSE_BYTES) {
        invocation.resolve({ ...result, outcome: { ok: false, error: { errorType: "Function.ResponseSizeTooLarge", errorMessage: `${body.length} bytes` } } });
        return answer(res, 413, { errorType: "RequestEntityTooLarge", errorMessage: "response over 6 MB" });
      } else {
        invocation.resolve({ ...result, outcome: { ok: true, response: JSON.parse(body.toString("utf8")) } });
      }
      answer(res, 202, { status: "OK" });
      this.dispatch();
    } else if (req.method === "POST" && url === `${API}/init/error`) {
      this.initError = reportedError(req, body);
      this.abort(initFailure(this.initError));
      answer(res, 202, { status: "OK" });
    } else {
      this.violations.push(`${req.method} ${url}`);
      answer(res, 404, { errorType: "NotFound", errorMessage: url });
    }
  }
}

function reportedError(req: http.IncomingMessage, body: Buffer): ReportedError {
  const posted = JSON.parse(body.toString("utf8") || "{}");
  return { ...posted, errorType: String(req.headers["lambda-runtime-function-error-type"] ?? posted.errorType) };
}

function initFailure(error: ReportedError): Error {
  return new Error(`the runtime reported an init error: ${error.errorType}: ${error.errorMessage}`);
}

function answer(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "Content-Type": "application/json" }).end(JSON.stringify(body));
}

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A record the runtime client wrote on the telemetry fd (one `console.*` call). */
export interface TelemetryFrame {
  format: "JSON" | "TEXT";
  level: string;
  /** Microseconds since the epoch, from the frame header. */
  timestampUs: bigint;
  payload: string;
}

const FRAME_LEVELS = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"] as const;
const FRAME_FORMATS: Readonly<Record<number, TelemetryFrame["format"]>> = { 0xa55a0002: "JSON", 0xa55a0003: "TEXT" };
const FRAME_LEVEL_MASK = 0x1c;

/**
 * Splits what the client wrote on `_LAMBDA_TELEMETRY_LOG_FD` into frames (its LogPatch.js): a
 * 16-byte header, then the record. Header: uint32 BE type (0xa55a0002 JSON or 0xa55a0003 text,
 * OR'ed with the level in bits 2–4: TRACE 1 … FATAL 6), int32 BE length, int64 BE timestamp (µs).
 * Returns the complete frames and the bytes of an incomplete last one.
 */
export function decodeTelemetryFrames(bytes: Buffer): { frames: TelemetryFrame[]; rest: Buffer } {
  const frames: TelemetryFrame[] = [];
  let offset = 0;
  while (bytes.length - offset >= 16) {
    const type = bytes.readUInt32BE(offset);
    const length = bytes.readInt32BE(offset + 4);
    if (bytes.length - offset - 16 < length) break;
    const format = FRAME_FORMATS[(type & ~FRAME_LEVEL_MASK) >>> 0];
    const level = FRAME_LEVELS[((type & FRAME_LEVEL_MASK) >> 2) - 1];
    if (!format || !level) throw new Error(`not a telemetry frame: type 0x${type.toString(16)} at byte ${offset}`);
    const timestampUs = bytes.readBigInt64BE(offset + 8);
    frames.push({ format, level, timestampUs, payload: bytes.subarray(offset + 16, offset + 16 + length).toString("utf8") });
    offset += 16 + length;
  }
  return { frames, rest: bytes.subarray(offset) };
}

/** A function's configuration, as far as it shapes the execution environment. */
export interface SandboxOptions {
  /** The unpacked archive: `/var/task`. */
  taskDir: string;
  /** `file.export`, e.g. `__index.handler`. */
  handler: string;
  /** e.g. `nodejs22.x`; it names `AWS_EXECUTION_ENV`. */
  runtime: string;
  functionName: string;
  memorySize: number;
  timeoutSeconds: number;
  logging: { logFormat: string; applicationLogLevel?: string; logGroup: string };
  region: string;
  accountId: string;
  /** The function's own variables, added to Lambda's (the tests point them at the emulators). */
  environment: Record<string, string>;
}

/** What the process wrote on stdout (complete lines), on the telemetry fd, and on stderr. */
export interface ProcessOutput {
  stdout: string[];
  telemetry: TelemetryFrame[];
  stderr: string;
}

/** One invocation, with what the process wrote while serving it. */
export type Invocation = InvocationResult & ProcessOutput;

/**
 * What the managed runtime's entry point (`/var/runtime/index.mjs`, exec'd by its bootstrap) does:
 * hand `LAMBDA_TASK_ROOT` and `_HANDLER` to the client's `run`, which patches the console and
 * loops over `next`. (The package's bin differs: it takes the handler from argv and prints an
 * "Executing ..." line first.)
 */
const BOOTSTRAP = `import { run } from ${JSON.stringify(pathToFileURL(RIC_ENTRY).href)};\nawait run(process.env.LAMBDA_TASK_ROOT, process.env._HANDLER);\n`;

/**
 * One function's execution environment: the runtime client in its own node process, serving the
 * invocations of a {@link FakeRuntimeApi}. stdout, stderr and the telemetry fd are files, not
 * pipes: the process writes them synchronously, so once it has reported an invocation's outcome
 * everything it wrote for it is on disk, and reading from the last offset attributes each line to
 * its invocation without guessing at timing.
 */
export class LambdaSandbox {
  private exited: Error | undefined;
  private readonly ended: Promise<void>;

  private constructor(
    private readonly api: FakeRuntimeApi,
    private readonly child: ChildProcess,
    private readonly files: OutputFiles,
    private readonly options: SandboxOptions,
    /** Output written between invocations: at init, and after a response (Lambda files that under the next request). */
    readonly outsideInvocations: readonly ProcessOutput[],
  ) {
    this.ended = new Promise((resolve) => {
      const end = (reason: string) => {
        this.exited ??= new Error(`the ${options.functionName} runtime ${reason}; stderr: ${fs.readFileSync(files.paths[1], "utf8").slice(-2000)}`);
        api.abort(this.exited);
        resolve();
      };
      child.once("exit", (code, signal) => end(`exited (${signal ?? `code ${code}`})`));
      child.once("error", (error) => end(`could not run: ${error.message}`));
    });
  }

  static async start(options: SandboxOptions): Promise<LambdaSandbox> {
    const files = new OutputFiles(fs.mkdtempSync(path.join(os.tmpdir(), `cloudqueue-sandbox-${options.functionName}-`)));
    const arn = `arn:aws:lambda:${options.region}:${options.accountId}:function:${options.functionName}`;
    const outside: ProcessOutput[] = [];
    const api = await FakeRuntimeApi.start({ arn, timeoutSeconds: options.timeoutSeconds }, () => outside.push(files.take()));
    const child = spawn(process.execPath, [...nodeArguments(options.memorySize), "--input-type=module", "--eval", BOOTSTRAP], {
      cwd: options.taskDir,
      env: lambdaEnvironment(options, api.address),
      stdio: ["ignore", files.fds[0], files.fds[1], files.fds[2]],
    });
    files.closeParentCopies();
    return new LambdaSandbox(api, child, files, options, outside);
  }

  /** Invokes the function with `event` as Lambda would, cut off at its timeout (plus Lambda's 10 s init allowance). */
  async invoke(event: unknown): Promise<Invocation> {
    if (this.exited) throw this.exited;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new Error(`Task timed out after ${this.options.timeoutSeconds} s`));
        this.child.kill("SIGKILL");
      }, (this.options.timeoutSeconds + 10) * 1000);
    });
    try {
      const result = await Promise.race([this.api.invoke(event), timedOut]);
      return { ...result, ...this.files.take() };
    } finally {
      clearTimeout(timer);
    }
  }

  /** What the runtime client did that a real Runtime API would have refused. */
  get violations(): readonly string[] {
    return this.api.violations;
  }

  /** Kills the process (Lambda's shutdown of an idle sandbox) and frees its port and files. */
  async stop(): Promise<void> {
    if (!this.exited) this.child.kill("SIGKILL");
    await this.ended;
    await this.api.close();
    fs.rmSync(this.files.dir, { recursive: true, force: true });
  }
}

/** The node flags of the runtime's bootstrap: heap sizes from the function's memory. */
function nodeArguments(memorySize: number): string[] {
  const newSpace = Math.floor(memorySize / 10);
  return ["--expose-gc", "--max-http-header-size", "81920", `--max-semi-space-size=${Math.floor(newSpace / 2)}`, `--max-old-space-size=${memorySize - newSpace}`];
}

/**
 * The environment Lambda starts the runtime with, then the function's own variables; nothing is
 * inherited from the test process. The function's variables come last, so the emulators' region
 * and keys stand in for the role's.
 *
 * `_LAMBDA_TELEMETRY_LOG_FD` is set, as Lambda sets it for the managed runtimes (the client reads
 * it when it patches the console and deletes it, which is why it never shows in a function's
 * `process.env`). With it, the client writes each `console.*` record as a frame on that fd
 * ({@link decodeTelemetryFrames}); without it, on stdout, among the code's own lines. Setting it
 * keeps the two apart as Lambda's log pipeline receives them: stdout carries exactly what the code
 * wrote with `process.stdout`, the fd exactly what went through the console patch.
 */
function lambdaEnvironment(options: SandboxOptions, runtimeApi: string): Record<string, string> {
  const stream = `${new Date().toISOString().slice(0, 10).replaceAll("-", "/")}/[$LATEST]${randomBytes(16).toString("hex")}`;
  return {
    PATH: `${path.dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`,
    LANG: "en_US.UTF-8",
    TZ: ":UTC",
    _HANDLER: options.handler,
    LAMBDA_TASK_ROOT: options.taskDir,
    LAMBDA_RUNTIME_DIR: path.dirname(RIC_ENTRY),
    AWS_EXECUTION_ENV: `AWS_Lambda_${options.runtime}`,
    AWS_LAMBDA_RUNTIME_API: runtimeApi,
    AWS_LAMBDA_FUNCTION_NAME: options.functionName,
    AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(options.memorySize),
    AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
    AWS_LAMBDA_LOG_GROUP_NAME: options.logging.logGroup,
    AWS_LAMBDA_LOG_STREAM_NAME: stream,
    AWS_LAMBDA_LOG_FORMAT: options.logging.logFormat,
    ...(options.logging.applicationLogLevel && { AWS_LAMBDA_LOG_LEVEL: options.logging.applicationLogLevel }),
    _LAMBDA_TELEMETRY_LOG_FD: String(TELEMETRY_FD),
    AWS_REGION: options.region,
    AWS_DEFAULT_REGION: options.region,
    ...options.environment,
  };
}

/** stdout, stderr and the telemetry fd as files, read on from where the last read stopped. */
class OutputFiles {
  readonly paths: readonly [string, string, string];
  readonly fds: [number, number, number];
  private readonly offsets = [0, 0, 0];
  private partialLine = "";
  private partialFrame: Buffer = Buffer.alloc(0);

  constructor(readonly dir: string) {
    this.paths = [path.join(dir, "stdout"), path.join(dir, "stderr"), path.join(dir, "telemetry")];
    this.fds = [fs.openSync(this.paths[0], "w"), fs.openSync(this.paths[1], "w"), fs.openSync(this.paths[2], "w")];
  }

  /** The child holds its own copies once spawned. */
  closeParentCopies(): void {
    for (const fd of this.fds) fs.closeSync(fd);
  }

  take(): ProcessOutput {
    const [stdout, stderr, telemetry] = this.paths.map((file, index) => {
      const bytes = fs.readFileSync(file).subarray(this.offsets[index]);
      this.offsets[index]! += bytes.length;
      return bytes;
    }) as [Buffer, Buffer, Buffer];
    const lines = (this.partialLine + stdout.toString("utf8")).split("\n");
    this.partialLine = lines.pop()!;
    const decoded = decodeTelemetryFrames(Buffer.concat([this.partialFrame, telemetry]));
    this.partialFrame = decoded.rest;
    return { stdout: lines, telemetry: decoded.frames, stderr: stderr.toString("utf8") };
  }
}
