// Installs this folder's packages (the AWS SDK as the nodejs22.x Lambda runtime ships it) when
// node_modules is missing or differs from package-lock.json; does nothing otherwise. `npm test`
// runs it first (`pretest`); CI installs the folder itself (.ci/run). Plain JavaScript, so that
// it needs nothing installed.
"use strict";
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const locked = readJson(path.join(__dirname, "package-lock.json")).packages;
// npm writes what it installed to node_modules/.package-lock.json, in the lockfile's shape.
const installed = readJson(path.join(__dirname, "node_modules/.package-lock.json"))?.packages ?? {};
const stale = Object.entries(locked).filter(
  // Optional packages may be skipped on this platform: not a reason to reinstall.
  ([where, entry]) => where !== "" && !entry.optional && (installed[where]?.version !== entry.version || !fs.existsSync(path.join(__dirname, where, "package.json"))),
);

if (stale.length > 0) {
  console.log(`test/runtime-sdk: installing the Lambda runtime's AWS SDK (${stale.length} packages missing or stale)`);
  execFileSync("npm", ["ci", "--no-audit", "--no-fund"], { cwd: __dirname, stdio: "inherit" });
}

function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (error) {
    if (error.code === "ENOENT") return undefined;
    throw error;
  }
}
