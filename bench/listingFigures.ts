import { JOB_TABLE, jobTableIndexes } from "../handlers/settings";
import type { BenchResults, ListingResults } from "./benchResults";
import { num, pct } from "./format";

/** The issue's budgets for the listing (issue 13). */
export const LISTING_BUDGETS = {
  /** Index write units per successful job, every index together (2 before the listing indexes). */
  indexWritesPerJob: 4,
  /** Index entries a page of `pageSize` reads at most, on the common queries: one more than it returns. */
  extraEntriesPerPage: 1,
  /** Read units a summary spends per 100 jobs it counts. */
  summaryReadUnitsPer100Jobs: 1,
} as const;

/** The README's `listing` region: what the listing phase measured, and each budget met or not. */
export function listingFigures(results: BenchResults): Record<string, string> {
  return { listing: results.listing ? listingBlock(results.listing) : "Not measured yet: run `npm run bench` (or `node -r ts-node/register/transpile-only bench/listing.ts`)." };
}

function listingBlock(listing: ListingResults): string {
  return [...writesPart(listing), "", ...pagesPart(listing), "", ...summaryPart(listing)].join("\n");
}

function writesPart(listing: ListingResults): string[] {
  const indexes = jobTableIndexes();
  const succeeded = listing.indexWrites.find((row) => row.scenario === "succeeded");
  const rows = listing.indexWrites.map(
    (row) => `| ${row.scenario} (${num(row.jobs)}): ${row.what} | ${num(row.tableUnits, 2)} | ${indexes.map((index) => num(row.byIndex[index.name] ?? 0, 2)).join(" | ")} | **${num(row.total, 2)}** |`,
  );
  const lines = [
    "- **Index writes per job**, by DynamoDB's rules for GSI writes applied to each table write's item before and after it",
    "  (`bench/indexWrites.ts`; an index write is 1 WRU per KB of its entry):",
    "",
    `| Jobs | Table WRU | ${indexes.map((index) => `\`${index.name}\` (${index.projection === "INCLUDE" ? `INCLUDE ${index.nonKeyAttributes.join(", ")}` : index.projection})`).join(" | ")} | Index WRU |`,
    `|---|---|${indexes.map(() => "---").join("|")}|---|`,
    ...rows,
    "",
  ];
  if (succeeded) {
    const met = succeeded.total <= LISTING_BUDGETS.indexWritesPerJob;
    const spread = indexes
      .filter((index) => succeeded.partitions[index.name])
      .map((index) => `\`${index.name}\` over ${succeeded.partitions[index.name]!.keys} keys, the busiest taking ${pct(succeeded.partitions[index.name]!.hottestShare)}`);
    lines.push(
      `  A successful job writes ${num(succeeded.total, 2)} index WRU (budget ≤ ${LISTING_BUDGETS.indexWritesPerJob}: ${met ? "met" : "not met"}); the claim writes none. One owner's ${num(succeeded.jobs)} jobs`,
      `  spread over each index's partition keys (its shards): ${spread.join("; ")}.`,
    );
  }
  return lines;
}

