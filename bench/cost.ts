import { parseArgs } from "node:util";
import { costReport, DEFAULT_PAGE_VIEWS_PER_MONTH } from "./costReport";

/**
 * `npm run cost -- --jobs-per-month N [--stack dev] [--page-views N] [--batch-share S | --batch]`:
 * the monthly AWS cost of a stack, per service, from its config (`Pulumi.<stack>.yaml` over the
 * defaults), the calls per job that `npm run bench` measured (`bench/results.json`; the protocol's
 * floor when absent) and list prices. `--batch-share S` prices a bulk producer that submits the
 * share S (0–1) of its jobs by `POST /jobs/batch`, 100 to a request (`--batch`: all of them), with
 * its bill against the same jobs each submitted alone.
 */
const USAGE = "usage: npm run cost -- [--jobs-per-month N] [--stack NAME] [--page-views N] [--batch-share S (0-1) | --batch]";
const { values } = parseOrExit();
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const jobsPerMonth = count("jobs-per-month");
const pageViewsPerMonth = count("page-views");
const batchShare = share();
console.log(costReport({ stack: values.stack!, jobsPerMonth, pageViewsPerMonth, batchShare }));

/** `--batch-share S` (0–1), `--batch` for 1, 0 without either. */
function share(): number {
  if (values.batch && values["batch-share"] !== undefined) {
    console.error(`--batch is --batch-share 1: give one of them\n${USAGE}`);
    process.exit(2);
  }
  if (values.batch) return 1;
  if (values["batch-share"] === undefined) return 0;
  const value = Number(values["batch-share"]);
  if (values["batch-share"].trim() === "" || !Number.isFinite(value) || value < 0 || value > 1) {
    console.error(`--batch-share must be a share between 0 and 1, not ${values["batch-share"]}`);
    process.exit(2);
  }
  return value;
}

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
        "batch-share": { type: "string" },
        batch: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    process.exit(2);
  }
}
