import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
import * as pulumi from "@pulumi/pulumi";

/** A function's code archive written out as Lambda would unpack it into `/var/task`. */
export interface UnpackedArtifact {
  /** The folder holding `__index.js` and `node_modules/`. */
  taskDir: string;
  /** The archive's entries (`__index.js`, `node_modules/valibot`, ...). */
  entries: string[];
  files: number;
  bytes: number;
  /** Sum of the files deflated one by one: what the zip would weigh, give or take headers. */
  deflatedBytes: number;
  indexSource: string;
}

/**
 * Writes the `code` AssetArchive a CallbackFunction produced under mocks into a fresh folder:
 * `<root>/task` is the archive; `<root>/node_modules/@aws-sdk` links to the repository's SDK, as
 * the runtime's `/var/runtime/node_modules` provides it. Nothing else outside the archive is
 * reachable by `require`, so a package missing from the archive fails the load.
 */
export async function unpackArtifact(code: pulumi.asset.AssetArchive, label: string): Promise<UnpackedArtifact> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `cloudqueue-artifact-${label}-`));
  const taskDir = path.join(root, "task");
  fs.mkdirSync(path.join(root, "node_modules"), { recursive: true });
  fs.symlinkSync(path.resolve("node_modules/@aws-sdk"), path.join(root, "node_modules/@aws-sdk"), "dir");
  const assets = await code.assets;
  let indexSource = "";
  for (const [entry, asset] of Object.entries(assets)) {
    const target = path.join(taskDir, entry);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    if (asset instanceof pulumi.asset.StringAsset) {
      const text = await asset.text;
      fs.writeFileSync(target, text ?? "");
      if (entry === "__index.js") indexSource = text ?? "";
    } else if (asset instanceof pulumi.asset.FileArchive || asset instanceof pulumi.asset.FileAsset) {
      fs.cpSync(path.resolve((await asset.path) ?? ""), target, { recursive: true, dereference: true });
    } else {
      throw new Error(`unexpected asset at ${entry}: ${asset?.constructor?.name}`);
    }
  }
  let files = 0;
  let bytes = 0;
  let deflatedBytes = 0;
  for (const file of walk(taskDir)) {
    const content = fs.readFileSync(file);
    files++;
    bytes += content.length;
    deflatedBytes += zlib.deflateRawSync(content).length;
  }
  return { taskDir, entries: Object.keys(assets).sort(), files, bytes, deflatedBytes, indexSource };
}

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? walk(full) : [full];
  });
}

/** Loads `__index.js` as Lambda does (handler `__index.handler`), in the current environment. */
export function loadHandler<H>(artifact: UnpackedArtifact): H {
  const module = require(path.join(artifact.taskDir, "__index.js"));
  if (typeof module.handler !== "function") throw new Error("__index.js exports no handler function");
  return module.handler as H;
}
