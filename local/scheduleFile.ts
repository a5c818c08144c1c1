import { existsSync, readFileSync } from "node:fs";
import { load } from "js-yaml";
import type { JobTypeRegistry } from "../handlers/domain/jobTypes";
import { parseSchedules, type ScheduleConfig } from "../handlers/domain/scheduleConfig";

/** The config key the schedules sit under in a Pulumi stack file. */
const STACK_KEY = "cloudqueue:schedules";

/** A schedules file that cannot be read, or whose entries are invalid: `npm start` prints it and exits. */
export class ScheduleFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ScheduleFileError";
  }
}

/**
 * The schedules of a file, validated exactly as `pulumi preview` validates the `schedules` key
 * (`parseSchedules`): a Pulumi stack file (`config: cloudqueue:schedules: [...]`), or a YAML or
 * JSON list of entries. A missing file is no schedules when `optional` (the default file),
 * an error otherwise.
 */
export function loadScheduleFile(path: string, jobTypes: JobTypeRegistry, options: { optional?: boolean } = {}): ScheduleConfig[] {
  if (!existsSync(path)) {
    if (options.optional) return [];
    throw new ScheduleFileError(`schedules file ${path} does not exist`);
  }
  let document: unknown;
  try {
    document = load(readFileSync(path, "utf8"));
  } catch (error) {
    throw new ScheduleFileError(`schedules file ${path} is not YAML or JSON: ${(error as Error).message.split("\n")[0]}`);
  }
  const config = typeof document === "object" && document !== null && !Array.isArray(document) ? (document as { config?: unknown }).config : undefined;
  const entries = Array.isArray(document) ? document : typeof config === "object" && config !== null ? (config as Record<string, unknown>)[STACK_KEY] : document === undefined || document === null ? undefined : document;
  const parsed = parseSchedules(entries, jobTypes);
  if (!parsed.ok) throw new ScheduleFileError(`invalid schedules in ${path}: ${parsed.problems.join("; ")}`);
  return parsed.schedules;
}
