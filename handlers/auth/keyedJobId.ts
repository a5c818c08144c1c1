import { createHmac } from "node:crypto";

/**
 * The job id an `Idempotency-Key` maps to for one owner: a UUID v8 from HMAC-SHA256, keyed with
 * the stack's id secret, of the owner and the key.
 *
 * Deriving the id lets one conditional `PutItem` enforce the key's uniqueness per owner (a second
 * submission collides on the primary key, with no second item or index). Keying the hash with a
 * secret means nobody can compute a job's id from a key they know or guess (`order-1234`), and
 * the owner in the message means two owners' equal keys are two jobs.
 */
export function keyedJobId(secret: Uint8Array, owner: string, key: string): string {
  // Length-prefixed, so that no owner/key pair can be read as another.
  const message = `cloudqueue:idempotency-key:v1\n${owner.length}:${owner}\n${key}`;
  const bytes = createHmac("sha256", secret).update(message, "utf8").digest();
  bytes[6] = (bytes[6]! & 0x0f) | 0x80; // version 8 (custom)
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // RFC 9562 variant
  const hex = bytes.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
