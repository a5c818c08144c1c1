import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { ownerDigest } from "../handlers/adapters/listKeys";
import { jobTableIndexes } from "../handlers/settings";
import * as v from "valibot";
import { ListingResultsSchema, RESULTS_FILE, type ListingResults } from "./benchResults";
import type { IndexWriteTally } from "./indexWrites";
import { printListing } from "./listingReport";
import { BENCH_TYPES, ListingStack, PRINCIPALS, type Principal } from "./listingStack";
import { inParallel } from "./stackClient";

/**
 * The listing phase (issue 13): what the listing indexes cost. In this process, against fresh
 * emulators, the real api and worker on a client whose middleware measures every index write by
 * DynamoDB's rules (`bench/indexWrites.ts`) and every read's entries, items and read units
 * (`bench/readMeter.ts`):
 * 1. index write units per job, by index, for jobs that succeed, fail, are canceled, retry an
 *    attempt, and are retried after failing;
 * 2. what each page of `GET /jobs?limit=25` reads, for the common filters and the costlier ones,
 *    over one tenant's jobs with another tenant's in the same table;
 * 3. what `GET /jobs/summary` reads, for the tenant and for an admin over every owner.
 *
 * `node -r ts-node/register/transpile-only bench/listing.ts` runs it alone: it prints its tables
 * and puts its results into an existing `bench/results.json` under `listing`.
 */

const PAGE = 25;
const SIZES = { succeeded: 200, each: 50, tenantJobs: 600 } as const;
/** The tenant's jobs by position: statuses interleaved in time, and one in three of each status of the second type. */
const PLAN = (index: number) => ({
  status: (["SUCCEEDED", "SUCCEEDED", "SUCCEEDED", "SUCCEEDED", "FAILED", "FAILED", "CANCELED", "QUEUED"] as const)[index % 8]!,
  type: Math.floor(index / 8) % 3 === 0 ? BENCH_TYPES[1] : BENCH_TYPES[0],
});

type Log = (line: string) => void;

export async function measureListing(log: Log = console.log): Promise<ListingResults> {
  const stack = await ListingStack.start();
  try {
    log(`  index writes per job (jobs of another tenant: ${SIZES.succeeded} that succeed, ${SIZES.each} each of the other outcomes)…`);
    const indexWrites = await measureIndexWrites(stack);
    log(`  the tenant's ${SIZES.tenantJobs} jobs, and another tenant's among them…`);
    const truth = await populate(stack);
    log("  paging GET /jobs and reading GET /jobs/summary…");
    const { rows: pages, meanEntryBytes, meanItemBytes } = await measurePages(stack, truth);
    const summaries = await measureSummaries(stack, truth);
    return { pageSize: PAGE, tenantJobs: truth.tenant.length, otherJobs: truth.others, meanEntryBytes, meanItemBytes, indexWrites, pages, summaries };
  } finally {
    await stack.close();
  }
}

async function measureIndexWrites(stack: ListingStack): Promise<ListingResults["indexWrites"]> {
  const job = (failAttempts = 0) => ({ type: BENCH_TYPES[0], payload: { text: "hello cloudqueue", failAttempts } });
  const submit = (count: number, body: ReturnType<typeof job> & { delaySeconds?: number }) => inParallel(count, 8, () => stack.submit("other", body));
  const rows: ListingResults["indexWrites"] = [];
  const measure = async (scenario: string, what: string, jobs: number, act: () => Promise<void>) => {
    stack.writes.reset();
    await act();
    rows.push(perJob(scenario, what, jobs, stack.writes.snapshot()));
  };

  await measure("succeeded", "submit, claim, commit SUCCEEDED", SIZES.succeeded, async () => {
    const ids = await submit(SIZES.succeeded, job());
    await stack.drain();
    await expectStatuses(stack, ids, "SUCCEEDED");
  });
  let failed: string[] = [];
  await measure("failed", "submit, claim, commit FAILED (not retryable)", SIZES.each, async () => {
    // The ids are known only after the submit; the worker does not run before `drain`.
    failed = await submit(SIZES.each, job());
    for (const id of failed) stack.failing.add(id);
    await stack.drain();
    await expectStatuses(stack, failed, "FAILED");
  });
  await measure("canceled", "submit (delaySeconds 900), DELETE /jobs/{id}", SIZES.each, async () => {
    const ids = await submit(SIZES.each, { ...job(), delaySeconds: 900 });
    await inParallel(ids.length, 8, async (index) => expectAnswer(await stack.request("other", "DELETE", `/jobs/${ids[index]}`), 200));
    await expectStatuses(stack, ids, "CANCELED");
  });
  await measure("retried attempt", "submit, claim, commit QUEUED (retryable), claim, commit SUCCEEDED", SIZES.each, async () => {
    const ids = await submit(SIZES.each, job(1));
    await stack.drain();
    await expectStatuses(stack, ids, "SUCCEEDED");
  });
  await measure("explicit retry", "POST /jobs/{id}/retry of a FAILED job, claim, commit SUCCEEDED (after its first run)", failed.length, async () => {
    for (const id of failed) stack.failing.delete(id);
    await inParallel(failed.length, 8, async (index) => expectAnswer(await stack.request("other", "POST", `/jobs/${failed[index]}/retry`), 202));
    await stack.drain();
    await expectStatuses(stack, failed, "SUCCEEDED");
  });
  return rows;
}