function pagesPart(listing: ListingResults): string[] {
  const page = listing.pageSize;
  const rows = listing.pages.map(
    (row) =>
      `| \`${row.query}\`${row.common ? "" : " (other)"} | ${num(row.pages)} | ${num(row.jobs)}${row.inOrder ? "" : " (wrong)"} | ${num(row.entriesPerPage, 2)} / ${num(row.maxEntriesPerPage)} | ` +
      `${num(row.itemsPerPage, 2)} / ${num(row.maxItemsPerPage)} | ${num(row.itemsNotReturned)} | ${num(row.queriesPerPage, 2)} / ${num(row.maxQueriesPerPage)} | ${num(row.readUnitsPerPage, 2)} / ${num(row.maxReadUnitsPerPage, 2)} |`,
  );
  const bound = page + LISTING_BUDGETS.extraEntriesPerPage;
  const common = listing.pages.filter((row) => row.common);
  const everyPage = common.filter((row) => row.maxEntriesPerPage <= bound && row.itemsNotReturned === 0);
  const onAverage = common.filter((row) => row.maxEntriesPerPage > bound && row.entriesPerPage <= bound && row.itemsNotReturned === 0);
  const over = common.filter((row) => row.entriesPerPage > bound || row.itemsNotReturned > 0);
  const foreign = listing.pages.reduce((sum, row) => sum + row.otherOwnersEntries, 0);
  const names = (rows: ListingResults["pages"]) => rows.map((row) => `\`${row.query}\``).join(", ");
  const verdict = [
    `  Budget for the common queries, at most ${bound} entries plus the items returned per page of ${page}: ${over.length === 0 && onAverage.length === 0 ? "met on every page" : "not met on every page"}.`,
  ];
  if (everyPage.length > 0) verdict.push(`  Met on every page: ${names(everyPage)}.`);
  if (onAverage.length > 0) {
    verdict.push(
      `  Met on average, not on every page: ${names(onAverage)} read each entry once over the whole listing and return every item they read,`,
      `  but a page reads up to ${num(Math.max(...onAverage.map((row) => row.maxEntriesPerPage)))} entries: the merge reads every shard's stream (one per shard and status) before it picks, and carries what it did not return in the cursor.`,
    );
  }
  for (const row of over) {
    // QUEUED and IN_PROGRESS share the all-jobs index (so that a claim writes no index): only the item tells them apart.
    const active = /QUEUED|IN_PROGRESS/.test(row.query);
    verdict.push(
      `  Not met: \`${row.query}\` reads ${num(row.entriesPerPage, 2)} entries and ${num(row.itemsPerPage, 2)} items a page for ${num(row.jobs / row.pages, 2)} jobs (${num(row.itemsNotReturned)} items read and dropped in all, ${num(row.readUnitsPerJob, 2)} RRU per job listed)${active ? ":" : "."}`,
      ...(active ? ["  no owner-keyed index holds the queued jobs apart, so it reads the all-jobs index and each job's item for its status, up to the page's entry bound."] : []),
    );
  }
  const others = listing.pages.filter((row) => !row.common);
  if (others.length > 0) {
    verdict.push(
      `  Other combinations (the type filter, applied to the index entries): ${others.map((row) => `\`${row.query}\` ${num(row.entriesPerPage, 2)} entries a page, ${num(row.maxEntriesPerPage)} at most`).join("; ")};`,
      "  they return every item they read, and stop at the page's entry bound with a cursor.",
    );
  }
  const padded = listing.pages.filter((row) => row.pages > Math.max(1, Math.ceil(row.jobs / page)) && row.entriesPerPage <= bound);
  if (padded.length > 0) {
    verdict.push(`  Pages short of ${page} that still carried a cursor: ${padded.map((row) => `\`${row.query}\` took ${num(row.pages)} pages for ${num(row.jobs)} jobs`).join(", ")}.`);
  }
  verdict.push(`  No page read an entry of another owner (${foreign === 0 ? "none" : num(foreign)} of the ${num(listing.otherJobs)} other jobs' entries).`);
  return [
    `- **Reads per page** of \`GET /jobs?limit=${page}\`, paged to the end, over one owner's ${num(listing.tenantJobs)} jobs (succeeded, failed, canceled, queued; two types)`,
    `  with another owner's ${num(listing.otherJobs)} in the same table. Read units by DynamoDB's rules: a Query 0.5 RRU per 4 KB of the entries it read`,
    `  (${num(listing.meanEntryBytes)} B each on average), at least 0.5; each item read eventually consistent, 0.5 RRU per 4 KB (${num(listing.meanItemBytes)} B on average). Per page, mean / max:`,
    "",
    "| Query | Pages | Jobs | Entries | Items | Items dropped | Query calls | RRU |",
    "|---|---|---|---|---|---|---|---|",
    ...rows,
    "",
    ...verdict,
  ];
}

function summaryPart(listing: ListingResults): string[] {
  const rows = listing.summaries.map(
    (row) =>
      `| ${row.scope === "all" ? "an admin, every owner" : "one owner"} | ${num(row.jobsCounted)}${row.jobsCounted === row.expectedJobs ? "" : ` (of ${num(row.expectedJobs)})`} | ${num(row.queries)} | ${num(row.entries)} | ` +
      `${num(row.items)} | ${num(row.indexReadUnits, 2)} | ${num(row.itemReadUnits, 2)} | **${num(row.readUnitsPer100Jobs, 2)}** |`,
  );
  const worst = Math.max(...listing.summaries.map((row) => row.readUnitsPer100Jobs));
  const entriesOnly = Math.max(...listing.summaries.map((row) => (row.indexReadUnits / row.jobsCounted) * 100));
  const met = worst <= LISTING_BUDGETS.summaryReadUnitsPer100Jobs;
  return [
    `- **Summary** (\`GET /jobs/summary\`): it reads every entry of both listing indexes in scope (\`${JOB_TABLE.listIndex.name}\` and \`${JOB_TABLE.doneIndex.name}\`: two per finished job),`,
    "  and each active job's item, eventually consistent (0.5 RRU per 4 KB):",
    "",
    "| Scope | Jobs counted | Query calls | Entries | Items | Entries' RRU | Items' RRU | RRU per 100 jobs |",
    "|---|---|---|---|---|---|---|---|",
    ...rows,
    "",
    `  Budget ≤ ${LISTING_BUDGETS.summaryReadUnitsPer100Jobs} RRU per 100 jobs counted: ${met ? "met" : "not met"} (${num(worst, 2)} at most; the entries alone ${num(entriesOnly, 2)}). Its cost grows with the jobs the table keeps:`,
    "  `npm run cost` prices it for every job of the retention period.",
  ];
}
