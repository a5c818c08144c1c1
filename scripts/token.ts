import { parseArgs } from "node:util";
import * as v from "valibot";
import { SCOPES } from "../handlers/auth/authMode";
import { LocalAuthFileError } from "../local/idSecretFile";
import { issuerKeyPath, LOCAL_AUDIENCE, LOCAL_ISSUER, openIssuer } from "../local/oidcIssuer";

/**
 * `npm run token -- --sub alice`: prints one token of the local OIDC issuer, for a stack started
 * with `npm start -- --auth jwt` (the key is read from its data folder). Exit codes: 0 printed,
 * 1 no usable key in the data folder, 2 a bad option. Errors are one line on stderr.
 */

/** The longest `--ttl`: a year. */
const MAX_TTL_SECONDS = 365 * 86_400;
const DEFAULT_SCOPE = `${SCOPES.submit} ${SCOPES.read}`;
const UNIT_SECONDS = { s: 1, m: 60, h: 3_600, d: 86_400 } as const;

const OPTIONS = {
  sub: { type: "string", help: "the subject: who the token is for, e.g. alice (required)" },
  scope: { type: "string", help: `space-separated scopes (default "${DEFAULT_SCOPE}"; "" for none; ${SCOPES.admin} sees every owner's jobs)` },
  ttl: { type: "string", help: "lifetime: 90s, 30m, 1h, 2d (default 1h, at most 365d)" },
  "data-dir": { type: "string", help: "the data folder of the stack (default .cloudqueue; an in-memory stack's banner names its own)" },
  help: { type: "boolean", help: "print this help" },
} as const;

const Ttl = v.pipe(
  v.string(),
  v.regex(/^[1-9]\d{0,8}[smhd]$/, "ttl must be a whole number and a unit s, m, h or d, e.g. 90s, 30m, 1h, 2d"),
  v.transform((text) => Number(text.slice(0, -1)) * UNIT_SECONDS[text.slice(-1) as keyof typeof UNIT_SECONDS]),
  v.maxValue(MAX_TTL_SECONDS, "ttl must be at most 365d"),
);
// RFC 6749 §3.3: scope tokens are printable ASCII without space, `"` or `\`.
const Scope = v.pipe(v.string(), v.regex(/^([\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*)?$/, "scope must be scopes separated by single spaces, e.g. \"cloudqueue/submit cloudqueue/read\""));
const Subject = v.pipe(
  v.string("--sub is required, e.g. --sub alice"),
  v.minLength(1, "sub must not be empty"),
  v.maxLength(255, "sub must be at most 255 characters"),
  v.regex(/^[^\p{Cc}]+$/u, "sub must not hold control characters"),
);
const Options = v.object({
  sub: Subject,
  scope: Scope,
  ttlSeconds: Ttl,
  dataDir: v.pipe(v.string(), v.minLength(1, "data-dir must not be empty")),
});

function helpText(): string {
  const lines = Object.entries(OPTIONS).map(([name, option]) => `  ${(option.type === "string" ? `--${name} <value>` : `--${name}`).padEnd(22)} ${option.help}`);
  return [
    "Usage: npm run -s token -- --sub <subject> [options]",
    "",
    `Prints a token of the local issuer (iss ${LOCAL_ISSUER}, aud ${LOCAL_AUDIENCE}) for a stack started with npm start -- --auth jwt.`,
    'Use it as: curl -H "Authorization: Bearer $(npm run -s token -- --sub alice)" …',
    "",
    ...lines,
    "",
    "Exit codes: 0 printed, 1 no issuer key in the data folder, 2 a bad option.",
  ].join("\n");
}

async function main(): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: process.argv.slice(2), options: OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (error) {
    return fail(2, `${error instanceof Error ? error.message : String(error)} (try --help)`);
  }
  if (values.help) {
    console.log(helpText());
    return 0;
  }
  const parsed = v.safeParse(Options, { sub: values.sub, scope: values.scope ?? DEFAULT_SCOPE, ttlSeconds: values.ttl ?? "1h", dataDir: values["data-dir"] ?? ".cloudqueue" });
  if (!parsed.success) return fail(2, parsed.issues[0]!.message);
  const { sub, scope, ttlSeconds, dataDir } = parsed.output;

  let issuer;
  try {
    issuer = await openIssuer(dataDir);
  } catch (error) {
    if (error instanceof LocalAuthFileError) return fail(1, error.message);
    throw error;
  }
  if (!issuer) return fail(1, `no issuer key at ${issuerKeyPath(dataDir)}; start \`npm start -- --auth jwt\` once first (with this --data-dir)`);
  console.log(await issuer.sign({ sub, ...(scope !== "" && { scope }) }, ttlSeconds));
  return 0;
}

function fail(code: number, message: string): number {
  console.error(`token: ${message}`);
  return code;
}

main().then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    console.error(`token: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
