import { describeStaleRegions, GENERATED_DOCS, writeDocFigures } from "../bench/docFigures";

/**
 * Rewrites the generated figures of README.md and docs/SCALING.md (the regions between `bench:`
 * markers) from `bench/results.json`, the dev stack's config and the cost model. `npm run bench`
 * does the same when it ends. `--check` changes nothing and exits 1 when a region is stale.
 *
 *   node -r ts-node/register/transpile-only scripts/docFigures.ts [--check]
 */
try {
  if (process.argv.includes("--check")) {
    const stale = describeStaleRegions();
    for (const line of stale) console.error(line);
    if (stale.length > 0) {
      console.error("rewrite them with: node -r ts-node/register/transpile-only scripts/docFigures.ts");
      process.exit(1);
    }
    console.log(`${GENERATED_DOCS.join(" and ")}: every generated figure is in step`);
  } else {
    const changed = writeDocFigures();
    console.log(changed.length === 0 ? "generated figures already in step" : `rewrote the generated figures of ${changed.join(", ")}`);
  }
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
}
