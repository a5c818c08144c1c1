import { createHash, randomUUID } from "node:crypto";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Whether `value` is a well-formed job id (a lower-case RFC 9562 UUID). */
export function isJobId(value: string): boolean {
  return UUID.test(value);
}

/** A fresh random job id (UUID v4). */
export function newJobId(): string {
  return randomUUID();
}

/**
 * The job id a given `Idempotency-Key` always maps to (a UUID v8 from SHA-256 of the key).
 *
 * Deriving the id from the key lets one conditional `PutItem` enforce key uniqueness: a second
 * submission with the same key collides on the table's primary key, with no second item or index.
 */
export function jobIdForIdempotencyKey(key: string): string {
  const bytes = createHash("sha256").update(`cloudqueue:idempotency-key:${key}`, "utf8").digest();
  bytes[6] = (bytes[6]! & 0x0f) | 0x80; // version 8 (custom)
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // RFC 9562 variant
  const hex = bytes.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
