import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { percentile, StackProcess } from "./stackClient";

/**
 * The cold-start budget of a change: each archive's cold start may grow by at most
 * {@link COLD_START_GROWTH_BUDGET_MS} over the archives of {@link BASELINE_COMMIT}, the commit
 * before structured logs and metrics. Cold starts on a shared machine move by tens of ms from one
 * minute to the next, far more than the budget, so the two are only ever compared measured
 * side by side: both trees in turns, several rounds, against the same emulators and node_modules.
 * `npm run bench` does this (phase 3); `npm run bench:baseline -- [commit]` runs it alone.
 */
export const COLD_START_GROWTH_BUDGET_MS = 10;
export const BASELINE_COMMIT = "1263fd8";
const ROUNDS = 5;

export interface PairedColdStarts {
  commit: string;
  rounds: number;
  /** Medians over the rounds (each round itself a median of 7 fresh processes per function). */
  baselineMs: Record<string, number>;
  todayMs: Record<string, number>;
}

/**
 * One run of a tree's own `measureArtifacts` in a fresh process, against the emulators of a stack
 * process of their own (the measuring process blocks on its children).
 */
function measure(treeDir: string, emulators: StackProcess["emulators"]): Record<string, number> {
  const out = execFileSync(process.execPath, ["-r", "ts-node/register/transpile-only", "bench/coldStartProbe.ts"], {
    cwd: treeDir,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, CLOUDQUEUE_BENCH_EMULATORS: JSON.stringify(emulators) },
  });
  return JSON.parse(out.trim().split("\n").pop()!);
}

/** The cold starts of `commit`'s archives and today's, measured in turns against `emulators`. */
export function pairedColdStarts(emulators: StackProcess["emulators"], commit = BASELINE_COMMIT, rounds = ROUNDS, log: (line: string) => void = () => {}): PairedColdStarts {
  const root = join(__dirname, "..");
  const worktree = mkdtempSync(join(tmpdir(), "cloudqueue-baseline-"));
  rmSync(worktree, { recursive: true });
  execFileSync("git", ["worktree", "add", "--detach", worktree, commit], { cwd: root, stdio: "ignore" });
  try {
    // The same packages for both trees: only the code under measurement differs.
    symlinkSync(join(root, "node_modules"), join(worktree, "node_modules"), "dir");
    symlinkSync(join(root, "test/runtime-sdk/node_modules"), join(worktree, "test/runtime-sdk/node_modules"), "dir");
    // The same probe in both trees (the baseline predates it).
    copyFileSync(join(__dirname, "coldStartProbe.ts"), join(worktree, "bench/coldStartProbe.ts"));
    const samples: Record<"baseline" | "today", Record<string, number[]>> = { baseline: {}, today: {} };
    for (let round = 1; round <= rounds; round++) {
      for (const [label, dir] of [["baseline", worktree], ["today", root]] as const) {
        const row = measure(dir, emulators);
        log(`round ${round} ${label}: ${JSON.stringify(row)}`);
        for (const [fn, ms] of Object.entries(row)) (samples[label][fn] ??= []).push(ms);
      }
    }
    const medians = (byFn: Record<string, number[]>) => Object.fromEntries(Object.entries(byFn).map(([fn, values]) => [fn, Math.round(percentile(values, 50))]));
    const short = execFileSync("git", ["rev-parse", "--short", commit], { cwd: root, encoding: "utf8" }).trim();
    return { commit: short, rounds, baselineMs: medians(samples.baseline), todayMs: medians(samples.today) };
  } finally {
    execFileSync("git", ["worktree", "remove", "--force", worktree], { cwd: root, stdio: "ignore" });
  }
}

async function main(): Promise<void> {
  const stack = await StackProcess.start();
  try {
    const paired = pairedColdStarts(stack.emulators, process.argv[2] ?? BASELINE_COMMIT, ROUNDS, console.log);
    console.log(JSON.stringify(paired));
  } finally {
    await stack.stop();
  }
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
