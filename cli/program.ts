import { Command, CommanderError, Option } from "commander";
import { version } from "../package.json";
import { integerIn } from "./args";
import { addBulkCommand } from "./commands/bulk";
import { addJobCommands } from "./commands/jobs";
import { addListingCommands } from "./commands/listing";
import { addRedriveCommand } from "./commands/redrive";
import type { CliDeps, RunState } from "./context";
import { describeFailure } from "./failures";
import { EXIT, type ExitCode } from "./exitCodes";
import { ENV, LOCAL_DEFAULT_API_URL, LOCAL_DEFAULT_DATA_DIR } from "./target";

/** Seconds a request may take, by default. */
export const DEFAULT_TIMEOUT_SECONDS = 30;

const FOOTER = `
Target, the first found: --api URL; --stack NAME (its apiUrl output, through pulumi);
${ENV.apiUrl}; the local stack of --data-dir (${ENV.dataDir}, default ${LOCAL_DEFAULT_DATA_DIR});
${LOCAL_DEFAULT_API_URL}, npm start's default. Token: --token, or ${ENV.token}.

Output: tables for people, --json for scripts (only JSON on stdout); errors on stderr; a live
progress line on stderr while waiting or bulk-acting, on a terminal only.

Exit codes: 0 done (a job waited for succeeded); 1 a job waited for FAILED or was CANCELED (or a
redrive failed); 2 bad usage; 3 the API refused (4xx); 4 the API unreachable or failing (5xx,
429); 5 no target (pulumi missing or failing); 6 a bulk action not confirmed; 70 a bug.
See docs/CLI.md.`;

/** The command tree, writing through `deps.io`; commander's own exits become errors `run` maps. */
export function createProgram(deps: CliDeps, state: RunState): Command {
  const program = new Command("cloudqueue")
    .description("CloudQueue's command line: submit, find, wait for, cancel and retry jobs; bulk retry and cancel; DLQ redrive")
    .version(version, "-V, --version")
    .exitOverride()
    .configureOutput({
      writeOut: (text) => void deps.io.stdout.write(text),
      writeErr: (text) => void deps.io.stderr.write(text),
      outputError: (text, write) => write(`cloudqueue: ${text.replace(/^error: /, "")}`),
      getOutHelpWidth: () => deps.io.stdout.columns ?? 100,
      getErrHelpWidth: () => deps.io.stderr.columns ?? 100,
    })
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .showSuggestionAfterError()
    .addOption(new Option("--api <url>", `the API's base URL [${ENV.apiUrl}]`).conflicts("stack"))
    .option("--stack <name>", "a deployed Pulumi stack: its apiUrl output (needs the pulumi CLI)")
    .option("--data-dir <dir>", `the local stack's data folder, to find it [${ENV.dataDir}] (default ${LOCAL_DEFAULT_DATA_DIR})`)
    .option("--token <token>", `bearer token for a jwt stack [${ENV.token}]`)
    .option("--json", "machine-readable JSON on stdout instead of tables")
    .addOption(new Option("--timeout <seconds>", "seconds one request may take").argParser(integerIn(1, 3_600)).default(DEFAULT_TIMEOUT_SECONDS))
    .addHelpText("after", FOOTER);
  addJobCommands(program, deps, state);
  addListingCommands(program, deps, state);
  addBulkCommand(program, deps, state);
  addRedriveCommand(program, deps, state);
  return program;
}

/** Runs the command line `argv` (without `node` and the script) to its exit code; errors go to stderr. */
export async function run(argv: readonly string[], deps: CliDeps): Promise<ExitCode> {
  const state: RunState = {};
  try {
    await createProgram(deps, state).parseAsync(argv, { from: "user" });
    return state.exitCode ?? EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are answers; anything else commander stops on is usage, already printed.
      return error.code === "commander.helpDisplayed" || error.code === "commander.version" ? EXIT.ok : EXIT.usage;
    }
    const failure = describeFailure(error, state);
    deps.io.stderr.write(failure.lines.map((line, index) => (index === 0 ? `cloudqueue: ${line}\n` : `${line}\n`)).join(""));
    return failure.exitCode;
  }
}
