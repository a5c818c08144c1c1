import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from "node:crypto";
import type { ListPosition } from "../adapters/jobListing";
import { CloudQueueError } from "../errors";

/** A cursor that was altered, made elsewhere, or is used by another owner or with other filters. */
export class InvalidCursorError extends CloudQueueError {
  /** @param path where the request carried it: the query string (`GET /jobs`) or the body (bulk). */
  constructor(readonly path: string = "query:cursor") {
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

/** The longest cursor the API hands out and takes back (a query string value). */
export const MAX_CURSOR_CHARS = 8192;

const UUID_HEX = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const FLAG = { exhausted: 1, after: 2, mark: 4 } as const;
const ENTRY_BYTES = 6 + 16;

/**
 * A position in bytes: per stream a flags byte, `after` and `mark` when present, and the buffered
 * entries (each a 6-byte createdAt ms and the 16 bytes of the job id). About a third of its JSON,
 * so that a cursor of many streams stays a short query string value.
 */
export function packPosition(position: ListPosition): Buffer {
  const parts: Buffer[] = [Buffer.from([1]), uint16(position.streams.length)];
  for (const stream of position.streams) {
    const flags = (stream.exhausted ? FLAG.exhausted : 0) | (stream.after ? FLAG.after : 0) | (stream.mark && stream.buffered.length > 0 ? FLAG.mark : 0);
    parts.push(Buffer.from([flags]));
    if (stream.after) parts.push(entryBytes(stream.after));
    if (flags & FLAG.mark) parts.push(entryBytes(stream.mark!));
    parts.push(uint16(stream.buffered.length), ...stream.buffered.map(entryBytes));
  }
  return Buffer.concat(parts);
}

/** The position {@link packPosition} packed; `undefined` for bytes it did not make. */
export function unpackPosition(bytes: Buffer): ListPosition | undefined {
  let at = 0;
  const take = (length: number): Buffer | undefined => {
    if (at + length > bytes.length) return undefined;
    const part = bytes.subarray(at, at + length);
    at += length;
    return part;
  };
  const readEntry = (): [number, string] | undefined => {
    const part = take(ENTRY_BYTES);
    if (!part) return undefined;
    const hex = part.subarray(6).toString("hex");
    return [part.readUIntBE(0, 6), `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`];
  };
  if (take(1)?.[0] !== 1) return undefined;
  const count = take(2)?.readUInt16BE(0);
  if (count === undefined || count > 256) return undefined;
  const streams: ListPosition["streams"] = [];
  for (let n = 0; n < count; n += 1) {
    const flags = take(1)?.[0];
    if (flags === undefined || flags > 7) return undefined;
    const stream: ListPosition["streams"][number] = { buffered: [] };
    if (flags & FLAG.exhausted) stream.exhausted = true;
    if (flags & FLAG.after) {
      const after = readEntry();
      if (!after) return undefined;
      stream.after = after;
    }
    if (flags & FLAG.mark) {
      const mark = readEntry();
      if (!mark) return undefined;
      stream.mark = mark;
    }
    const buffered = take(2)?.readUInt16BE(0);
    if (buffered === undefined) return undefined;
    for (let entry = 0; entry < buffered; entry += 1) {
      const read = readEntry();
      if (!read) return undefined;
      stream.buffered.push(read);
    }
    streams.push(stream);
  }
  return at === bytes.length ? { streams } : undefined;
}

function uint16(value: number): Buffer {
  const bytes = Buffer.alloc(2);
  bytes.writeUInt16BE(value);
  return bytes;
}

function entryBytes([ms, jobId]: [number, string]): Buffer {
  // Listing entries are jobs, and job ids are UUIDs: anything else is a bug, not input.
  if (!UUID_HEX.test(jobId) || !Number.isSafeInteger(ms) || ms < 0 || ms >= 2 ** 48) throw new Error(`not a listing entry: ${ms} ${jobId}`);
  const bytes = Buffer.alloc(ENTRY_BYTES);
  bytes.writeUIntBE(ms, 0, 6);
  Buffer.from(jobId.replaceAll("-", ""), "hex").copy(bytes, 6);
  return bytes;
}

/**
 * Seals a listing position into an opaque `cursor`: AES-256-GCM under a key derived from the
 * stack's id secret, with the binding (owner, purpose, filters) as additional authenticated data.
 * The client can neither read it nor change it, and it opens only for the same owner, operation
 * and filters: a forged or replayed-elsewhere cursor cannot reach another owner's jobs or widen a
 * filter. node:crypto's AEAD is all it takes; the format is `c1.<base64url(iv | tag | sealed bytes)>`, the position packed by
 * {@link packPosition}.
 */
export function sealCursor(secret: Uint8Array, binding: CursorBinding, position: ListPosition): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", cursorKey(secret), iv);
  cipher.setAAD(bindingBytes(binding));
  const text = Buffer.concat([cipher.update(packPosition(position)), cipher.final()]);
  return `${VERSION}.${Buffer.concat([iv, cipher.getAuthTag(), text]).toString("base64url")}`;
}

/** Opens a cursor sealed by {@link sealCursor} for the same binding; throws {@link InvalidCursorError} otherwise. */
export function openCursor(secret: Uint8Array, binding: CursorBinding, cursor: string): ListPosition {
  const [version, body, extra] = cursor.split(".");
  if (version !== VERSION || body === undefined || extra !== undefined || !/^[A-Za-z0-9_-]+$/.test(body)) throw new InvalidCursorError();
  const bytes = Buffer.from(body, "base64url");
  if (bytes.length <= IV_BYTES + TAG_BYTES) throw new InvalidCursorError();
  let packed: Buffer;
  try {
    const decipher = createDecipheriv("aes-256-gcm", cursorKey(secret), bytes.subarray(0, IV_BYTES));
    decipher.setAAD(bindingBytes(binding));
    decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    packed = Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
  } catch {
    throw new InvalidCursorError();
  }
  const position = unpackPosition(packed);
  if (!position) throw new InvalidCursorError();
  return position;
}

/** The cursor key: its own derivation of the id secret, so that the two uses never share a key. */
function cursorKey(secret: Uint8Array): Buffer {
  return createHmac("sha256", secret).update("cloudqueue/list-cursor/v1").digest();
}

function bindingBytes(binding: CursorBinding): Buffer {
  return createHash("sha256").update(JSON.stringify([binding.owner, binding.purpose, binding.filter]), "utf8").digest();
}