function perJob(scenario: string, what: string, jobs: number, tally: IndexWriteTally): ListingResults["indexWrites"][number] {
  const byIndex = Object.fromEntries(jobTableIndexes().map((index) => [index.name, round((tally.byIndex[index.name]?.units ?? 0) / jobs)]));
  const total = jobTableIndexes().reduce((sum, index) => sum + (tally.byIndex[index.name]?.units ?? 0), 0);
  // How evenly each index's writes spread over its partition key values (its shards).
  const partitions = Object.fromEntries(
    Object.entries(tally.byIndex).map(([name, entry]) => {
      const counts = Object.values(entry.byPartition);
      const all = counts.reduce((sum, count) => sum + count, 0);
      return [name, { keys: counts.length, hottestShare: round(Math.max(...counts) / all, 3) }];
    }),
  );
  return { scenario, what, jobs, tableWrites: round(Object.values(tally.writes).reduce((sum, count) => sum + count, 0) / jobs), tableUnits: round(tally.tableUnits / jobs), byIndex, total: round(total / jobs), partitions };
}

interface Truth {
  /** The tenant's jobs as stored, newest first (the listing's order). */
  tenant: { jobId: string; status: string; type: string; createdMs: number }[];
  others: number;
  all: number;
}

async function populate(stack: ListingStack): Promise<Truth> {
  // The other tenant submits one job for every four of the tenant's, interleaved in time.
  const submitted = await inParallel(SIZES.tenantJobs, 8, async (index) => {
    const plan = PLAN(index);
    const delayed = plan.status === "QUEUED" || plan.status === "CANCELED";
    const jobId = await stack.submit("tenant", { type: plan.type, payload: { text: `tenant job ${index}` }, ...(delayed && { delaySeconds: 900 }) });
    if (index % 4 === 0) await stack.submit("other", { type: BENCH_TYPES[index % 8 === 0 ? 0 : 1], payload: { text: `other job ${index}` } });
    return { jobId, ...plan };
  });
  for (const job of submitted) if (job.status === "FAILED") stack.failing.add(job.jobId);
  const canceled = submitted.filter((job) => job.status === "CANCELED");
  await inParallel(canceled.length, 8, async (index) => expectAnswer(await stack.request("tenant", "DELETE", `/jobs/${canceled[index]!.jobId}`), 200));
  await stack.drain();
  const items = await stack.items(submitted.map((job) => job.jobId));
  const tenant = submitted.map((job) => {
    const item = items.get(job.jobId)!;
    if (item.status !== job.status) throw new Error(`tenant job ${job.jobId} is ${item.status}, planned ${job.status}`);
    return { jobId: job.jobId, status: String(item.status), type: String(item.type), createdMs: Date.parse(String(item.createdAt)) };
  });
  tenant.sort((a, b) => (a.createdMs !== b.createdMs ? b.createdMs - a.createdMs : b.jobId.localeCompare(a.jobId)));
  return { tenant, others: stack.submitted.other, all: tenant.length + stack.submitted.other };
}

