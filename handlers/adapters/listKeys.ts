import { createHash } from "node:crypto";
import type { JobStatus } from "../domain/job";

/**
 * The keys of the listing indexes (`JOB_TABLE.listIndex`, `JOB_TABLE.doneIndex`), built in one
 * place for the writes of `DynamoJobStore` and the queries of `DynamoJobListing`.
 */

/** Digits of a `createdAt` in epoch ms, zero-padded so that strings sort as times (until 2286). */
const MS_DIGITS = 13;
const MAX_MS = 10 ** MS_DIGITS - 1;

/**
 * An owner as the index keys name it: 96 bits of SHA-256, base64url (16 characters). Short, so
 * that an index entry stays small (the summary reads every entry); a listing still checks each
 * item's own `owner`, so not even a digest collision could show one owner another's job.
 */
export function ownerDigest(owner: string): string {
  return createHash("sha256").update(owner, "utf8").digest("base64url").slice(0, 16);
}

/** `listKey`: `<owner digest>#<createdAt ms>`. */
export function listKey(owner: string, createdMs: number): string {
  return `${ownerDigest(owner)}#${String(Math.max(0, Math.min(MAX_MS, Math.floor(createdMs)))).padStart(MS_DIGITS, "0")}`;
}

/** The `createdAt` ms a `listKey` carries. */
export function createdMsOf(key: string): number {
  return Number(key.slice(key.lastIndexOf("#") + 1));
}

/** The inclusive `listKey` range of one owner's jobs created between two times. */
export function listKeyRange(owner: string, range: { afterMs?: number; beforeMs?: number }): { low: string; high: string } {
  return { low: listKey(owner, range.afterMs ?? 0), high: listKey(owner, range.beforeMs ?? MAX_MS) };
}

/** `doneShard`: `<status>#<shard>`. */
export function doneShard(status: JobStatus, shard: number): string {
  return `${status}#${shard}`;
}

/** The shard of a job: its id's first 32 bits modulo the shard count (ids are random or keyed hashes). */
export function shardOf(jobId: string, shards: number): number {
  return Number.parseInt(jobId.slice(0, 8), 16) % shards;
}
