import { toJsonSchema } from "@valibot/to-json-schema";
import { demoUnreliable } from "./demoUnreliable";
import { hashDigest } from "./hashDigest";
import type { JobType } from "./jobType";
import { textTransform } from "./textTransform";

export { JobFailure, sleep, type JobType, type RunContext } from "./jobType";

/** The job types a deployment runs, by name. */
export type JobTypeRegistry = ReadonlyMap<string, JobType>;

/** Builds a registry, refusing duplicate names and unusable limits. */
export function createRegistry(types: readonly JobType[]): JobTypeRegistry {
  const registry = new Map<string, JobType>();
  for (const jobType of types) {
    if (registry.has(jobType.type)) throw new Error(`job type ${jobType.type} is registered twice`);
    if (!(jobType.timeoutSeconds > 0)) throw new Error(`job type ${jobType.type}: timeoutSeconds must be positive`);
    if (!Number.isInteger(jobType.maxAttempts) || jobType.maxAttempts < 1) {
      throw new Error(`job type ${jobType.type}: maxAttempts must be an integer of at least 1`);
    }
    registry.set(jobType.type, jobType);
  }
  return registry;
}

/**
 * A fresh registry of the built-in job types. The Lambda factories call this rather than use
 * `builtInJobTypes`: Pulumi's closure serializer copies module-level values into the Lambda
 * code, and a Map loses its entries there.
 */
export function createBuiltInJobTypes(): JobTypeRegistry {
  return createRegistry([textTransform, hashDigest, demoUnreliable]);
}

/** The built-in job types (SPEC §6). */
export const builtInJobTypes: JobTypeRegistry = createBuiltInJobTypes();

/** One entry of `GET /job-types`. */
export interface JobTypeDescription {
  type: string;
  description: string;
  payloadSchema: object;
  example: unknown;
  timeoutSeconds: number;
  maxAttempts: number;
}

/** The registry as `GET /job-types` shows it, payload schemas as JSON Schema. */
export function describeJobTypes(registry: JobTypeRegistry): JobTypeDescription[] {
  return [...registry.values()].map((jobType) => ({
    type: jobType.type,
    description: jobType.description,
    payloadSchema: toJsonSchema(jobType.schema, { errorMode: "ignore" }),
    example: jobType.example,
    timeoutSeconds: jobType.timeoutSeconds,
    maxAttempts: jobType.maxAttempts,
  }));
}
