import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { percentile, StackProcess } from "./stackClient";

/**
 * `npm run bench:baseline -- <commit>`: the cold start of each archive as the program at `<commit>`
 * builds it, measured here beside today's, so that `npm run bench` can hold a change to its
 * budget (at most {@link COLD_START_GROWTH_BUDGET_MS} over the baseline) on the same machine.
 * Both trees are measured in turns, several rounds, with the same emulators and node_modules;
 * writes `bench/coldStartBaseline.json`.
 */
export const COLD_START_GROWTH_BUDGET_MS = 10;
export const BASELINE_FILE = join(__dirname, "coldStartBaseline.json");

export interface ColdStartBaseline {
  commit: string;
  machine: string;
  /** Median cold start per function at the baseline commit, and at the tree the baseline was measured beside. */
  baselineMs: Record<string, number>;
  measuredBesideMs: Record<string, number>;
  rounds: number;
}

export function readColdStartBaseline(): ColdStartBaseline | undefined {
  return existsSync(BASELINE_FILE) ? (JSON.parse(readFileSync(BASELINE_FILE, "utf8")) as ColdStartBaseline) : undefined;
}

const ROUNDS = 7;

/**
 * One run of a tree's own `measureArtifacts` (7 runs per function) in a fresh process, against
 * the emulators of a stack process of their own (the measuring process blocks on its children).
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

async function main(): Promise<void> {
  const commit = process.argv[2];
  if (!commit) throw new Error("usage: npm run bench:baseline -- <commit>");
  const root = join(__dirname, "..");
  const worktree = mkdtempSync(join(tmpdir(), "cloudqueue-baseline-"));
  rmSync(worktree, { recursive: true });
  execFileSync("git", ["worktree", "add", "--detach", worktree, commit], { cwd: root, stdio: "ignore" });
  const stack = await StackProcess.start();
  try {
    // The same packages for both trees: only the code under measurement differs.
    symlinkSync(join(root, "node_modules"), join(worktree, "node_modules"), "dir");
    symlinkSync(join(root, "test/runtime-sdk/node_modules"), join(worktree, "test/runtime-sdk/node_modules"), "dir");
    // The same probe in both trees (the baseline may predate it).
    copyFileSync(join(__dirname, "coldStartProbe.ts"), join(worktree, "bench/coldStartProbe.ts"));
    const samples: Record<"baseline" | "today", Record<string, number[]>> = { baseline: {}, today: {} };
    for (let round = 1; round <= ROUNDS; round++) {
      for (const [label, dir] of [["baseline", worktree], ["today", root]] as const) {
        const row = measure(dir, stack.emulators);
        console.log(`round ${round} ${label}: ${JSON.stringify(row)}`);
        for (const [fn, ms] of Object.entries(row)) (samples[label][fn] ??= []).push(ms);
      }
    }
    const medians = (byFn: Record<string, number[]>) => Object.fromEntries(Object.entries(byFn).map(([fn, values]) => [fn, Math.round(percentile(values, 50))]));
    const baseline: ColdStartBaseline = {
      commit: execFileSync("git", ["rev-parse", "--short", commit], { cwd: root, encoding: "utf8" }).trim(),
      machine: `${cpus().length} × ${cpus()[0]?.model ?? "unknown"}, Node ${process.version}`,
      baselineMs: medians(samples.baseline),
      measuredBesideMs: medians(samples.today),
      rounds: ROUNDS,
    };
    writeFileSync(BASELINE_FILE, `${JSON.stringify(baseline, null, 2)}\n`);
    console.log(`wrote ${BASELINE_FILE}: ${JSON.stringify(baseline)}`);
  } finally {
    await stack.stop();
    execFileSync("git", ["worktree", "remove", "--force", worktree], { cwd: root, stdio: "ignore" });
  }
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
