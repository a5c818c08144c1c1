import { JOB_TABLE, jobTableIndexes } from "../handlers/settings";
import type { ListingResults } from "./benchResults";
import { table } from "./consoleTable";
import { LISTING_BUDGETS } from "./listingFigures";

type Log = (line: string) => void;

/** The phase's tables, as `npm run bench` prints them. */
export function printListing(results: ListingResults, log: Log = console.log): void {
  const names = Object.fromEntries(jobTableIndexes().map((index) => [index.name, index === JOB_TABLE.sweepIndex ? "sweep" : index === JOB_TABLE.listIndex ? "created" : "done"]));
  log(`  index write units per job (${Object.entries(names).map(([name, short]) => `${short} = ${name}`).join(", ")}), by DynamoDB's GSI write rules:`);
  table(
    results.indexWrites.map((row) => ({
      scenario: row.scenario,
      jobs: row.jobs,
      tableWrites: row.tableWrites,
      tableWRU: row.tableUnits,
      ...Object.fromEntries(Object.entries(row.byIndex).map(([name, units]) => [names[name] ?? name, units])),
      indexWRU: row.total,
    })),
    log,
  );
  const succeeded = results.indexWrites.find((row) => row.scenario === "succeeded");
  if (succeeded) {
    log(`  spread over partition keys (succeeded): ${Object.entries(succeeded.partitions).map(([name, spread]) => `${names[name] ?? name} ${spread.keys} keys, hottest ${(spread.hottestShare * 100).toFixed(0)} %`).join("; ")}`);
  }
  log(`  GET /jobs?limit=${results.pageSize}, the tenant's ${results.tenantJobs} jobs among ${results.otherJobs} of another tenant (per page: mean / max; entries ${results.meanEntryBytes} B, items ${results.meanItemBytes} B on average):`);
  table(
    results.pages.map((row) => ({
      query: row.query,
      pages: row.pages,
      jobs: `${row.jobs}/${row.matching}${row.inOrder ? "" : " NOT newest first, or not each once"}`,
      entries: `${row.entriesPerPage} / ${row.maxEntriesPerPage}`,
      items: `${row.itemsPerPage} / ${row.maxItemsPerPage}`,
      dropped: row.itemsNotReturned,
      queries: `${row.queriesPerPage} / ${row.maxQueriesPerPage}`,
      RRU: `${row.readUnitsPerPage} / ${row.maxReadUnitsPerPage}`,
      otherOwners: row.otherOwnersEntries,
    })),
    log,
  );
  const bound = results.pageSize + LISTING_BUDGETS.extraEntriesPerPage;
  for (const row of results.pages.filter((page) => page.common)) {
    const verdict = row.maxEntriesPerPage <= bound && row.itemsNotReturned === 0 ? "met" : row.entriesPerPage <= bound && row.itemsNotReturned === 0 ? "met on average, NOT on every page" : "NOT met";
    log(`  ${row.query}: ${row.entriesPerPage} entries a page (at most ${row.maxEntriesPerPage}), ${row.itemsNotReturned} items dropped — budget ≤ ${bound} entries plus the items returned: ${verdict}`);
  }
  log("  GET /jobs/summary:");
  table(
    results.summaries.map((row) => ({
      scope: row.scope,
      jobs: `${row.jobsCounted}/${row.expectedJobs}`,
      queries: row.queries,
      entries: row.entries,
      items: row.items,
      indexRRU: row.indexReadUnits,
      itemRRU: row.itemReadUnits,
      RRU: row.readUnits,
      per100Jobs: row.readUnitsPer100Jobs,
    })),
    log,
  );
  if (succeeded) log(`  index writes per successful job: ${succeeded.total} — budget ≤ ${LISTING_BUDGETS.indexWritesPerJob}: ${succeeded.total <= LISTING_BUDGETS.indexWritesPerJob ? "met" : "NOT met"}`);
  const worst = Math.max(...results.summaries.map((row) => row.readUnitsPer100Jobs));
  log(`  summary: ${worst} RRU per 100 jobs counted at most — budget ≤ ${LISTING_BUDGETS.summaryReadUnitsPer100Jobs}: ${worst <= LISTING_BUDGETS.summaryReadUnitsPer100Jobs ? "met" : "NOT met"}`);
}
