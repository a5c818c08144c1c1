import { parseConfig, type CloudQueueConfig } from "../infra/config";
import type { BenchResults } from "./benchResults";
import { level, MULTIPLIERS, type CapacityInputs, type Level } from "./capacity";
import { monthlyCost, type CostInputs, type CostLine } from "./costModel";
import { costInputs, totals } from "./costReport";

/** The stack every figure in the docs is worked out for. */
export const DOC_STACK = "dev";

/** Everything the scaling figures are computed from, worked out once. */
export interface ScalingContext {
  results: BenchResults;
  /** The dev stack's config, and the defaults it overrides. */
  config: CloudQueueConfig;
  defaults: CloudQueueConfig;
  capacity: CapacityInputs;
  levels: readonly Level[];
  /** The bill at each level's monthly volume. */
  bills: readonly { lines: CostLine[]; list: number; billed: number; inputs: CostInputs }[];
}

export function scalingContext(results: BenchResults): ScalingContext {
  const today = costInputs({ stack: DOC_STACK, jobsPerMonth: 0 }, results);
  const capacity: CapacityInputs = { config: today.config, cost: today.inputs };
  const levels = MULTIPLIERS.map((multiplier) => level(capacity, multiplier));
  const bills = levels.map((at) => {
    const { inputs } = costInputs({ stack: DOC_STACK, jobsPerMonth: at.jobsPerMonth }, results);
    const lines = monthlyCost(inputs);
    return { lines, ...totals(lines), inputs };
  });
  return { results, config: today.config, defaults: parseConfig({}), capacity, levels, bills };
}

/** The level and bill of `multiplier` × today. */
export function at(context: ScalingContext, multiplier: (typeof MULTIPLIERS)[number]) {
  const index = MULTIPLIERS.indexOf(multiplier);
  return { level: context.levels[index]!, bill: context.bills[index]! };
}