/** The queries a page is measured for: the common ones first, then those the indexes cannot answer exactly. */
function queries(truth: Truth): { name: string; query: string; common: boolean; matches: (job: Truth["tenant"][number]) => boolean }[] {
  const middle = [...truth.tenant].sort((a, b) => a.createdMs - b.createdMs)[Math.floor(truth.tenant.length / 2)]!;
  const after = new Date(middle.createdMs).toISOString();
  return [
    { name: "newest first", query: "", common: true, matches: () => true },
    { name: "status=FAILED", query: "status=FAILED", common: true, matches: (job) => job.status === "FAILED" },
    { name: "status=FAILED,CANCELED", query: "status=FAILED,CANCELED", common: true, matches: (job) => job.status === "FAILED" || job.status === "CANCELED" },
    { name: "status=FAILED&createdAfter", query: `status=FAILED&createdAfter=${encodeURIComponent(after)}`, common: true, matches: (job) => job.status === "FAILED" && job.createdMs >= middle.createdMs },
    { name: "status=QUEUED", query: "status=QUEUED", common: true, matches: (job) => job.status === "QUEUED" },
    { name: `type=${BENCH_TYPES[1]}`, query: `type=${BENCH_TYPES[1]}`, common: false, matches: (job) => job.type === BENCH_TYPES[1] },
    { name: `status=FAILED&type=${BENCH_TYPES[1]}`, query: `status=FAILED&type=${BENCH_TYPES[1]}`, common: false, matches: (job) => job.status === "FAILED" && job.type === BENCH_TYPES[1] },
  ];
}

async function measurePages(stack: ListingStack, truth: Truth): Promise<{ rows: ListingResults["pages"]; meanEntryBytes: number; meanItemBytes: number }> {
  const tenantDigest = ownerDigest(`iam:${PRINCIPALS.tenant}`);
  const rows: ListingResults["pages"] = [];
  const bytes = { entries: 0, entryBytes: 0, items: 0, itemBytes: 0 };
  for (const { name, query, common, matches } of queries(truth)) {
    const pages: { jobs: number; entries: number; items: number; queries: number; units: number; foreign: number }[] = [];
    const listed: string[] = [];
    let cursor: string | undefined;
    do {
      stack.reads.reset();
      const params = [`limit=${PAGE}`, ...(query ? [query] : []), ...(cursor ? [`cursor=${encodeURIComponent(cursor)}`] : [])].join("&");
      const page = await stack.request("tenant", "GET", `/jobs?${params}`);
      expectAnswer(page, 200);
      const read = stack.reads.snapshot();
      bytes.entries += read.entriesRead;
      bytes.entryBytes += read.entryBytes;
      bytes.items += read.itemsFound;
      bytes.itemBytes += read.itemBytes;
      const foreign = Object.entries(read.entriesByOwnerDigest).reduce((sum, [digest, count]) => sum + (digest === tenantDigest ? 0 : count), 0);
      pages.push({ jobs: page.json.jobs.length, entries: read.entriesRead, items: read.itemsRead, queries: read.queries, units: read.queryUnits + read.itemUnits, foreign });
      listed.push(...page.json.jobs.map((job: { jobId: string }) => job.jobId));
      cursor = page.json.nextCursor;
      if (pages.length > 200) throw new Error(`${name}: more than 200 pages`);
    } while (cursor);
    const expected = truth.tenant.filter(matches).map((job) => job.jobId);
    const full = pages.filter((page) => page.jobs === PAGE);
    const mean = (pick: (page: (typeof pages)[number]) => number) => round(pages.reduce((sum, page) => sum + pick(page), 0) / pages.length, 2);
    const max = (pick: (page: (typeof pages)[number]) => number) => Math.max(...pages.map(pick));
    rows.push({
      query: name,
      common,
      pages: pages.length,
      fullPages: full.length,
      jobs: listed.length,
      matching: expected.length,
      inOrder: completeAndNewestFirst(listed, expected, truth),
      entriesPerPage: mean((page) => page.entries),
      maxEntriesPerPage: max((page) => page.entries),
      itemsPerPage: mean((page) => page.items),
      maxItemsPerPage: max((page) => page.items),
      itemsNotReturned: pages.reduce((sum, page) => sum + page.items - page.jobs, 0),
      queriesPerPage: mean((page) => page.queries),
      maxQueriesPerPage: max((page) => page.queries),
      readUnitsPerPage: mean((page) => page.units),
      maxReadUnitsPerPage: max((page) => page.units),
      readUnitsPerJob: round(pages.reduce((sum, page) => sum + page.units, 0) / Math.max(1, listed.length), 3),
      otherOwnersEntries: pages.reduce((sum, page) => sum + page.foreign, 0),
    });
  }
  return { rows, meanEntryBytes: Math.round(bytes.entryBytes / bytes.entries), meanItemBytes: Math.round(bytes.itemBytes / bytes.items) };
}

