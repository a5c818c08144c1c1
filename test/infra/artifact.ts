import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
import * as pulumi from "@pulumi/pulumi";
import runtimeSdkPackage from "../runtime-sdk/package.json";

/**
 * The folder that stands in for the runtime's `/var/runtime/node_modules`: its package.json pins
 * the AWS SDK release the `nodejs22.x` runtime ships (README, "Lambda packaging"), so the
 * artifacts run against that SDK and not the repository's newer one.
 */
export const RUNTIME_SDK_DIR = path.resolve(__dirname, "../runtime-sdk");
/** Each SDK package the runtime provides, with the version it provides. */
export const RUNTIME_SDK_PACKAGES: Readonly<Record<string, string>> = runtimeSdkPackage.dependencies;

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
 * `<root>/task` is the archive; `<root>/node_modules/@aws-sdk` links to the runtime's SDK in
 * {@link RUNTIME_SDK_DIR}, as `/var/runtime/node_modules` provides it. Nothing else outside the
 * archive is reachable by `require`, so a package missing from the archive fails the load.
 */
export async function unpackArtifact(code: pulumi.asset.AssetArchive, label: string): Promise<UnpackedArtifact> {
  const runtimeSdk = installedRuntimeSdk();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `cloudqueue-artifact-${label}-`));
  const taskDir = path.join(root, "task");
  fs.mkdirSync(path.join(root, "node_modules"), { recursive: true });
  fs.symlinkSync(runtimeSdk, path.join(root, "node_modules/@aws-sdk"), "dir");
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

/** `<RUNTIME_SDK_DIR>/node_modules/@aws-sdk`, or an error that says how to install it. */
function installedRuntimeSdk(): string {
  const missing = Object.keys(RUNTIME_SDK_PACKAGES).filter((name) => !fs.existsSync(path.join(RUNTIME_SDK_DIR, "node_modules", name, "package.json")));
  if (missing.length > 0) {
    throw new Error(`the runtime's AWS SDK is not installed (${missing.join(", ")} missing): run \`npm ci --prefix test/runtime-sdk\` (\`npm test\` runs it when needed)`);
  }
  return path.join(RUNTIME_SDK_DIR, "node_modules/@aws-sdk");
}

/** The package `name` as the artifact's code resolves it: its folder (real path) and version. */
export function resolveFromArtifact(artifact: UnpackedArtifact, name: string): { dir: string; version: string } {
  let dir = path.dirname(require.resolve(name, { paths: [artifact.taskDir] }));
  while (!isPackageRoot(dir, name)) {
    if (path.dirname(dir) === dir) throw new Error(`no package.json of ${name} above what the artifact resolves`);
    dir = path.dirname(dir);
  }
  return { dir: fs.realpathSync(dir), version: JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")).version };
}

function isPackageRoot(dir: string, name: string): boolean {
  const manifest = path.join(dir, "package.json");
  return fs.existsSync(manifest) && JSON.parse(fs.readFileSync(manifest, "utf8")).name === name;
}

/**
 * Every `@aws-sdk/*` and `@smithy/*` file the artifact's `__index.js` has loaded so far, directly or
 * through other modules (Node records a cached module as a child of each module that requires it).
 */
export function sdkFilesLoadedBy(artifact: UnpackedArtifact): string[] {
  const index = require.cache[fs.realpathSync(path.join(artifact.taskDir, "__index.js"))];
  if (!index) throw new Error("__index.js is not loaded: call loadHandler first");
  const seen = new Set<NodeJS.Module>();
  const pending = [index];
  while (pending.length > 0) {
    const module = pending.pop()!;
    if (seen.has(module)) continue;
    seen.add(module);
    pending.push(...module.children);
  }
  return [...seen].map((module) => module.filename).filter((file) => /[\\/]node_modules[\\/]@(aws-sdk|smithy)[\\/]/.test(file));
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
