import { expect } from "chai";
import type { ListingResults } from "../../../bench/benchResults";
import { ASSUMPTIONS, FLOOR_BATCH_CALLS, FLOOR_CALLS_PER_JOB, FLOOR_LISTING, monthlyCost, monthlyUsage, PLATFORM_LOG_RECORDS, sameOriginApiCost, type CostInputs } from "../../../bench/costModel";
import { batchCallsPerJob, listingCosts, observabilityCounts } from "../../../bench/costReport";
import { customMetricCount } from "../../../handlers/metrics";
import { parseConfig } from "../../../infra/config";
import { builtInMetricUniverse } from "../../../handlers/metricUniverse";

const inputs = (jobsPerMonth: number, overrides: Partial<CostInputs> = {}): CostInputs => ({
  jobsPerMonth,
  calls: FLOOR_CALLS_PER_JOB,
  ...FLOOR_LISTING,
  statusReadsPerJob: 4,
  lambdaMemoryMb: 256,
  batchSize: 10,
  retentionDays: 30,
  pointInTimeRecovery: false,
  logRetentionDays: 14,
  sweepShards: 4,
  alertEmail: false,
  customMetrics: 55,
  dashboardMetrics: 44,
  alarmMetrics: 0,
  ...ASSUMPTIONS,
  pageViewsPerMonth: 0,
  ...overrides,
});
const service = (lines: ReturnType<typeof monthlyCost>, name: string) => lines.find((line) => line.service === name)!;

describe("bench/costModel", () => {
  it("prices a million jobs' DynamoDB writes as put + claim + commit plus four index writes (sweep in and out, both listings in), at $0.625 per million", () => {
    const writes = service(monthlyCost(inputs(1_000_000)), "DynamoDB writes");
    expect(writes.list).to.be.closeTo((3 + 4) * 0.625, 1e-9);
    expect(writes.usage).to.equal("3.00 M table + 4.00 M index WRU");
  });

  it("takes the index writes per job from its inputs, so that a measured figure replaces the design's", () => {
    const writes = service(monthlyCost(inputs(1_000_000, { indexWritesPerJob: 6 })), "DynamoDB writes");

    expect(writes.list).to.be.closeTo((3 + 6) * 0.625, 1e-9);
  });

  it("charges API Gateway for the submit and every status read", () => {
    expect(service(monthlyCost(inputs(1_000_000)), "API Gateway HTTP API").list).to.be.closeTo(5, 1e-9);
  });

  it("costs only the idle polling, the sweeper's schedule, the list pages and active jobs' summaries, the custom metrics and the KMS key with no jobs, the rest inside the free tiers", () => {
    const lines = monthlyCost(inputs(0));
    expect(service(lines, "API Gateway HTTP API").list).to.equal(0);
    expect(service(lines, "SQS").list).to.be.greaterThan(0);
    const fixed = ["DynamoDB reads", "DynamoDB reads (listing)", "CloudWatch custom metrics", "KMS (id secret key)"].reduce((sum, name) => sum + service(lines, name).billed, 0);
    expect(lines.reduce((sum, line) => sum + line.billed, 0)).to.be.closeTo(fixed, 1e-9);
  });

  it("prices the id secret's KMS key at $1 a month plus $0.03 per 10 000 GenerateMac past the free 20 000, one per keyed api cold start", () => {
    expect(service(monthlyCost(inputs(0, { apiKeyedColdStartsPerMonth: 20_000 })), "KMS (id secret key)")).to.deep.include({ billed: 1 });
    const busy = service(monthlyCost(inputs(0, { apiKeyedColdStartsPerMonth: 120_000 })), "KMS (id secret key)");
    expect(busy.list).to.be.closeTo(1 + 12 * 0.03, 1e-9);
    expect(busy.billed).to.be.closeTo(1 + 10 * 0.03, 1e-9);
  });

  it("charges PITR only when it is on", () => {
    const off = monthlyCost(inputs(1_000_000));
    const on = monthlyCost(inputs(1_000_000, { pointInTimeRecovery: true }));
    expect(service(off, "DynamoDB PITR").list).to.equal(0);
    expect(service(on, "DynamoDB PITR").list).to.be.greaterThan(0);
  });
});

