import { readFile } from "node:fs/promises";
import { randomUUID } from "node:crypto";
import { CliApiClient, installFetchDeadline, type FetchDeadline } from "./client";
import type { CliDeps } from "./context";
import { run } from "./program";
import { confirm } from "./prompt";
import { realTargetSystem } from "./target";

/** The CLI's entry (cli/cloudqueue.js loads it): the real process behind {@link run}. */
async function main(): Promise<void> {
  // A reader that stops early (`cloudqueue list | head`) closes the pipe: that ends the command quietly.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code !== "EPIPE") throw error;
      process.exit(process.exitCode ?? 0);
    });
  }
  let deadline: FetchDeadline | undefined;
  const deps: CliDeps = {
    io: { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, now: Date.now },
    target: realTargetSystem(process.env),
    connect(apiUrl, { token, timeoutMs }) {
      deadline ??= installFetchDeadline(timeoutMs);
      const failures = deadline;
      return { api: new CliApiClient(apiUrl, { token }), lastNetworkFailure: () => failures.lastFailure() };
    },
    readFile: (path) => readFile(path, "utf8"),
    async readStdin() {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk));
      return Buffer.concat(chunks).toString("utf8");
    },
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    randomKey: randomUUID,
    confirm: (question) => confirm(question, process.stdin, process.stderr),
    onInterrupt(listener) {
      const onSignal = () => {
        listener();
        process.exit(130);
      };
      process.once("SIGINT", onSignal);
      return () => process.removeListener("SIGINT", onSignal);
    },
  };
  process.exitCode = await run(process.argv.slice(2), deps);
}

main().catch((error: unknown) => {
  console.error(`cloudqueue: unexpected error (a bug in the CLI): ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 70;
});