/**
 * Whether the pages listed every matching job once and none other, newest first by `createdAt`.
 * Jobs created in the same millisecond share their index key, and an index returns equal keys in
 * no documented order, so their order is not checked.
 */
function completeAndNewestFirst(listed: string[], expected: string[], truth: Truth): boolean {
  const createdMs = new Map(truth.tenant.map((job) => [job.jobId, job.createdMs]));
  const once = new Set(listed).size === listed.length && listed.length === expected.length && expected.every((jobId) => listed.includes(jobId));
  return once && listed.every((jobId, index) => index === 0 || createdMs.get(jobId)! <= createdMs.get(listed[index - 1]!)!);
}

async function measureSummaries(stack: ListingStack, truth: Truth): Promise<ListingResults["summaries"]> {
  const rows: ListingResults["summaries"] = [];
  for (const [scope, principal, expected] of [["owner", "tenant", truth.tenant.length], ["all", "admin", truth.all]] as [string, Principal, number][]) {
    stack.reads.reset();
    const summary = await stack.request(principal, "GET", "/jobs/summary");
    expectAnswer(summary, 200);
    const read = stack.reads.snapshot();
    const units = read.queryUnits + read.itemUnits;
    const active = scope === "owner" ? truth.tenant.filter((job) => job.status === "QUEUED" || job.status === "IN_PROGRESS").length : undefined;
    rows.push({
      scope,
      jobsCounted: summary.json.total,
      expectedJobs: expected,
      ...(active !== undefined && { activeJobs: active }),
      queries: read.queries,
      entries: read.entriesRead,
      entryBytes: read.entryBytes,
      items: read.itemsRead,
      indexReadUnits: read.queryUnits,
      itemReadUnits: read.itemUnits,
      readUnits: units,
      readUnitsPer100Jobs: round((units / Math.max(1, summary.json.total)) * 100, 2),
    });
  }
  return rows;
}

async function expectStatuses(stack: ListingStack, jobIds: string[], status: string): Promise<void> {
  const items = await stack.items(jobIds);
  const wrong = jobIds.filter((jobId) => items.get(jobId)?.status !== status);
  if (wrong.length > 0) throw new Error(`${wrong.length} of ${jobIds.length} jobs are not ${status} (${items.get(wrong[0]!)?.status} for ${wrong[0]})`);
}

function expectAnswer(response: { statusCode: number; json: unknown }, statusCode: number): void {
  if (response.statusCode !== statusCode) throw new Error(`the api answered ${response.statusCode}, not ${statusCode}: ${JSON.stringify(response.json)}`);
}

function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** Alone: measure, print, and put the results into an existing results.json under `listing`. */
async function main(): Promise<void> {
  console.log("Listing: index writes, page reads and summary reads (in-process api and worker, metered client)");
  const started = Date.now();
  const results = await measureListing();
  printListing(results);
  console.log(`  (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  if (!existsSync(RESULTS_FILE)) {
    console.log(`no ${RESULTS_FILE} to add them to: npm run bench writes it, this phase included`);
    return;
  }
  const parsed = v.safeParse(ListingResultsSchema, results);
  if (!parsed.success) throw new Error(`the listing results do not have the shape bench/benchResults.ts declares: ${v.summarize(parsed.issues)}`);
  const existing = JSON.parse(readFileSync(RESULTS_FILE, "utf8")) as Record<string, unknown>;
  // Where `npm run bench` puts it: after the recovery phase's results.
  const entries = Object.entries(existing).filter(([key]) => key !== "listing");
  const at = entries.findIndex(([key]) => key === "recovery") + 1 || entries.length;
  entries.splice(at, 0, ["listing", parsed.output]);
  writeFileSync(RESULTS_FILE, `${JSON.stringify(Object.fromEntries(entries), null, 2)}\n`);
  console.log("put the results into bench/results.json under listing");
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
