import { createBuiltInJobTypes } from "./domain/jobTypes";
import type { MetricUniverse } from "./metrics";
import { routes } from "./routes";

/**
 * The values this deployment's metric dimensions take: the built-in job types with the error
 * codes they declare, and the route table's operations. The dashboard, the alarms, the cost model
 * and the README's metrics table all count from it.
 */
export function builtInMetricUniverse(): MetricUniverse {
  return {
    jobTypes: [...createBuiltInJobTypes().values()].map((jobType) => ({ type: jobType.type, errorCodes: jobType.errorCodes ?? [] })),
    operations: routes.map((route) => route.operation),
  };
}