describe("bench/costModel: the listing's reads", () => {
  it("prices each list page at its read units and each summary at its entries per 100 jobs kept plus one item per active job, at $0.125 per million RRU", () => {
    const usage = monthlyUsage(inputs(3_000_000, { retentionDays: 10, listPagesPerMonth: 2_000, readUnitsPerListPage: 30, summariesPerMonth: 100, summaryReadUnitsPer100Jobs: 3, activeJobsPerSummary: 400 }));
    const line = service(monthlyCost(inputs(3_000_000, { retentionDays: 10, listPagesPerMonth: 2_000, readUnitsPerListPage: 30, summariesPerMonth: 100, summaryReadUnitsPer100Jobs: 3, activeJobsPerSummary: 400 })), "DynamoDB reads (listing)");
    // 10 days of 3 M jobs a month are kept: each summary counts 1 M of them.
    const perSummary = (1_000_000 / 100) * 3 + 400 * 0.5;

    expect(usage.jobsPerSummary).to.be.closeTo(1_000_000, 1e-6);
    expect(usage.listingReadUnits).to.be.closeTo(2_000 * 30 + 100 * perSummary, 1e-6);
    expect(line.list).to.be.closeTo((usage.listingReadUnits / 1e6) * 0.125, 1e-12);
    expect(line.billed).to.equal(line.list);
  });

  it("reads nothing for the listing when nobody lists or summarizes", () => {
    expect(monthlyUsage(inputs(1_000_000, { listPagesPerMonth: 0, summariesPerMonth: 0 })).listingReadUnits).to.equal(0);
  });

  it("takes the listing's costs from the listing phase's results, the design's without them", () => {
    const listing: ListingResults = {
      pageSize: 25,
      tenantJobs: 600,
      otherJobs: 500,
      meanEntryBytes: 107,
      meanItemBytes: 650,
      indexWrites: [{ scenario: "succeeded", what: "", jobs: 200, tableWrites: 3, tableUnits: 3, byIndex: {}, total: 5, partitions: {} }],
      pages: [page("newest first", true, 28), page("status=FAILED", true, 24), page("type=x", false, 90)],
      summaries: [{ scope: "all", jobsCounted: 1_000, expectedJobs: 1_000, queries: 16, entries: 1_900, entryBytes: 200_000, items: 80, indexReadUnits: 30, itemReadUnits: 40, readUnits: 70, readUnitsPer100Jobs: 7 }],
    };

    const measured = listingCosts(listing);

    expect(measured).to.deep.equal({ indexWritesPerJob: 5, readUnitsPerListPage: 26, summaryReadUnitsPer100Jobs: 3, summaryReadUnitsPerActiveJob: 0.5, measured: true });
    expect(listingCosts(undefined)).to.deep.equal({ ...FLOOR_LISTING, measured: false });
  });
});

function page(query: string, common: boolean, readUnitsPerPage: number): ListingResults["pages"][number] {
  const zero = { pages: 1, fullPages: 1, jobs: 25, matching: 25, inOrder: true, entriesPerPage: 25, maxEntriesPerPage: 25, itemsPerPage: 25, maxItemsPerPage: 25, itemsNotReturned: 0 };
  return { query, common, ...zero, queriesPerPage: 6, maxQueriesPerPage: 6, readUnitsPerPage, maxReadUnitsPerPage: readUnitsPerPage, readUnitsPerJob: readUnitsPerPage / 25, otherOwnersEntries: 0 };
}

