import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import { docFigures, GENERATED_DOCS } from "../../../bench/docFigures";
import { findRegions, staleRegions } from "../../../bench/docRegions";
import { costReport } from "../../../bench/costReport";

const root = join(__dirname, "..", "..", "..");
const read = (file: string) => readFileSync(join(root, file), "utf8");

describe("docs: generated figures in step with bench/results.json and the cost model", () => {
  const figures = docFigures();

  for (const file of GENERATED_DOCS) {
    it(`${file}: every generated region holds what bench/results.json and the cost model give now`, () => {
      // Prepare
      const markdown = read(file);

      // Act
      const stale = staleRegions(markdown, figures);

      // Assess
      const report = stale.map(({ name, line, expected }) => `${file}:${line} "${name}" should read:\n${expected}`).join("\n\n");
      expect(stale.map(({ name }) => name), `stale regions; rewrite them with \`node -r ts-node/register/transpile-only scripts/docFigures.ts\` (npm run bench does it too):\n${report}`).to.deep.equal([]);
    });
  }

  it("quotes every figure it generates somewhere, so none is computed for nothing", () => {
    const used = new Set(GENERATED_DOCS.flatMap((file) => findRegions(read(file)).map((region) => region.name)));

    expect(Object.keys(figures).filter((name) => !used.has(name))).to.deep.equal([]);
  });

  it("puts the throughput table in the README and the measured throughput in SCALING.md, both from results.json", () => {
    const results = JSON.parse(read("bench/results.json")) as { throughput: { clients: number; jobsPerSec: number }[] };
    const best = results.throughput.reduce((a, b) => (b.jobsPerSec > a.jobsPerSec ? b : a));

    expect(findRegions(read("README.md")).map((region) => region.name)).to.include.members(["throughput", "cost", "same-origin"]);
    expect(figures["measured-throughput"]).to.contain(`${best.jobsPerSec} jobs/s with ${best.clients} clients`);
  });

  it("quotes the README's cost block as `npm run cost` prints it for the dev stack and 1 M jobs", () => {
    const printed = costReport({ stack: "dev", jobsPerMonth: 1_000_000 });

    expect(figures.cost).to.contain(["```", printed, "```"].join("\n"));
  });
});
