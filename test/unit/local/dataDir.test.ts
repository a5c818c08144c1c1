import { expect } from "chai";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DataDirError, lockDataDir, STACK_FILE } from "../../../local/dataDir";

describe("the local stack's data folder", () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), "cloudqueue-datadir-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("announces the running stack's addresses in local-stack.json, whole, and removes it with the lock", () => {
    const lock = lockDataDir(dir);
    lock.announce({ apiUrl: "http://127.0.0.1:41234", pageUrl: "http://127.0.0.1:41234/", metricsUrl: "http://127.0.0.1:41234/metrics", auth: "none" });
    const written = JSON.parse(readFileSync(join(dir, STACK_FILE), "utf8"));
    expect(written).to.include({ pid: process.pid, apiUrl: "http://127.0.0.1:41234", auth: "none" });
    expect(Date.parse(written.startedAt)).to.be.a("number").and.not.NaN;
    lock.release();
    expect(existsSync(join(dir, STACK_FILE))).to.equal(false);
    expect(existsSync(join(dir, "cloudqueue.pid"))).to.equal(false);
  });

  it("leaves another live process's files alone on release, and refuses its folder", () => {
    const lock = lockDataDir(dir);
    lock.announce({ apiUrl: "http://127.0.0.1:1", pageUrl: "http://127.0.0.1:1/", metricsUrl: "http://127.0.0.1:1/metrics", auth: "none" });
    // The parent of this process is alive and is not us: it holds the folder now.
    writeFileSync(join(dir, "cloudqueue.pid"), String(process.ppid));
    lock.release();
    expect(existsSync(join(dir, STACK_FILE))).to.equal(true);
    expect(() => lockDataDir(dir)).to.throw(DataDirError, /in use by another CloudQueue/);
  });
});
