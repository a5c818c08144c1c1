import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runProgram, type ProgramRun } from "../test/infra/program";
import { systemFlowDot } from "./diagramDot";
import { systemFlow } from "./diagramFlow";
import { resourceGraphDot } from "./diagramResources";

/**
 * The architecture diagrams, drawn from the Pulumi program itself: it runs under mocks (with an
 * alert email, so the operations part is drawn; as a `jwt` stack, so the authorizer is; and an
 * empty site folder, so the pictures do not change with the site's files), then
 * - `architecture`: the system flow, a dozen boxes found by the role their resources play
 *   (scripts/diagramFlow.ts), the picture to read the system from;
 * - `resources`: every declared resource and every input naming another (scripts/diagramResources.ts).
 */

/** Where the diagrams live; the `.dot` files are committed and checked by a test. */
export const DIAGRAM_DIR = path.join(__dirname, "..", "diagrams");
/** An example issuer and audience: the picture shows a closed stack, the shape a production one has. */
export const DIAGRAM_CONFIG = {
  alertEmail: "ops@example.com",
  authMode: "jwt",
  jwtIssuer: "https://issuer.example.com/",
  jwtAudiences: ["cloudqueue"],
  schedules: [{ name: "nightly-digest", expression: "cron(0 3 * * ? *)", timezone: "Europe/Paris", type: "hash.digest", payload: { text: "nightly digest", algorithm: "sha256" } }],
};

/** Each diagram: its file name (without extension), its source from a run, its PNG resolution. */
export const DIAGRAMS = [
  { name: "architecture", dot: (run: ProgramRun) => systemFlowDot(systemFlow(run)), dpi: 78 },
  { name: "resources", dot: resourceGraphDot, dpi: 80 },
] as const;

/** Runs the program under mocks with the diagram's configuration (or `config`). */
export async function diagramRun(config: Record<string, unknown> = DIAGRAM_CONFIG): Promise<ProgramRun> {
  const emptySite = fs.mkdtempSync(path.join(os.tmpdir(), "cloudqueue-diagram-site-"));
  return runProgram(config, emptySite);
}

async function main(): Promise<void> {
  const run = await diagramRun();
  fs.mkdirSync(DIAGRAM_DIR, { recursive: true });
  for (const diagram of DIAGRAMS) {
    const dotFile = path.join(DIAGRAM_DIR, `${diagram.name}.dot`);
    fs.writeFileSync(dotFile, diagram.dot(run));
    execFileSync("dot", ["-Tsvg", dotFile, "-o", path.join(DIAGRAM_DIR, `${diagram.name}.svg`)]);
    execFileSync("dot", ["-Tpng", `-Gdpi=${diagram.dpi}`, dotFile, "-o", path.join(DIAGRAM_DIR, `${diagram.name}.png`)]);
    console.log(`wrote ${path.relative(process.cwd(), dotFile)} and its .svg and .png`);
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
