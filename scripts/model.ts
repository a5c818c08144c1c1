/**
 * `npm run model`: checks the spin model of the job protocol (model/cloudqueue.pml) exhaustively,
 * and checks that every broken variant is rejected. Prints states, depth and time per check;
 * exits 1 when a property fails on the real protocol or a variant is not rejected.
 *
 * `npm run model -- --write-trails` also stores each variant's counterexample in model/trails/.
 * `npm run model -- NAME...` runs only the named checks.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CHECKS, runChecks, type CheckResult } from "../model/checks";

const TRAILS_DIR = join(__dirname, "..", "model", "trails");

async function main(argv: string[]): Promise<number> {
  const writeTrails = argv.includes("--write-trails");
  const names = argv.filter((arg) => !arg.startsWith("--"));
  const unknown = names.filter((name) => !CHECKS.some((check) => check.name === name));
  if (unknown.length > 0) {
    console.error(`unknown check(s): ${unknown.join(", ")}; known: ${CHECKS.map((check) => check.name).join(", ")}`);
    return 2;
  }
  const checks = names.length > 0 ? CHECKS.filter((check) => names.includes(check.name)) : CHECKS;
  const started = Date.now();
  console.log(`spin model of the job protocol: ${checks.length} checks, 2 at a time`);
  const results = await runChecks(checks, undefined, (result) => console.log(describe(result)));
  if (writeTrails) await storeTrails(results);
  const failed = results.filter((result) => !result.ok);
  console.log(`\n${results.length - failed.length}/${results.length} checks as expected in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  for (const result of failed) console.log(`FAILED ${result.check.name}: ${result.problem}`);
  return failed.length === 0 ? 0 : 1;
}

function describe(result: CheckResult): string {
  const verdict = result.ok ? (result.check.expect.kind === "holds" ? "holds" : "rejected as expected") : `FAILED: ${result.problem}`;
  const visited = result.statesVisited !== result.statesStored ? ` (${result.statesVisited.toLocaleString("en")} visited)` : "";
  return [
    `${result.check.name.padEnd(27)} ${result.check.mode.padEnd(8)} ${verdict}`,
    `    ${result.statesStored.toLocaleString("en")} states${visited}, ${result.transitions.toLocaleString("en")} transitions, depth ${result.depth}, ` +
      `pan ${result.panSeconds} s, total ${result.totalSeconds.toFixed(1)} s`,
    ...(result.violation ? [`    ${result.violation}`] : []),
    `    ${result.check.summary}`,
  ].join("\n");
}

async function storeTrails(results: CheckResult[]): Promise<void> {
  await mkdir(TRAILS_DIR, { recursive: true });
  for (const result of results) {
    if (!result.trail || !result.rawTrail) continue;
    const header = [
      `# ${result.check.name}: ${result.check.summary}`,
      `# spin ${result.check.defines.join(" ")} -t model/cloudqueue.pml  (with ${result.check.name}.trail as cloudqueue.pml.trail)`,
      ...(result.check.mode === "liveness" ? [`# pan: ${result.violation ?? ""}`] : []),
      "",
    ].join("\n");
    await writeFile(join(TRAILS_DIR, `${result.check.name}.txt`), header + result.trail);
    await writeFile(join(TRAILS_DIR, `${result.check.name}.trail`), result.rawTrail);
    console.log(`wrote model/trails/${result.check.name}.txt and .trail`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
