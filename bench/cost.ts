import { parseArgs } from "node:util";
import { costReport, DEFAULT_PAGE_VIEWS_PER_MONTH } from "./costReport";

/**
 * `npm run cost -- --jobs-per-month N [--stack dev] [--page-views N]`: the monthly AWS cost of a
 * stack, per service, from its config (`Pulumi.<stack>.yaml` over the defaults), the calls per job
 * that `npm run bench` measured (`bench/results.json`; the protocol's floor when absent) and list prices.
 */
const USAGE = "usage: npm run cost -- [--jobs-per-month N] [--stack NAME] [--page-views N]";
const { values } = parseOrExit();
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const jobsPerMonth = count("jobs-per-month");
const pageViewsPerMonth = count("page-views");
console.log(costReport({ stack: values.stack!, jobsPerMonth, pageViewsPerMonth }));

function count(option: "jobs-per-month" | "page-views"): number {
  const value = Number(values[option]);
  if (!Number.isFinite(value) || value < 0) {
    console.error(`--${option} must be a non-negative number, not ${values[option]}`);
    process.exit(2);
  }
  return value;
}

/** The options, or the usage and exit code 2 for an unknown or malformed one (never a stack trace). */
function parseOrExit() {
  try {
    return parseArgs({
      options: {
        "jobs-per-month": { type: "string", default: "1000000" },
        stack: { type: "string", default: "dev" },
        "page-views": { type: "string", default: String(DEFAULT_PAGE_VIEWS_PER_MONTH) },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    process.exit(2);
  }
}
