import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { IdSecretSource } from "../handlers/auth/idSecret";

/** Length of the local id secret: what an HMAC-SHA-256 key should be. */
export const ID_SECRET_BYTES = 32;

/** A local auth file (id secret, issuer key) that cannot be read or written; the message says which and why. */
export class LocalAuthFileError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "LocalAuthFileError";
  }
}

/** `<dataDir>/auth/id-secret`: where a local stack keeps the secret of its key-derived job ids. */
export function idSecretPath(dataDir: string): string {
  return join(resolve(dataDir), "auth", "id-secret");
}

/**
 * The local stack's id secret, kept in the data folder: 32 random bytes written at the first
 * start (mode 0600), read at every later one, so that an Idempotency-Key maps to the same job id
 * across restarts (as the KMS-derived secret does on AWS). Read now, not at the first request: a
 * broken file stops the start with a message rather than failing requests.
 */
export function openIdSecretFile(dataDir: string): IdSecretSource {
  const path = idSecretPath(dataDir);
  const secret = readSecret(path) ?? createSecret(path);
  return { get: async () => secret };
}

/** A fresh random secret that lives as long as the process (`--in-memory`: nothing is kept). */
export function memoryIdSecret(): IdSecretSource {
  const secret = new Uint8Array(randomBytes(ID_SECRET_BYTES));
  return { get: async () => secret };
}

/**
 * Writes a file only this user may read (0600, in a 0700 folder), whole or not at all: written
 * beside its place, then renamed over it, so a crash never leaves half a key.
 */
export function writePrivateFile(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, data, { mode: 0o600 });
  renameSync(temporary, path);
}

function readSecret(path: string): Uint8Array | undefined {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new LocalAuthFileError(`the id secret ${path} cannot be read (${(error as Error).message})`, { cause: error });
  }
  if (bytes.length !== ID_SECRET_BYTES) {
    throw new LocalAuthFileError(`the id secret ${path} holds ${bytes.length} bytes, not ${ID_SECRET_BYTES}; restore it, or delete it to start with new job ids for Idempotency-Keys`);
  }
  return new Uint8Array(bytes);
}

function createSecret(path: string): Uint8Array {
  const secret = new Uint8Array(randomBytes(ID_SECRET_BYTES));
  try {
    writePrivateFile(path, secret);
  } catch (error) {
    throw new LocalAuthFileError(`the id secret ${path} cannot be written (${(error as Error).message})`, { cause: error });
  }
  return secret;
}