describe("bench/costModel: CloudWatch metrics, dashboard and alarms", () => {
  it("bills every custom metric the whole month at $0.30, after the first 10 free: the most they can cost", () => {
    const metrics = service(monthlyCost(inputs(1_000_000, { customMetrics: 55 })), "CloudWatch custom metrics");

    expect(metrics.list).to.be.closeTo(55 * 0.3, 1e-9);
    expect(metrics.billed).to.be.closeTo(45 * 0.3, 1e-9);
    expect(service(monthlyCost(inputs(0, { customMetrics: 10 })), "CloudWatch custom metrics").billed).to.equal(0);
  });

  it("prices the dashboard at $3.00 a month, free while it graphs at most 50 metrics", () => {
    expect(service(monthlyCost(inputs(0, { dashboardMetrics: 50 })), "CloudWatch dashboard")).to.include({ list: 3, billed: 0 });
    expect(service(monthlyCost(inputs(0, { dashboardMetrics: 51 })), "CloudWatch dashboard")).to.include({ list: 3, billed: 3 });
  });

  it("bills alarm metrics at $0.10 a month after the first 10 free, and nothing without alarms", () => {
    const none = service(monthlyCost(inputs(0)), "CloudWatch alarms");
    const some = service(monthlyCost(inputs(0, { alertEmail: true, alarmMetrics: 15 })), "CloudWatch alarms");

    expect(none).to.include({ usage: "none", list: 0, billed: 0 });
    expect(some.list).to.be.closeTo(1.5, 1e-9);
    expect(some.billed).to.be.closeTo(0.5, 1e-9);
  });

  it("counts the stack's metrics from the definitions the program deploys: the catalog, the dashboard body, the alarms", () => {
    const quiet = observabilityCounts(parseConfig({}));
    const alerting = observabilityCounts(parseConfig({ alertEmail: "ops@example.com" }));

    expect(quiet.customMetrics).to.equal(customMetricCount(builtInMetricUniverse()).total);
    expect(quiet.alarmMetrics).to.equal(0);
    // 9 single-metric alarms (DLQ, queue age, 3 × errors, 3 × throttles, 5xx), the failure share's
    // JobsFailed and JobsSucceeded, the table's ThrottledRequests for each of its 5 operations
    // (PutItem, GetItem, UpdateItem, BatchGetItem, Query).
    expect(alerting.alarmMetrics).to.equal(9 + 2 + 5);
    expect(alerting.dashboardMetrics).to.equal(quiet.dashboardMetrics);
    expect(quiet.dashboardMetrics).to.be.within(30, 50);
  });
});

describe("bench/costModel: Lambda's platform records in CloudWatch Logs", () => {
  it("counts platform.start and platform.report, not runtimeDone, at 377 B as AWS documents their JSON shapes", () => {
    const bytes = PLATFORM_LOG_RECORDS.reduce((sum, record) => sum + Buffer.byteLength(JSON.stringify(record)), 0);

    expect(PLATFORM_LOG_RECORDS.map((record) => record.type)).to.deep.equal(["platform.start", "platform.report"]);
    expect(bytes).to.equal(377);
    expect(ASSUMPTIONS.platformLogBytesPerInvocation).to.equal(bytes);
  });

  it("writes them for every invocation of every function: api requests, worker batches and sweeper runs", () => {
    const usage = monthlyUsage(inputs(1_000_000));

    expect(usage.platformLogGb).to.be.closeTo((usage.lambdaRequests * 377) / 1024 ** 3, 1e-12);
    expect(usage.logGb - usage.platformLogGb).to.be.closeTo((1_000_000 * ASSUMPTIONS.logBytesPerJob) / 1024 ** 3, 1e-12);
  });

  it("adds their ingestion at $0.50 per GB, and their storage, to the CloudWatch Logs line", () => {
    const without = service(monthlyCost(inputs(10_000_000, { platformLogBytesPerInvocation: 0 })), "CloudWatch Logs");
    const withRecords = service(monthlyCost(inputs(10_000_000)), "CloudWatch Logs");
    const { platformLogGb } = monthlyUsage(inputs(10_000_000));

    expect(withRecords.list - without.list).to.be.closeTo(platformLogGb * 0.5 + platformLogGb * (14 / 30) * 0.03, 1e-9);
    expect(withRecords.billed).to.be.greaterThan(without.billed);
  });
});

