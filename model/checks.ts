import { execFile } from "node:child_process";
import { copyFile, mkdtemp, readFile, rm } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** The Promela model of the job protocol (docs/MODEL.md). */
export const MODEL_PATH = join(__dirname, "cloudqueue.pml");
const MODEL_FILE = "cloudqueue.pml";

/** What a check must find: nothing (the real protocol), or a violation whose pan report contains `violation`. */
export type Expectation = { kind: "holds" } | { kind: "rejected"; violation: string };

/** One exhaustive spin run of the model. */
export interface ModelCheck {
  name: string;
  /** One line: what the run covers, or the bug the variant has. */
  summary: string;
  /** `safety`: assertions and invalid end states; `liveness`: the LTL claim under weak fairness (`-a -f`). */
  mode: "safety" | "liveness";
  /** `-D` flags for spin: bounds, a variant, properties left out. */
  defines: readonly string[];
  expect: Expectation;
}

const HOLDS: Expectation = { kind: "holds" };
/** The queue holds at most two messages in every check (QCAP, a bound of the model). */
const QUEUE = "-DQCAP=2";
const NO_CLIENT = ["-DMAXRETRY=0", "-DMAXCANCEL=0"];

/**
 * Every check `npm run model` and the mocha suite run. The real protocol is checked in several
 * runs, each with a different mix of faults, because all faults at once do not fit the time
 * budget (docs/MODEL.md lists the bounds); each variant is a protocol the checks must reject.
 */
export const CHECKS: readonly ModelCheck[] = [
  {
    name: "safety-faults",
    summary: "2 jobs, 3 workers, 2 crashes or store errors, 1 zombie, 1 failed SendMessage, 1 duplicate",
    mode: "safety",
    defines: [QUEUE, ...NO_CLIENT],
    expect: HOLDS,
  },
  {
    name: "safety-clients",
    summary: "2 jobs, 3 workers, 1 crash or store error, 1 zombie, 1 failed SendMessage, a cancel and a retry",
    mode: "safety",
    defines: [QUEUE, "-DMAXFAULTS=1", "-DMAXDUP=0"],
    expect: HOLDS,
  },
  {
    name: "safety-sweeper-races",
    summary: "as safety-faults with 1 crash, the sweeper's read and write as two steps (stale reads)",
    mode: "safety",
    defines: [QUEUE, ...NO_CLIENT, "-DMAXFAULTS=1", "-DSWEEPER_RACES"],
    expect: HOLDS,
  },
  {
    name: "liveness-crashes",
    summary: "every accepted job finishes: 2 jobs, 3 workers, 2 crashes or store errors, 1 failed SendMessage",
    mode: "liveness",
    defines: [QUEUE, ...NO_CLIENT, "-DMAXDUP=0", "-DMAXZOMBIE=0"],
    expect: HOLDS,
  },
  {
    name: "liveness-clients",
    summary: "every accepted job finishes: 1 crash or store error, 1 failed SendMessage, a cancel and a retry",
    mode: "liveness",
    defines: [QUEUE, "-DMAXFAULTS=1", "-DMAXDUP=0", "-DMAXZOMBIE=0"],
    expect: HOLDS,
  },
  {
    name: "liveness-zombie",
    summary: "every accepted job finishes: 1 crash or store error, 1 zombie, 1 duplicate, 1 failed SendMessage",
    mode: "liveness",
    defines: [QUEUE, ...NO_CLIENT, "-DMAXFAULTS=1"],
    expect: HOLDS,
  },
  {
    name: "variant-no-fence",
    summary: "commit without its fencing condition: a zombie's commit lands on a finished job (double commit)",
    mode: "safety",
    // The other properties catch this variant earlier; left out, the trail shows the double commit.
    defines: [QUEUE, "-DNO_FENCE", "-DSKIP_ZOMBIE_COMMIT_REJECTED", "-DSKIP_ONE_LIVE_LEASE", "-DSKIP_TERMINAL_STAYS"],
    expect: { kind: "rejected", violation: "nterm[" },
  },
  {
    name: "variant-status-only-commit",
    summary: "commit fenced by status only, without the claim token: a superseded attempt's commit is accepted",
    mode: "safety",
    defines: [QUEUE, "-DSTATUS_ONLY_COMMIT"],
    expect: { kind: "rejected", violation: "wt[w]==ctr[" },
  },
  {
    name: "variant-no-lease",
    summary: "the seed's claim without a lease: after a crash the job stays IN_PROGRESS forever",
    mode: "liveness",
    defines: [QUEUE, ...NO_CLIENT, "-DNO_LEASE", "-DMAXFAULTS=1", "-DMAXSENDFAIL=0", "-DMAXDUP=0", "-DMAXZOMBIE=0"],
    expect: { kind: "rejected", violation: "acceptance cycle" },
  },
  {
    name: "variant-no-sweeper",
    summary: "no sweeper while SendMessage can fail: the job stays QUEUED forever",
    mode: "liveness",
    defines: [QUEUE, ...NO_CLIENT, "-DNO_SWEEPER", "-DMAXFAULTS=0", "-DMAXDUP=0", "-DMAXZOMBIE=0"],
    expect: { kind: "rejected", violation: "acceptance cycle" },
  },
  {
    name: "variant-handoff-no-delay",
    summary: "the sweeper hands a job delayed past 900 s to SQS with DelaySeconds 0: it runs before it is due",
    mode: "safety",
    defines: [QUEUE, ...NO_CLIENT, "-DHANDOFF_NO_DELAY", "-DMAXFAULTS=0", "-DMAXSENDFAIL=0", "-DMAXDUP=0", "-DMAXZOMBIE=0"],
    expect: { kind: "rejected", violation: "phase[" },
  },
];

