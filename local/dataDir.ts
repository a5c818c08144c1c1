import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

/** A data folder this process holds; `release()` frees it for the next start. */
export interface DataDirLock {
  dir: string;
  /**
   * Writes {@link STACK_FILE}: where this running stack answers, for the `cloudqueue` CLI to find
   * it on whatever port it took. Written whole (a temporary file renamed into place).
   */
  announce(info: { apiUrl: string; pageUrl: string; metricsUrl: string; auth: string }): void;
  release(): void;
}

/** The running stack's addresses, in its data folder while it runs (read by `cli/target.ts`). */
export const STACK_FILE = "local-stack.json";

/** A data folder that cannot be used; the message says why and what to do. */
export class DataDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DataDirError";
  }
}

const LOCK_FILE = "cloudqueue.pid";

/**
 * Creates the data folder if needed, proves it writable, and takes it for this process with a
 * pid file. LevelDB locks its files too, but a second stack would only learn that on its first
 * request, deep inside dynalite; this check fails at once, naming the process that holds it.
 */
export function lockDataDir(path: string): DataDirLock {
  const dir = resolve(path);
  const lockPath = join(dir, LOCK_FILE);
  try {
    mkdirSync(dir, { recursive: true });
    if (!statSync(dir).isDirectory()) throw Object.assign(new Error("not a directory"), { code: "ENOTDIR" });
  } catch (error) {
    throw new DataDirError(`data dir ${dir} is not usable (${reason(error)}); choose another with --data-dir or CLOUDQUEUE_DATA_DIR, or use --in-memory`);
  }
  const holder = holderOf(lockPath);
  if (holder !== undefined && holder !== process.pid && isAlive(holder)) {
    throw new DataDirError(`data dir ${dir} is in use by another CloudQueue (pid ${holder}); stop it, or choose another --data-dir`);
  }
  try {
    writeFileSync(lockPath, String(process.pid));
  } catch (error) {
    throw new DataDirError(`data dir ${dir} is not writable (${reason(error)}); choose another with --data-dir or CLOUDQUEUE_DATA_DIR, or use --in-memory`);
  }
  const stackPath = join(dir, STACK_FILE);
  return {
    dir,
    announce(info) {
      const temporary = `${stackPath}.${process.pid}.tmp`;
      writeFileSync(temporary, `${JSON.stringify({ pid: process.pid, ...info, startedAt: new Date().toISOString() }, null, 2)}\n`);
      renameSync(temporary, stackPath);
    },
    release() {
      if (holderOf(lockPath) !== process.pid) return;
      rmSync(stackPath, { force: true });
      rmSync(lockPath, { force: true });
    },
  };
}

function holderOf(lockPath: string): number | undefined {
  try {
    const pid = Number(readFileSync(lockPath, "utf8").trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else, so it is alive.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function reason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case "EEXIST":
    case "ENOTDIR":
      return "a file is in the way: not a directory";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "EROFS":
      return "read-only file system";
    case "ENOSPC":
      return "no space left";
    default:
      return code ?? (error instanceof Error ? error.message : String(error));
  }
}
