import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import { GENERATED_DOCS } from "../../../bench/docFigures";
import { NOT_BENCH_FIGURES, retypedFigures } from "./retypedFigures";

const root = join(__dirname, "..", "..", "..");

describe("docs: no bench or cost figure typed by hand", () => {
  for (const file of GENERATED_DOCS) {
    it(`${file} quotes throughput, shares, latencies and dollars only inside generated regions`, () => {
      // Prepare
      const markdown = readFileSync(join(root, file), "utf8");

      // Act
      const found = retypedFigures(markdown);

      // Assess
      const report = found.map(({ line, figure, context }) => `${file}:${line}: "${figure}" in: ${context}`).join("\n");
      expect(found, `figures typed outside a generated region (put them in a bench: region, see bench/docRegions.ts):\n${report}`).to.deep.equal([]);
    });
  }

  it("flags the figures SCALING.md once quoted from an older run", () => {
    const stale = "About 100 jobs/s locally, 46–48 % of the emulators' own ceiling of 212 jobs/s, p50 62 ms, at 338.3/s.";

    const figures = retypedFigures(stale).map((found) => found.figure);

    expect(figures).to.deep.equal(["100 jobs/s", "48 %", "212 jobs/s", "62 ms", "338.3/s"]);
  });

  it("flags a dollar figure of ours (a total, per job, per million jobs) but not an AWS list price per unit", () => {
    const text = "The month costs $8.63, $14.5 per million jobs and $1 104.49 for Lambda, at $0.50/GB, $1.00 per million and $0.0100 per 10 000 requests.";

    const figures = retypedFigures(text).map((found) => found.figure);

    expect(figures).to.deep.equal(["$8.63", "$14.5", "$1 104.49"]);
  });

  it("leaves AWS quotas alone: they are stated in rps, write units and concurrency, which it does not scan", () => {
    const quotas = "| API Gateway | 10 000 rps, burst 5 000 | DynamoDB partition | 1 000 write units/s | Lambda | 1 000 concurrent |";

    expect(retypedFigures(quotas)).to.deep.equal([]);
  });

  it("ignores figures inside a generated region, block or inline", () => {
    const markdown = ["<!-- bench:x -->", "215 jobs/s, 74 %", "<!-- /bench -->", "inline <!-- bench:y -->$8.63<!-- /bench --> here"].join("\n");

    expect(retypedFigures(markdown)).to.deep.equal([]);
  });

  it("allows each listed setting or test parameter, and only in its own words", () => {
    for (const { text } of NOT_BENCH_FIGURES) expect(retypedFigures(`… ${text} …`), text).to.deep.equal([]);

    expect(retypedFigures("a load with 12% transient faults").map((found) => found.figure)).to.deep.equal(["12%"]);
  });
});