describe("bench/costModel: the page's API requests through CloudFront (same origin)", () => {
  it("makes every submit and status read a CloudFront HTTPS request at $0.0100 per 10 000, with its response bytes out", () => {
    const cloudFront = service(monthlyCost(inputs(1_000_000)), "CloudFront (page + API)");
    const requests = 1_000_000 * (1 + 4);
    const outGb = (requests * ASSUMPTIONS.apiResponseBytes) / 1024 ** 3;

    expect(cloudFront.list).to.be.closeTo((requests / 1e4) * 0.01 + outGb * 0.085, 1e-9);
  });

  it("bills nothing while the month stays inside CloudFront's always-free 10 M requests and 1 TB", () => {
    expect(service(monthlyCost(inputs(1_999_999)), "CloudFront (page + API)").billed).to.equal(0);
  });

  it("bills the requests past the free 10 M", () => {
    const { edgeRequests, edgeOutGb } = monthlyUsage(inputs(10_000_000));

    expect(edgeOutGb).to.be.below(1024);
    expect(service(monthlyCost(inputs(10_000_000)), "CloudFront (page + API)").billed).to.be.closeTo(((edgeRequests - 10_000_000) / 1e4) * 0.01, 1e-9);
  });

  it("costs $1.00 per million API requests at list price over calling API Gateway directly, after the page's own files take the free tier", () => {
    const light = sameOriginApiCost(inputs(1_000_000, { pageViewsPerMonth: 10_000 }));
    const heavy = sameOriginApiCost(inputs(100_000_000, { pageViewsPerMonth: 10_000 }));
    const pageRequests = 10_000 * ASSUMPTIONS.pageRequestsPerView;

    expect(light.list / (light.apiRequests / 1e6)).to.be.closeTo(1, 1e-9);
    expect(light.billed).to.equal(0);
    expect(heavy.billed).to.be.closeTo(((heavy.apiRequests + pageRequests - 10_000_000) / 1e4) * 0.01, 1e-9);
  });

  it("counts the page's own GET /job-types as an API request of each page view", () => {
    const usage = monthlyUsage(inputs(0, { pageViewsPerMonth: 10_000 }));

    expect(usage.apiRequests).to.equal(10_000 * ASSUMPTIONS.jobTypeReadsPerPageView);
    expect(usage.edgeRequests).to.equal(10_000 * (ASSUMPTIONS.pageRequestsPerView + ASSUMPTIONS.jobTypeReadsPerPageView));
  });
});