/** What one check found. */
export interface CheckResult {
  check: ModelCheck;
  /** The run found what `check.expect` says: no error for the real protocol, the named violation for a variant. */
  ok: boolean;
  /** Why `ok` is false, in one line. */
  problem?: string;
  statesStored: number;
  /** With fairness, states visited (each stored state is visited once per fairness copy). */
  statesVisited: number;
  transitions: number;
  depth: number;
  /** pan's own elapsed time. */
  panSeconds: number;
  /** spin + gcc + pan, wall clock. */
  totalSeconds: number;
  errors: number;
  /** pan's line naming the violation, when it found one. */
  violation?: string;
  /** The counterexample replayed with `spin -t`: the model's MSC lines, one step a line. */
  trail?: string;
  /** The raw `.trail` file spin wrote, for `spin -t` by hand. */
  rawTrail?: string;
}

/** Options of {@link runCheck}. */
export interface RunOptions {
  /** pan's memory limit in MB. @default 3000 */
  memoryLimitMb?: number;
}

/** Runs one check in a fresh temporary directory (spin -a, gcc, ./pan, and spin -t on a counterexample). */
export async function runCheck(check: ModelCheck, options: RunOptions = {}): Promise<CheckResult> {
  const started = process.hrtime.bigint();
  const dir = await mkdtemp(join(tmpdir(), `cloudqueue-model-${check.name}-`));
  try {
    await copyFile(MODEL_PATH, join(dir, MODEL_FILE));
    await run("spin", [...check.defines, "-a", MODEL_FILE], { cwd: dir });
    const gccFlags = ["-w", "-O2", `-DMEMLIM=${options.memoryLimitMb ?? 3000}`, "-DCOLLAPSE"];
    gccFlags.push(...(check.mode === "safety" ? ["-DNOCLAIM"] : ["-DNFAIR=3"]));
    // A variant's safety counterexample is searched for iteratively shorter (pan -i, which needs
    // -DREACH), so that the kept trail is the shortest one and reads in a minute.
    const shortest = check.mode === "safety" && check.expect.kind === "rejected";
    if (shortest) gccFlags.push("-DREACH");
    await run("gcc", [...gccFlags, "-o", "pan", "pan.c"], { cwd: dir });
    const panArgs = ["-m1000000", ...(check.mode === "liveness" ? ["-a", "-f"] : []), ...(shortest ? ["-i"] : [])];
    const report = parsePanReport(await panOutput(dir, panArgs));
    let trail: string | undefined;
    let rawTrail: string | undefined;
    if (report.errors > 0) {
      const replay = await run("spin", [...check.defines, "-t", MODEL_FILE], { cwd: dir, maxBuffer: 64 * 1024 * 1024 });
      trail = readableTrail(replay.stdout);
      rawTrail = await readFile(join(dir, `${MODEL_FILE}.trail`), "utf8");
    }
    const totalSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    return { check, ...report, ...judge(check, report, trail), totalSeconds, trail, rawTrail };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs checks, `parallelism` at a time, in the order given. */
export async function runChecks(
  checks: readonly ModelCheck[] = CHECKS,
  parallelism: number = Math.min(2, availableParallelism()),
  onResult?: (result: CheckResult) => void,
): Promise<CheckResult[]> {
  const results: CheckResult[] = new Array(checks.length);
  let next = 0;
  async function lane(): Promise<void> {
    while (next < checks.length) {
      const index = next++;
      const result = await runCheck(checks[index]!);
      results[index] = result;
      onResult?.(result);
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, parallelism) }, lane));
  return results;
}

