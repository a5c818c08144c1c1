import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readBenchResults, type BenchResults } from "./benchResults";
import { PRICES } from "./prices";
import { monthlyCost, monthlyUsage, sameOriginApiCost } from "./costModel";
import { batchCallsPerJob, costInputs, costReport, DEFAULT_PAGE_VIEWS_PER_MONTH, totals } from "./costReport";
import { num, usd, volume } from "./format";
import { listingFigures } from "./listingFigures";
import { metricsFigures } from "./metricsFigures";
import { readmeFigures } from "./readmeFigures";
import { saturationFigures } from "./saturationFigures";
import { DOC_STACK, scalingContext } from "./scalingContext";
import { scalingFigures } from "./scalingFigures";
import { fillRegions, staleRegions } from "./docRegions";
import { requestsPerJob, TODAY_JOBS_PER_MONTH } from "./capacity";

const ROOT = join(__dirname, "..");

/** The documents whose generated regions these figures fill (paths from the repository root). */
export const GENERATED_DOCS = ["README.md", "docs/SCALING.md"] as const;

/**
 * Every figure the docs quote, by the name its region carries: the benchmark's results
 * (`bench/results.json`), the cost model's bill for the dev stack and the scaling estimates built on
 * both. One name, one figure, whichever document quotes it.
 */
export function docFigures(results: BenchResults = requireResults()): Record<string, string> {
  const context = scalingContext(results);
  const groups = [readmeFigures(results), listingFigures(results), costFigures(results), scalingFigures(context), saturationFigures(context), metricsFigures()];
  const figures: Record<string, string> = {};
  for (const group of groups) {
    for (const [name, figure] of Object.entries(group)) {
      if (name in figures) throw new Error(`two figures are named "${name}"`);
      figures[name] = figure;
    }
  }
  return figures;
}

/** The cost block (`npm run cost`'s own output for the dev stack) and what same-origin costs. */
function costFigures(results: BenchResults): Record<string, string> {
  const query = { stack: DOC_STACK, jobsPerMonth: TODAY_JOBS_PER_MONTH };
  const { inputs, config } = costInputs(query, results);
  const perRequest = (PRICES.cloudfront.perTenThousandHttpsRequests * 1e6) / 1e4;
  const requests = requestsPerJob({ config, cost: inputs });
  const pageRequests = DEFAULT_PAGE_VIEWS_PER_MONTH * (inputs.pageRequestsPerView + inputs.jobTypeReadsPerPageView);
  const coveredJobs = Math.max(0, PRICES.cloudfront.freeRequests - pageRequests) / requests;
  const atToday = sameOriginApiCost(inputs);
  const atScale = sameOriginApiCost({ ...inputs, jobsPerMonth: TODAY_JOBS_PER_MONTH * 1_000 });
  return {
    "cost-bulk": bulkProducerFigure(results),
    cost: [
      `A month of ${volume(TODAY_JOBS_PER_MONTH)} jobs on the ${DOC_STACK} stack (\`npm run cost -- --jobs-per-month ${TODAY_JOBS_PER_MONTH}\`):`,
      "",
      "```",
      costReport(query, results),
      "```",
    ].join("\n"),
    "same-origin": [
      `**Same origin costs ${usd(perRequest)} per million API requests.** The page calls the API through the site's own`,
      "CloudFront distribution (the route table's paths go to API Gateway as a second origin, caching",
      `disabled), so each API request is also a CloudFront HTTPS request at ${usd(PRICES.cloudfront.perTenThousandHttpsRequests, 4)} per 10 000 (PriceClass_100):`,
      `${requests} requests per job make it ${usd(perRequest * requests)} per million jobs at list price over calling API Gateway directly.`,
      `CloudFront's always-free ${num(PRICES.cloudfront.freeRequests)} requests a month cover it up to about ${volume(Math.floor(coveredJobs / 1e5) * 1e5)} jobs a month`,
      `(after the page's own files at ${num(DEFAULT_PAGE_VIEWS_PER_MONTH)} page views): at ${volume(TODAY_JOBS_PER_MONTH)} jobs it adds ${atToday.billed < 0.005 ? "nothing" : usd(atToday.billed)} to the bill, at`,
      `${volume(TODAY_JOBS_PER_MONTH * 1_000)} jobs ${usd(atScale.billed, 0)}. The responses leave through CloudFront instead of API Gateway, at`,
      `${usd(PRICES.cloudfront.perGbOut, 3)}/GB with 1 TB a month free instead of ${usd(PRICES.apiGatewayHttp.dataTransferOutPerGb)}/GB: a small saving, counted in the CloudFront line.`,
    ].join("\n"),
  };
}

