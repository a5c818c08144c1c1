import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { createBuiltInJobTypes } from "../handlers/domain/jobTypes";
import { openApiDocument } from "../handlers/openapi";

/**
 * `npm run openapi`: writes `docs/openapi.json`, the OpenAPI document of a stack with
 * `authMode` `jwt`, route scopes required (`jwtRequireScopes`, the default) and the built-in job
 * types. `--check` writes nothing and exits 1 when the committed file is not what the route table
 * and the schemas generate now.
 *
 *   node -r ts-node/register/transpile-only scripts/openapi.ts [--check]
 */

/** Where the committed document lives. */
export const DOCS_OPENAPI_PATH = resolve(__dirname, "..", "docs", "openapi.json");

/** The committed document's text: the `jwt` stack's document, two-space indented, one trailing newline. */
export function docsOpenApiText(): string {
  const document = openApiDocument({ jobTypes: createBuiltInJobTypes(), authMode: "jwt", requireScopes: true });
  return `${JSON.stringify(document, null, 2)}\n`;
}

function main(): void {
  const expected = docsOpenApiText();
  let committed: string | undefined;
  try {
    committed = readFileSync(DOCS_OPENAPI_PATH, "utf8");
  } catch {
    committed = undefined;
  }
  if (process.argv.includes("--check")) {
    if (committed !== expected) {
      console.error(`${DOCS_OPENAPI_PATH} is ${committed === undefined ? "missing" : "stale"}; rewrite it with: npm run openapi`);
      process.exit(1);
    }
    console.log("docs/openapi.json is in step with the route table and the schemas");
    return;
  }
  if (committed === expected) {
    console.log("docs/openapi.json already in step");
    return;
  }
  writeFileSync(DOCS_OPENAPI_PATH, expected);
  console.log("rewrote docs/openapi.json");
}

if (require.main === module) main();
