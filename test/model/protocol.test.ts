import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { CHECKS, runChecks, type CheckResult } from "../../model/checks";

/**
 * The spin model of the job protocol (docs/MODEL.md), checked exhaustively: the protocol as
 * implemented keeps every property, and every broken variant is rejected with a counterexample.
 * Needs `spin` and `gcc` (Debian packages; `.ci/run` installs them).
 */
describe("job protocol model (spin)", function () {
  // Every check, two at a time: about two minutes on two cores.
  this.timeout(15 * 60_000);
  let results: Map<string, CheckResult>;

  before(async function () {
    for (const tool of ["spin", "gcc"]) {
      expect(() => execFileSync(tool === "spin" ? "spin" : "gcc", [tool === "spin" ? "-V" : "--version"]), `${tool} must be installed`).not.to.throw();
    }
    results = new Map((await runChecks(CHECKS)).map((result) => [result.check.name, result]));
  });

  for (const check of CHECKS) {
    const title =
      check.expect.kind === "holds"
        ? `keeps its ${check.mode} properties: ${check.summary}`
        : `rejects the variant ${check.name}: ${check.summary}`;
    it(title, function () {
      const result = results.get(check.name);
      expect(result, "the check ran").to.not.equal(undefined);
      expect(result!.problem, `${check.name}: ${result!.problem}\n${result!.trail ?? ""}`).to.equal(undefined);
      expect(result!.ok).to.equal(true);
      expect(result!.statesStored).to.be.greaterThan(0);
      if (check.expect.kind === "rejected") expect(result!.trail, "a counterexample trail").to.include(check.mode === "liveness" ? "repeats forever" : "VIOLATED");
    });
  }
});
