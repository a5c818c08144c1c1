import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from "node:crypto";
import * as v from "valibot";
import type { ListPosition } from "../adapters/jobListing";
import { CloudQueueError } from "../errors";

/** A cursor that was altered, made elsewhere, or is used by another owner or with other filters. */
export class InvalidCursorError extends CloudQueueError {
  constructor() {
    super("the cursor is not valid for this request");
    this.name = "InvalidCursorError";
  }
}

/** What a cursor is bound to: whose listing, which filters, for which operation. */
export interface CursorBinding {
  owner: string;
  /** `list`, `bulk-retry`, `bulk-cancel`: a cursor of one never continues another. */
  purpose: string;
  /** The filters, in a canonical form (same filters, same text). */
  filter: string;
}

const VERSION = "c1";
const IV_BYTES = 12;
const TAG_BYTES = 16;

const PositionSchema = v.strictObject({
  streams: v.pipe(
    v.array(
      v.strictObject({
        after: v.optional(v.tuple([v.pipe(v.number(), v.integer()), v.string()])),
        exhausted: v.optional(v.literal(true)),
        buffered: v.array(v.tuple([v.pipe(v.number(), v.integer()), v.string()])),
      }),
    ),
    v.maxLength(256),
  ),
});

/**
 * Seals a listing position into an opaque `cursor`: AES-256-GCM under a key derived from the
 * stack's id secret, with the binding (owner, purpose, filters) as additional authenticated data.
 * The client can neither read it nor change it, and it opens only for the same owner, operation
 * and filters: a forged or replayed-elsewhere cursor cannot reach another owner's jobs or widen a
 * filter. node:crypto's AEAD is all it takes; the format is `c1.<base64url(iv | tag | text)>`.
 */
export function sealCursor(secret: Uint8Array, binding: CursorBinding, position: ListPosition): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", cursorKey(secret), iv);
  cipher.setAAD(bindingBytes(binding));
  const text = Buffer.concat([cipher.update(JSON.stringify(position), "utf8"), cipher.final()]);
  return `${VERSION}.${Buffer.concat([iv, cipher.getAuthTag(), text]).toString("base64url")}`;
}

/** Opens a cursor sealed by {@link sealCursor} for the same binding; throws {@link InvalidCursorError} otherwise. */
export function openCursor(secret: Uint8Array, binding: CursorBinding, cursor: string): ListPosition {
  const [version, body, extra] = cursor.split(".");
  if (version !== VERSION || body === undefined || extra !== undefined || !/^[A-Za-z0-9_-]+$/.test(body)) throw new InvalidCursorError();
  const bytes = Buffer.from(body, "base64url");
  if (bytes.length <= IV_BYTES + TAG_BYTES) throw new InvalidCursorError();
  let text: string;
  try {
    const decipher = createDecipheriv("aes-256-gcm", cursorKey(secret), bytes.subarray(0, IV_BYTES));
    decipher.setAAD(bindingBytes(binding));
    decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    text = Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString("utf8");
  } catch {
    throw new InvalidCursorError();
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new InvalidCursorError();
  }
  const position = v.safeParse(PositionSchema, parsed);
  if (!position.success) throw new InvalidCursorError();
  return position.output as ListPosition;
}

/** The cursor key: its own derivation of the id secret, so that the two uses never share a key. */
function cursorKey(secret: Uint8Array): Buffer {
  return createHmac("sha256", secret).update("cloudqueue/list-cursor/v1").digest();
}

function bindingBytes(binding: CursorBinding): Buffer {
  return createHash("sha256").update(JSON.stringify([binding.owner, binding.purpose, binding.filter]), "utf8").digest();
}