describe("bench/costModel: a bulk producer (POST /jobs/batch of 100)", () => {
  // A million jobs, no status reads, no page views: the submits alone. Worker batches of 10 at 50 %
  // fill are 200 000 (a receive and a delete each), the sweeper runs 43 200 times, the idle long
  // polls are 5 × 30 days ÷ 20 s = 648 000.
  const single = inputs(1_000_000, { statusReadsPerJob: 0 });
  const bulk = inputs(1_000_000, { statusReadsPerJob: 0, batchShare: 1 });

  it("makes one API request and one api invocation per 100 jobs instead of one per job", () => {
    const [alone, batched] = [monthlyUsage(single), monthlyUsage(bulk)];

    expect(alone.apiRequests).to.equal(1_000_000);
    expect(batched.apiRequests).to.be.closeTo(10_000, 1e-6);
    expect(batched.batchApiRequests).to.be.closeTo(10_000, 1e-6);
    expect(alone.lambdaRequests).to.equal(1_000_000 + 200_000 + 43_200);
    expect(batched.lambdaRequests).to.be.closeTo(10_000 + 200_000 + 43_200, 1e-6);
    expect(service(monthlyCost(single), "API Gateway HTTP API").list).to.be.closeTo(1.0, 1e-9);
    expect(service(monthlyCost(bulk), "API Gateway HTTP API").list).to.be.closeTo(0.01, 1e-9);
  });

  it("sends with SendMessageBatch at 0.1 per job instead of SendMessage at 1, one SQS request a call", () => {
    const [alone, batched] = [monthlyUsage(single), monthlyUsage(bulk)];

    expect(alone.sqsSendRequests).to.equal(1_000_000);
    expect(batched.sqsSendRequests).to.be.closeTo(100_000, 1e-6);
    expect(alone.sqsRequests).to.equal(1_000_000 + 400_000 + 648_000);
    expect(batched.sqsRequests).to.be.closeTo(100_000 + 400_000 + 648_000, 1e-6);
    // $0.40 per million after the free million.
    expect(service(monthlyCost(single), "SQS").billed).to.be.closeTo(1.048 * 0.4, 1e-9);
    expect(service(monthlyCost(bulk), "SQS").billed).to.be.closeTo(0.148 * 0.4, 1e-9);
  });

  it("bills a SendMessageBatch as one SQS request per 64 KB of its payload", () => {
    // Ten messages of 10 000 B a call: 100 000 B, two 64 KB chunks.
    expect(monthlyUsage({ ...bulk, sqsMessageBytes: 10_000 }).sqsSendRequests).to.be.closeTo(200_000, 1e-6);
    expect(monthlyUsage({ ...bulk, sqsMessageBytes: 6_553 }).sqsSendRequests).to.be.closeTo(100_000, 1e-6);
  });

  it("splits the jobs by the share: half in batches, half alone, the status reads the same for all", () => {
    const usage = monthlyUsage(inputs(1_000_000, { batchShare: 0.5 }));

    // 500 000 single submits + 5 000 batches + 4 M status reads.
    expect(usage.apiRequests).to.be.closeTo(500_000 + 5_000 + 4_000_000, 1e-6);
    expect(usage.sqsSendRequests).to.be.closeTo(500_000 + 50_000, 1e-6);
  });

  it("bills a batch request's own milliseconds, and the batched jobs' own log records", () => {
    const withLogs = { ...bulk, batchCalls: { ...FLOOR_BATCH_CALLS, logBytesPerJob: 1_000 } };
    const [alone, batched] = [monthlyUsage(single), monthlyUsage(withLogs)];

    // The api's ms: 1 M × 15 alone, 10 000 × 100 batched, at 0.25 GB.
    expect(alone.gbSeconds - batched.gbSeconds).to.be.closeTo(((1_000_000 * 15 - 10_000 * 100) / 1000) * 0.25, 1e-6);
    expect(batched.logGb - batched.platformLogGb).to.be.closeTo((1_000_000 * 1_000) / 1024 ** 3, 1e-12);
    expect(monthlyUsage({ ...single, batchCalls: withLogs.batchCalls }).logGb).to.equal(alone.logGb);
  });

  it("changes nothing without a share, and refuses a share outside 0–1", () => {
    expect(monthlyCost(inputs(1_000_000, { batchShare: 0 }))).to.deep.equal(monthlyCost(inputs(1_000_000)));
    expect(() => monthlyUsage(inputs(1_000_000, { batchShare: 1.5 }))).to.throw(/between 0 and 1/);
  });

  it("takes a batched job's calls from the bench's batch row, the route's floor without one", () => {
    const logBytes = { perJob: 2_287, perStatusRead: 520, byEvent: {} };
    const batch = {
      clients: 10,
      jobs: 10_000,
      jobsPerBatch: 100,
      submitJobsPerSec: 190,
      jobsPerSec: 90,
      requestP50Ms: 4_600,
      requestP99Ms: 5_900,
      e2eP50Ms: 13_000,
      e2eP99Ms: 16_000,
      callsPerJob: { PutItem: 1, SendMessageBatch: 0.1, UpdateItem: 2 },
      apiRequestsPerJob: 0.01,
      logBytesPerJob: 1_807,
    };

    expect(batchCallsPerJob({ logBytes, batch }, 3)).to.deep.equal({ calls: { apiRequestsPerJob: 0.01, SendMessageBatch: 0.1, logBytesPerJob: 1_807 + 3 * 520 }, measured: true });
    expect(batchCallsPerJob({ logBytes }, 3)).to.deep.equal({ calls: FLOOR_BATCH_CALLS, measured: false });
    expect(batchCallsPerJob(undefined, 3)).to.deep.equal({ calls: FLOOR_BATCH_CALLS, measured: false });
  });
});
