import { InvalidArgumentError } from "commander";
import * as v from "valibot";
import type { JobStatus } from "./client";
import { UsageError } from "./errors";

/** Every job status, in the order of a job's life. */
export const STATUSES = ["QUEUED", "IN_PROGRESS", "SUCCEEDED", "FAILED", "CANCELED"] as const satisfies readonly JobStatus[];

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

const RELATIVE_TIME = /^([1-9]\d{0,5})([smhdw])$/;
// RFC 3339's date-time (`T` or a space, `Z` or an offset), or a full-date taken as midnight UTC.
const AbsoluteTime = v.pipe(
  v.string(),
  v.regex(/^\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2}))?$/),
  v.transform((text) => Date.parse(text.length === 10 ? `${text}T00:00:00Z` : text.replace(" ", "T"))),
  v.check((ms) => !Number.isNaN(ms)),
);

/**
 * `--since` / `--until`: an RFC 3339 time (`2025-05-01T12:00:00Z`, `2025-05-01`) or a duration
 * back from `nowMs` (`90s`, `30m`, `24h`, `7d`, `2w`), as the API's RFC 3339 UTC form. The API
 * compares times as stored (UTC), so an offset is turned into UTC here.
 */
export function parseTime(text: string, nowMs: number): string {
  const relative = RELATIVE_TIME.exec(text);
  if (relative) return new Date(nowMs - Number(relative[1]) * UNIT_MS[relative[2] as keyof typeof UNIT_MS]).toISOString();
  const absolute = v.safeParse(AbsoluteTime, text);
  if (absolute.success) return new Date(absolute.output).toISOString();
  throw new InvalidArgumentError("expected an RFC 3339 time (2025-05-01T12:00:00Z, 2025-05-01) or a duration back from now (30m, 24h, 7d).");
}

/** `--status`: one status or several, comma-separated or repeated, any case (`failed,canceled`). */
export function parseStatuses(text: string, previous: JobStatus[] = []): JobStatus[] {
  const statuses = [...previous];
  for (const part of text.split(",")) {
    const status = part.trim().toUpperCase().replace("-", "_");
    if (!(STATUSES as readonly string[]).includes(status)) throw new InvalidArgumentError(`expected ${STATUSES.join(", ")} (comma-separated for several).`);
    if (!statuses.includes(status as JobStatus)) statuses.push(status as JobStatus);
  }
  return statuses;
}

/** A whole number within `[min, max]`, for an option's parser. */
export function integerIn(min: number, max: number): (text: string) => number {
  const schema = v.pipe(v.string(), v.regex(/^\d+$/), v.transform(Number), v.minValue(min), v.maxValue(max));
  return (text) => {
    const parsed = v.safeParse(schema, text);
    if (!parsed.success) throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}.`);
    return parsed.output;
  };
}

/** `--id`, repeated or comma-separated. */
export function collectIds(text: string, previous: string[] = []): string[] {
  const ids = text.split(",").map((id) => id.trim()).filter((id) => id !== "");
  if (ids.length === 0) throw new InvalidArgumentError("expected a job id.");
  return [...previous, ...ids];
}

/** Where a payload's text comes from. */
export interface PayloadSources {
  readFile(path: string): Promise<string>;
  readStdin(): Promise<string>;
}

/**
 * A submission's PAYLOAD: JSON text, `@path` for a file's JSON, `-` for JSON on stdin. Neither
 * `@…` nor `-` is JSON, so the forms never overlap.
 */
export async function readPayload(argument: string, sources: PayloadSources): Promise<unknown> {
  let text = argument;
  let from = "PAYLOAD";
  if (argument === "-") {
    text = await sources.readStdin();
    from = "the payload on stdin";
  } else if (argument.startsWith("@")) {
    const path = argument.slice(1);
    try {
      text = await sources.readFile(path);
    } catch (error) {
      throw new UsageError(`cannot read the payload file ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
    from = `the payload file ${path}`;
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${from} is not JSON (${error instanceof Error ? error.message : String(error)}); pass JSON text such as '{"text":"hi"}', @file.json, or - to read stdin`);
  }
}
