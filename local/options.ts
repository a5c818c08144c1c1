import { parseArgs } from "node:util";
import * as v from "valibot";
import { AUTH_MODES, type AuthMode } from "../handlers/auth/authMode";
import { DEFAULTS, ENV } from "../handlers/settings";

/** Everything `npm start` can be told, after defaults. */
export interface LocalStackOptions {
  /** HTTP port of the site and the API; 0 picks a free one. @default 8080 (`PORT`) */
  port: number;
  /** Interface to listen on; `0.0.0.0` to reach the page from a phone on the LAN. @default "127.0.0.1" */
  host: string;
  /** Where DynamoDB's data lives; `undefined` with `inMemory`. @default ".cloudqueue" */
  dataDir: string | undefined;
  /** Keep nothing on disk. @default false */
  inMemory: boolean;
  /** Fixed DynamoDB emulator port; 0 picks a free one. @default 0 */
  dynamodbPort: number;
  /** Fixed SQS emulator port; 0 picks a free one. @default 0 */
  sqsPort: number;
  /** Seconds between sweeper runs. @default 60 (`DEFAULTS.sweepIntervalSeconds`) */
  sweepIntervalSeconds: number;
  /** Worker invocations at most in parallel. @default 10 (`DEFAULTS.maxConcurrency`) */
  concurrency: number;
  /** Messages per worker invocation. @default 10 (`DEFAULTS.batchSize`) */
  batchSize: number;
  /** Origins allowed by CORS besides the page's own. @default [] */
  corsOrigins: string[];
  /**
   * How the API admits callers: `none` (the public demo), `jwt` (tokens of the local OIDC
   * issuer, as API Gateway's JWT authorizer checks them), `iam` (SigV4). Optional for callers
   * that build options themselves (the benchmark); {@link parseOptions} always sets it.
   * @default "none" (`CLOUDQUEUE_AUTH_MODE`)
   */
  auth?: AuthMode;
  /**
   * The file whose schedules the stack fires: a Pulumi stack file (its `cloudqueue:schedules`) or a
   * YAML or JSON list; `none` fires none. Absent: none (callers that build options themselves).
   * {@link parseOptions} defaults it to `Pulumi.dev.yaml`, read only if it exists.
   */
  schedulesFile?: string;
  /** Whether `schedulesFile` is the default (a missing default file is no schedules, not an error). */
  schedulesFileIsDefault?: boolean;
  help: boolean;
}

/** The file `npm start` reads its schedules from by default: the dev stack's config, the same entries `pulumi up` declares. */
export const DEFAULT_SCHEDULES_FILE = "Pulumi.dev.yaml";

/** One option: its flag, its environment variable, its help line. */
const OPTIONS = {
  port: { env: "PORT", type: "string", help: "HTTP port of the page and the API (default 8080)" },
  host: { env: "CLOUDQUEUE_HOST", type: "string", help: "interface to listen on (default 127.0.0.1; 0.0.0.0 for the LAN)" },
  "data-dir": { env: "CLOUDQUEUE_DATA_DIR", type: "string", help: "DynamoDB data folder (default .cloudqueue)" },
  "in-memory": { env: "CLOUDQUEUE_IN_MEMORY", type: "boolean", help: "keep no data on disk (default off)" },
  "dynamodb-port": { env: "CLOUDQUEUE_DYNAMODB_PORT", type: "string", help: "DynamoDB emulator port (default: any free port)" },
  "sqs-port": { env: "CLOUDQUEUE_SQS_PORT", type: "string", help: "SQS emulator port (default: any free port)" },
  "sweep-interval": { env: "CLOUDQUEUE_SWEEP_INTERVAL_SECONDS", type: "string", help: `seconds between sweeper runs (default ${DEFAULTS.sweepIntervalSeconds})` },
  concurrency: { env: "CLOUDQUEUE_CONCURRENCY", type: "string", help: `worker invocations in parallel (default ${DEFAULTS.maxConcurrency})` },
  "batch-size": { env: "CLOUDQUEUE_BATCH_SIZE", type: "string", help: `messages per worker invocation, 1-10 (default ${DEFAULTS.batchSize})` },
  "cors-origin": { env: "CLOUDQUEUE_CORS_ORIGINS", type: "string", help: "extra origin allowed by CORS; repeat, or comma-separate in the env var" },
  auth: { env: ENV.authMode, type: "string", help: `who may call the API: ${AUTH_MODES.join(", ")} (default none: a public demo; jwt: tokens from npm run token)` },
  schedules: { env: "CLOUDQUEUE_SCHEDULES", type: "string", help: `schedules to fire: a Pulumi stack file (its cloudqueue:schedules) or a YAML/JSON list; none for none (default ${DEFAULT_SCHEDULES_FILE} if present)` },
  help: { env: undefined, type: "boolean", help: "print this help" },
} as const;

/** A bad flag or value: `npm start` prints the message on one line and exits with 2. */
export class OptionsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OptionsError";
  }
}