/** pan's report; its exit status is not a verdict (the report is), so a non-zero exit still yields it. */
async function panOutput(dir: string, args: string[]): Promise<string> {
  try {
    return (await run("./pan", args, { cwd: dir, maxBuffer: 64 * 1024 * 1024 })).stdout;
  } catch (error) {
    const stdout = (error as { stdout?: unknown }).stdout;
    if (typeof stdout === "string" && stdout.length > 0) return stdout;
    throw error;
  }
}

interface PanReport {
  statesStored: number;
  statesVisited: number;
  transitions: number;
  depth: number;
  panSeconds: number;
  errors: number;
  violation?: string;
  complete: boolean;
}

/** Reads the numbers out of pan's final report. */
export function parsePanReport(stdout: string): PanReport {
  const number = (pattern: RegExp): number | undefined => {
    const match = pattern.exec(stdout);
    return match ? Number(match[1]) : undefined;
  };
  const statesStored = number(/^\s*([\d.e+]+) states, stored/m) ?? Number.NaN;
  return {
    statesStored,
    statesVisited: number(/states, stored \(([\d.e+]+) visited\)/) ?? statesStored,
    transitions: number(/^\s*([\d.e+]+) transitions/m) ?? Number.NaN,
    depth: number(/depth reached (\d+)/) ?? Number.NaN,
    panSeconds: number(/elapsed time ([\d.e+]+) seconds/) ?? Number.NaN,
    errors: number(/errors: (\d+)/) ?? Number.NaN,
    violation: /^pan:\d+: (.*)$/m.exec(stdout)?.[1],
    // A search cut short (memory limit, depth limit) proves nothing.
    complete: !/Search not completed|reached -DMEMLIM bound|max search depth too small/.test(stdout),
  };
}

/** Whether the run found what the check expects; a shortened (-i) search is judged by the trail it kept. */
function judge(check: ModelCheck, report: PanReport, trail?: string): { ok: boolean; problem?: string } {
  if (Number.isNaN(report.errors)) return { ok: false, problem: "pan printed no report" };
  if (check.expect.kind === "holds") {
    if (report.errors > 0) return { ok: false, problem: `property violated: ${report.violation ?? "see the trail"}` };
    if (!report.complete) return { ok: false, problem: "the search did not complete (memory or depth limit)" };
    return { ok: true };
  }
  if (report.errors === 0) return { ok: false, problem: "the variant was NOT rejected: no counterexample found" };
  if (!report.violation?.includes(check.expect.violation) && !trail?.includes(check.expect.violation)) {
    return { ok: false, problem: `rejected for another reason than expected: ${report.violation ?? "unknown"}` };
  }
  return { ok: true };
}

/** The steps of a `spin -t` replay, as the model's printf lines tell them, and where the cycle starts. */
export function readableTrail(replay: string): string {
  const lines: string[] = [];
  for (const line of replay.split("\n")) {
    const step = /MSC: (.*)$/.exec(line);
    if (step) lines.push(step[1]!.replace(/\s+/g, " ").trim());
    else if (line.includes("START OF CYCLE")) lines.push("---- from here the run repeats forever ----");
    else if (line.includes("text of failed assertion")) lines.push(`VIOLATED: ${line.replace(/^.*text of failed assertion: /, "").trim()}`);
  }
  return `${lines.join("\n")}\n`;
}