/** The dev stack's month of today's jobs from a bulk producer (`--batch`) against the same jobs each submitted alone. */
function bulkProducerFigure(results: BenchResults): string {
  const query = { stack: DOC_STACK, jobsPerMonth: TODAY_JOBS_PER_MONTH };
  const alone = costInputs(query, results).inputs;
  const bulk = costInputs({ ...query, batchShare: 1 }, results).inputs;
  const { measured } = batchCallsPerJob(results, alone.statusReadsPerJob);
  const [a, b] = [monthlyUsage(alone), monthlyUsage(bulk)];
  const [aLines, bLines] = [monthlyCost(alone), monthlyCost(bulk)];
  const cost = (lines: ReturnType<typeof monthlyCost>, service: string) => usd(lines.find((line) => line.service === service)!.billed);
  const row = (what: string, before: string, after: string) => `| ${what} | ${before} | ${after} |`;
  const count = (value: number) => (value >= 1e6 ? `${num(value / 1e6, 2)} M` : value >= 1e3 ? `${num(value / 1e3, 1)} k` : num(value));
  return [
    `A bulk producer on the ${DOC_STACK} stack (\`npm run cost -- --jobs-per-month ${TODAY_JOBS_PER_MONTH} --batch\`), per batched job ${measured ? "as the batch row measured it" : "at the route's floor"}:`,
    `${num(bulk.batchCalls!.apiRequestsPerJob, 3)} API requests and ${num(bulk.batchCalls!.SendMessageBatch, 3)} \`SendMessageBatch\` (billed one SQS request per 64 KB of its messages); the status reads (${alone.statusReadsPerJob} a job) are the same:`,
    "",
    `| ${volume(TODAY_JOBS_PER_MONTH)} jobs a month, billed after the free tiers | one \`POST /jobs\` each | \`POST /jobs/batch\` of 100 |`,
    "|---|---|---|",
    row("API requests (API Gateway)", `${count(a.apiRequests)}, ${cost(aLines, "API Gateway HTTP API")}`, `${count(b.apiRequests)}, ${cost(bLines, "API Gateway HTTP API")}`),
    row("Lambda invocations", `${count(a.lambdaRequests)}, ${cost(aLines, "Lambda requests")}`, `${count(b.lambdaRequests)}, ${cost(bLines, "Lambda requests")}`),
    row("SQS requests (sends)", `${count(a.sqsRequests)} (${count(a.sqsSendRequests)}), ${cost(aLines, "SQS")}`, `${count(b.sqsRequests)} (${count(b.sqsSendRequests)}), ${cost(bLines, "SQS")}`),
    row("total, after the free tiers", usd(totals(aLines).billed), usd(totals(bLines).billed)),
  ].join("\n");
}

function requireResults(): BenchResults {
  const results = readBenchResults();
  if (results === undefined) throw new Error("bench/results.json is missing: run `npm run bench` first");
  return results;
}

/** Each generated doc's text now and with its regions filled from `figures`. */
export function renderDocs(figures: Record<string, string> = docFigures(), root = ROOT): { file: string; current: string; rendered: string }[] {
  return GENERATED_DOCS.map((file) => {
    const current = readFileSync(join(root, file), "utf8");
    return { file, current, rendered: fillRegions(current, figures) };
  });
}

/** Rewrites the generated regions of every doc; returns the files that changed. */
export function writeDocFigures(figures: Record<string, string> = docFigures(), root = ROOT): string[] {
  const changed = renderDocs(figures, root).filter((doc) => doc.rendered !== doc.current);
  for (const doc of changed) writeFileSync(join(root, doc.file), doc.rendered);
  return changed.map((doc) => doc.file);
}

/** The stale regions of every doc, as lines a person can act on. */
export function describeStaleRegions(figures: Record<string, string> = docFigures(), root = ROOT): string[] {
  return GENERATED_DOCS.flatMap((file) =>
    staleRegions(readFileSync(join(root, file), "utf8"), figures).map(({ name, line }) => `${file}:${line}: region "${name}" is not what bench/results.json and the cost model give now`),
  );
}