const integer = (name: string, min: number, max: number) =>
  v.pipe(
    v.string(),
    v.regex(/^\d+$/, `${name} must be a whole number`),
    v.transform(Number),
    v.minValue(min, `${name} must be at least ${min}`),
    v.maxValue(max, `${name} must be at most ${max}`),
  );

const origin = v.pipe(
  v.string(),
  v.check((value) => {
    try {
      const url = new URL(value);
      return (url.protocol === "http:" || url.protocol === "https:") && url.origin === value;
    } catch {
      return false;
    }
  }, "cors-origin must be an origin such as https://example.com (scheme, host, optional port; no path)"),
);

const schema = v.object({
  port: integer("port", 0, 65_535),
  host: v.pipe(v.string(), v.regex(/^[\w.:-]+$/, "host must be a host name or an IP address")),
  dataDir: v.pipe(v.string(), v.minLength(1, "data-dir must not be empty")),
  dynamodbPort: integer("dynamodb-port", 0, 65_535),
  sqsPort: integer("sqs-port", 0, 65_535),
  sweepIntervalSeconds: integer("sweep-interval", 1, 86_400),
  concurrency: integer("concurrency", 1, 1_000),
  batchSize: integer("batch-size", 1, 10),
  corsOrigins: v.array(origin),
  auth: v.picklist(AUTH_MODES, `auth must be one of ${AUTH_MODES.join(", ")}`),
});

/**
 * Reads the options from command-line flags, then environment variables, then defaults (in
 * that order of precedence). Throws {@link OptionsError} naming the first bad one.
 */
export function parseOptions(argv: readonly string[], env: Record<string, string | undefined>): LocalStackOptions {
  let values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  try {
    const parsed = parseArgs({
      args: [...argv],
      options: Object.fromEntries(
        Object.entries(OPTIONS).map(([name, option]) => [name, { type: option.type, multiple: name === "cors-origin" }]),
      ),
      strict: true,
      allowPositionals: false,
    });
    values = parsed.values;
  } catch (error) {
    throw new OptionsError(`${error instanceof Error ? error.message : String(error)} (try --help)`);
  }
  const pick = (name: keyof typeof OPTIONS): string | undefined => {
    const flag = values[name];
    if (typeof flag === "string") return flag;
    const variable = OPTIONS[name].env;
    return variable ? env[variable] : undefined;
  };
  const flagOrEnv = (name: "in-memory" | "help"): boolean => {
    if (values[name] === true) return true;
    const variable = OPTIONS[name].env;
    const raw = variable ? env[variable] : undefined;
    if (raw === undefined || raw === "" || raw === "0" || raw === "false") return false;
    if (raw === "1" || raw === "true") return true;
    throw new OptionsError(`${variable} must be 1, true, 0 or false`);
  };
  const corsFlags = values["cors-origin"];
  const corsOrigins = Array.isArray(corsFlags) && corsFlags.length > 0 ? corsFlags.map(String) : (env[OPTIONS["cors-origin"].env] ?? "").split(",");
  const raw = {
    port: pick("port") ?? "8080",
    host: pick("host") ?? "127.0.0.1",
    dataDir: pick("data-dir") ?? ".cloudqueue",
    dynamodbPort: pick("dynamodb-port") ?? "0",
    sqsPort: pick("sqs-port") ?? "0",
    sweepIntervalSeconds: pick("sweep-interval") ?? String(DEFAULTS.sweepIntervalSeconds),
    concurrency: pick("concurrency") ?? String(DEFAULTS.maxConcurrency),
    batchSize: pick("batch-size") ?? String(DEFAULTS.batchSize),
    corsOrigins: corsOrigins.map((item) => item.trim()).filter((item) => item !== ""),
    auth: pick("auth") ?? "none",
  };
  const inMemory = flagOrEnv("in-memory");
  const help = flagOrEnv("help");
  const parsed = v.safeParse(schema, raw);
  if (!parsed.success) throw new OptionsError(parsed.issues[0]!.message);
  if (inMemory && typeof values["data-dir"] === "string") throw new OptionsError("--in-memory and --data-dir exclude each other");
  const schedulesFile = pick("schedules");
  if (schedulesFile === "") throw new OptionsError("schedules must name a file, or none");
  return {
    ...parsed.output,
    dataDir: inMemory ? undefined : parsed.output.dataDir,
    inMemory,
    schedulesFile: schedulesFile ?? DEFAULT_SCHEDULES_FILE,
    schedulesFileIsDefault: schedulesFile === undefined,
    help,
  };
}

/** The `--help` text: every option with its environment variable and default. */
export function helpText(): string {
  const lines = Object.entries(OPTIONS).map(([name, option]) => {
    const flag = option.type === "string" ? `--${name} <value>` : `--${name}`;
    return `  ${flag.padEnd(26)} ${option.env ? `[${option.env}]`.padEnd(36) : "".padEnd(36)} ${option.help}`;
  });
  return ["Usage: npm start -- [options]", "", "Runs CloudQueue on this machine: DynamoDB and SQS emulators, the API, the worker, the sweeper and the page.", "", ...lines].join("\n");
}
