import { PRICES } from "./prices";

/** AWS calls per successful job, by operation (measured by `npm run bench`, or the floor). */
export interface CallsPerJob {
  PutItem: number;
  UpdateItem: number;
  GetItem: number;
  SendMessage: number;
  ReceiveMessage: number;
  DeleteMessageBatch: number;
  [operation: string]: number;
}

/** The protocol's floor per job, used when no benchmark result is at hand. */
export const FLOOR_CALLS_PER_JOB: CallsPerJob = {
  PutItem: 1,
  UpdateItem: 2,
  /** Reads the system itself makes per job; status reads are counted apart. */
  GetItem: 0,
  SendMessage: 1,
  ReceiveMessage: 0.1,
  DeleteMessageBatch: 0.1,
};

/**
 * What the listing indexes cost, as `npm run bench`'s listing phase measures it (`listing` in
 * `bench/results.json`), or these values when it has not: the GSI write rules and DynamoDB's read
 * rules applied to the design (`handlers/settings.ts` `JOB_TABLE`, `handlers/adapters/dynamoJobListing.ts`).
 */
export interface ListingCosts {
  /** Index write units per successful job, every index together. */
  indexWritesPerJob: number;
  /** Read units of one `GET /jobs` page of 25, the mean over the common queries. */
  readUnitsPerListPage: number;
  /** Read units a summary spends on index entries per 100 jobs it counts. */
  summaryReadUnitsPer100Jobs: number;
  /** Read units a summary spends per active (queued or running) job it counts: that job's item. */
  summaryReadUnitsPerActiveJob: number;
}

export const FLOOR_LISTING: ListingCosts = {
  /** The sweep index in and out (2), the all-jobs index in on the put (1), the finished jobs' index in on the commit (1); the claim writes none. */
  indexWritesPerJob: 4,
  /** 25 eventually consistent items of at most 4 KB (12.5 RRU) and one Query of 0.5 RRU per shard and a few more (about 3). */
  readUnitsPerListPage: 15.5,
  /** Two entries of about 110 B per finished job (the all-jobs and the finished jobs' index): 220 B at 0.5 RRU per 4 KB. */
  summaryReadUnitsPer100Jobs: 2.7,
  /** One eventually consistent item read of at most 4 KB. */
  summaryReadUnitsPerActiveJob: 0.5,
};

/**
 * What a job submitted by `POST /jobs/batch` (100 to a request) costs in place of its own
 * `POST /jobs`, as `npm run bench`'s batch row measures it (`batch` in `bench/results.json`), or
 * {@link FLOOR_BATCH_CALLS} when it has not.
 */
export interface BatchCalls {
  /** API requests per job (API Gateway's, and the api function's invocations): one per batch. */
  apiRequestsPerJob: number;
  /** `SendMessageBatch` calls per job: 10 entries to a call. Replaces `SendMessage`. */
  SendMessageBatch: number;
  /** The handlers' own log bytes per job, status reads included as for {@link CostInputs.logBytesPerJob}; absent: the single submit's. */
  logBytesPerJob?: number;
}

/** The route's floor: 100 jobs to a request, 10 entries to a `SendMessageBatch`. */
export const FLOOR_BATCH_CALLS: BatchCalls = { apiRequestsPerJob: 0.01, SendMessageBatch: 0.1 };

/** SQS bills a batch call as one request per 64 KB of its payload (https://aws.amazon.com/sqs/pricing/). */
export const SQS_BILLED_CHUNK_BYTES = 64 * 1024;

export interface CostInputs extends ListingCosts {
  jobsPerMonth: number;
  /** Calls per job, status reads excluded. */
  calls: CallsPerJob;
  /** `GET /jobs/{id}` a client makes per job (the site's polling: `pollsPerJob` of the benchmark). */
  statusReadsPerJob: number;
  /** From the stack's config. */
  lambdaMemoryMb: number;
  batchSize: number;
  retentionDays: number;
  pointInTimeRecovery: boolean;
  logRetentionDays: number;
  sweepShards: number;
  alertEmail: boolean;
  /**
   * Custom metrics the stack can publish (`customMetricCount`): every dimension combination the
   * handlers can emit. A metric is billed only for the hours it receives data, so this is the
   * most the month can cost; a route or error code unseen all month costs nothing.
   */
  customMetrics: number;
  /** Distinct metrics the stack's one dashboard graphs (the free tier covers dashboards of up to 50). */
  dashboardMetrics: number;
  /** Alarm metrics of the stack's alarms (one per single-metric alarm, one per metric a metric math alarm reads); 0 without `alertEmail`. */
  alarmMetrics: number;
  /**
   * Containers the api starts in a month that serve a submission with an `Idempotency-Key`: each
   * derives the id secret with one KMS `GenerateMac` (`handlers/auth/kmsIdSecret.ts`).
   */
  apiKeyedColdStartsPerMonth: number;
  /** Assumptions, each shown in the output. */
  apiBilledMs: number;
  workerBilledMsPerBatch: number;
  workerBilledMsPerRecord: number;
  sweeperBilledMs: number;
  itemBytes: number;
  /** Bytes of Lambda's own `platform.start` + `platform.report` records, every invocation of every function. */
  platformLogBytesPerInvocation: number;
  /** Bytes of the handlers' own JSON lines per job: its transitions and its API requests' records (measured by `npm run bench` where results exist). */
  logBytesPerJob: number;
  /** Share of the configured batch size the worker's batches hold on average. */
  batchFill: number;
  /**
   * Share (0–1) of the jobs a bulk producer submits by `POST /jobs/batch`, 100 to a request; the
   * rest are submitted one `POST /jobs` each. Absent: 0.
   */
  batchShare?: number;
  /** What a job submitted in a batch costs; absent: {@link FLOOR_BATCH_CALLS}. */
  batchCalls?: BatchCalls;
  /** Billed ms of one `POST /jobs/batch` of 100 (its puts 10 at a time, its 10 `SendMessageBatch` together). */
  apiBatchBilledMs: number;
  /** Bytes of one job's `POST /jobs/batch` result item (its share of the 200's body). */
  batchResponseBytesPerJob: number;
  /** Bytes of one queue message (`{jobId}` and its request id attribute), for SQS's 64 KB billing chunks. */
  sqsMessageBytes: number;
  /** Mean bytes CloudFront sends back for one API request (headers + body). */
  apiResponseBytes: number;
  /** Requests a page view makes for the site's own files (page, styles, modules, `config.json`). */
  pageRequestsPerView: number;
  /** Bytes of those files. */
  pageBytesPerView: number;
  /** `GET /job-types` a page view makes (the page lists the types once when it loads). */
  jobTypeReadsPerPageView: number;
  pageViewsPerMonth: number;
  /** `GET /jobs` pages served a month (the operations view, the CLI, scripts). */
  listPagesPerMonth: number;
  /** `GET /jobs/summary` served a month; each counts every job the table keeps (see {@link monthlyUsage}). */
  summariesPerMonth: number;
  /** Queued or running jobs a summary finds. */
  activeJobsPerSummary: number;
}

/**
 * The records Lambda itself writes to CloudWatch Logs for each invocation of a function whose
 * `loggingConfig` says `logFormat: "JSON"` and `systemLogLevel: "INFO"` (`infra/serviceFunction.ts`).
 * "By default, Lambda sets the system log level to INFO, and with this setting, Lambda automatically
 * sends `start` and `report` log messages to CloudWatch" (Log-level filtering,
 * https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-log-level.html).
 * The shapes and example values are AWS's own (Telemetry API `Event` schema reference,
 * https://docs.aws.amazon.com/lambda/latest/dg/telemetry-schema-reference.html), written compact as
 * CloudWatch stores a log event; `status` is one of `PlatformReport`'s listed attributes, though that
 * page's example leaves it out. Not counted: `tracing` (no X-Ray on these functions);
 * `initDurationMs` (cold starts only, 22 B); `platform.runtimeDone`, which is not among the records
 * INFO sends (about 190 B more per invocation if it were); `platform.initStart`/`initReport`, which
 * come once per execution environment, not per invocation.
 */
export const PLATFORM_LOG_RECORDS = [
  { time: "2022-10-12T00:00:15.064Z", type: "platform.start", record: { requestId: "6d68ca91-49c9-448d-89b8-7ca3e6dc66aa", version: "$LATEST" } },
  {
    time: "2022-10-12T00:01:15.000Z",
    type: "platform.report",
    record: {
      requestId: "6d68ca91-49c9-448d-89b8-7ca3e6dc66aa",
      metrics: { durationMs: 693.92, billedDurationMs: 694, memorySizeMB: 128, maxMemoryUsedMB: 84 },
      status: "success",
    },
  },
] as const;

const platformLogBytes = PLATFORM_LOG_RECORDS.reduce((sum, record) => sum + Buffer.byteLength(JSON.stringify(record)), 0);

/** The assumptions the cost model makes where nothing here measures AWS itself; printed with every estimate. */
export const ASSUMPTIONS = {
  /** About 1 000 a day: a busy api's containers are recycled every few hours, and it scales out and in. */
  apiKeyedColdStartsPerMonth: 30_000,
  apiBilledMs: 15,
  workerBilledMsPerBatch: 30,
  workerBilledMsPerRecord: 15,
  sweeperBilledMs: 60,
  itemBytes: 900,
  /** 377 B: `platform.start` + `platform.report` as AWS documents them ({@link PLATFORM_LOG_RECORDS}). */
  platformLogBytesPerInvocation: platformLogBytes,
  logBytesPerJob: 600,
  batchFill: 0.5,
  /** 100 conditional puts 10 at a time (ten rounds of a few ms) and ten `SendMessageBatch` in parallel. */
  apiBatchBilledMs: 100,
  /** `{index, status, jobId, job: {jobId, type, status, createdAt}}` of a `text.transform` job (UUID ids), and its comma. */
  batchResponseBytesPerJob: 210,
  /** `{"jobId":"…"}` and the `requestId` message attribute. */
  sqsMessageBytes: 150,
  /** About 3 KB of responses per job of four requests: a 202 with the new job, three reads of it. */
  apiResponseBytes: 750,
  /** `index.html`, `styles.css`, seven modules, `config.json` (`site/`), none cached yet. */
  pageRequestsPerView: 10,
  pageBytesPerView: 45_000,
  jobTypeReadsPerPageView: 1,
  /**
   * About 330 a day: each opening or refresh of the operations view reads a page, and the CLI and
   * scripts page through failed jobs. Their API and Lambda requests are not counted (cents a month).
   */
  listPagesPerMonth: 10_000,
  /** About 30 a day: each opening or refresh of the operations view counts once. */
  summariesPerMonth: 1_000,
  /** A backlog of a thousand jobs queued or running when someone looks. */
  activeJobsPerSummary: 1_000,
} as const satisfies Partial<CostInputs>;

export interface CostLine {
  service: string;
  usage: string;
  /** USD a month at list price, before any free tier. */
  list: number;
  /** USD a month left after the always-free tiers. */
  billed: number;
}

const MONTH_SECONDS = 30 * 24 * 3600;
/** Lambda's SQS event source mapping long-polls an idle queue with five pollers, 20 s each. */
const IDLE_RECEIVES_PER_MONTH = (5 * MONTH_SECONDS) / 20;

/** What a month of `jobsPerMonth` jobs uses of each service, before any price. */
export interface MonthlyUsage {
  apiRequests: number;
  /** Of {@link apiRequests}: the `POST /jobs/batch` requests. */
  batchApiRequests: number;
  /** Of {@link sqsRequests}: the sends (`SendMessage`, and `SendMessageBatch` as billed: one request per 64 KB chunk). */
  sqsSendRequests: number;
  lambdaRequests: number;
  gbSeconds: number;
  sqsRequests: number;
  tableWrites: number;
  indexWrites: number;
  readUnits: number;
  /** Read units of the month's `GET /jobs` pages and summaries, and the jobs each summary counts. */
  listingReadUnits: number;
  jobsPerSummary: number;
  storedGb: number;
  /** Lambda's own `platform.start` + `platform.report` records, all functions. */
  platformLogGb: number;
  logGb: number;
  logStoredGb: number;
  pageRequests: number;
  edgeRequests: number;
  edgeOutGb: number;
}

/** The month's usage of each service (see {@link monthlyCost} for its price). */
export function monthlyUsage(inputs: CostInputs): MonthlyUsage {
  const n = inputs.jobsPerMonth;
  const gb = inputs.lambdaMemoryMb / 1024;
  const statusReads = inputs.statusReadsPerJob;
  const batches = n / Math.max(1, inputs.batchSize * inputs.batchFill);
  const sweeperRuns = MONTH_SECONDS / 60;
  const { apiRequests, batchApiRequests, pageRequests, edgeRequests, edgeOutGb } = edgeTraffic(inputs);
  const { batched, calls: batchCalls } = bulk(inputs);

  const workerInvocations = batches;
  const lambdaRequests = apiRequests + workerInvocations + sweeperRuns;
  const gbSeconds =
    (apiRequests * inputs.apiBilledMs + batchApiRequests * (inputs.apiBatchBilledMs - inputs.apiBilledMs) + workerInvocations * inputs.workerBilledMsPerBatch + n * inputs.workerBilledMsPerRecord + sweeperRuns * inputs.sweeperBilledMs) / 1000 * gb;

  // A batched job's send is its share of a SendMessageBatch, billed per 64 KB chunk of the call's payload.
  const chunksPerBatchCall = batchCalls.SendMessageBatch > 0 ? Math.max(1, Math.ceil(inputs.sqsMessageBytes / batchCalls.SendMessageBatch / SQS_BILLED_CHUNK_BYTES)) : 0;
  const sqsSendRequests = n * inputs.calls.SendMessage + batched * (batchCalls.SendMessageBatch * chunksPerBatchCall - inputs.calls.SendMessage);
  const sqsRequests = sqsSendRequests + n * (inputs.calls.ChangeMessageVisibility ?? 0) + batches * 2 /* receive + delete batch */ + IDLE_RECEIVES_PER_MONTH;

  const itemWriteUnits = Math.ceil(inputs.itemBytes / 1024);
  // Table: put + claim + commit. Indexes: what the listing phase measured per successful job (the
  // sweep index in and out, the listing indexes in).
  const tableWrites = n * (inputs.calls.PutItem + inputs.calls.UpdateItem) * itemWriteUnits;
  const indexWrites = n * inputs.indexWritesPerJob;
  // Status reads are strongly consistent (a job is readable at once after its 202).
  const readUnits = n * (statusReads + (inputs.calls.GetItem ?? 0)) * Math.ceil(inputs.itemBytes / 4096) + sweeperRuns * inputs.sweepShards * 0.5;
  const storedGb = (n * inputs.itemBytes * (inputs.retentionDays / 30 + 0.02)) / 1024 ** 3;
  // A page's reads are bounded whatever the table holds; a summary reads an entry of every job
  // the table keeps (the worst case: an admin's, or an owner's whose jobs are all of them).
  const jobsPerSummary = n * (inputs.retentionDays / 30);
  const readUnitsPerSummary = (jobsPerSummary / 100) * inputs.summaryReadUnitsPer100Jobs + inputs.activeJobsPerSummary * inputs.summaryReadUnitsPerActiveJob;
  const listingReadUnits = inputs.listPagesPerMonth * inputs.readUnitsPerListPage + inputs.summariesPerMonth * readUnitsPerSummary;

  // Every invocation of every function writes its platform records; the handlers add their transition lines per job.
  const platformLogGb = (lambdaRequests * inputs.platformLogBytesPerInvocation) / 1024 ** 3;
  const logGb = platformLogGb + (n * inputs.logBytesPerJob + batched * ((batchCalls.logBytesPerJob ?? inputs.logBytesPerJob) - inputs.logBytesPerJob)) / 1024 ** 3;
  const logStoredGb = logGb * Math.min(inputs.logRetentionDays / 30, 12);
  return { apiRequests, batchApiRequests, sqsSendRequests, lambdaRequests, gbSeconds, sqsRequests, tableWrites, indexWrites, readUnits, listingReadUnits, jobsPerSummary, storedGb, platformLogGb, logGb, logStoredGb, pageRequests, edgeRequests, edgeOutGb };
}

/**
 * The monthly cost of a CloudQueue stack running `jobsPerMonth` jobs, per service, at list price
 * and after the always-free tiers (each free tier applied as if CloudQueue were the account's only
 * user of it).
 */
export function monthlyCost(inputs: CostInputs): CostLine[] {
  const u = monthlyUsage(inputs);
  const { lambda, apiGatewayHttp, sqs, dynamodb, cloudwatchLogs, cloudwatchMetrics, cloudwatchDashboards, cloudwatchAlarms, budgets, s3, cloudfront, kms } = PRICES;
  // Free as one of the account's first three dashboards, as long as it graphs no more than 50 metrics.
  const dashboardFree = inputs.dashboardMetrics <= cloudwatchDashboards.freeMetricsPerDashboard;
  const storage = inputs.pointInTimeRecovery ? u.storedGb * dynamodb.pitrPerGbMonth : 0;
  return [
    line("Lambda requests", `${fmt(u.lambdaRequests)} invocations`, u.lambdaRequests / 1e6 * lambda.perMillionRequests, free(u.lambdaRequests, lambda.freeRequests) / 1e6 * lambda.perMillionRequests),
    line("Lambda compute (arm64)", `${fmt(u.gbSeconds)} GB-s`, u.gbSeconds * lambda.perGbSecondArm64, free(u.gbSeconds, lambda.freeGbSeconds) * lambda.perGbSecondArm64),
    line("API Gateway HTTP API", `${fmt(u.apiRequests)} requests`, u.apiRequests / 1e6 * apiGatewayHttp.perMillionRequests, u.apiRequests / 1e6 * apiGatewayHttp.perMillionRequests),
    line("SQS", `${fmt(u.sqsRequests)} requests (${fmt(IDLE_RECEIVES_PER_MONTH)} idle long polls)`, u.sqsRequests / 1e6 * sqs.perMillionRequests, free(u.sqsRequests, sqs.freeRequests) / 1e6 * sqs.perMillionRequests),
    line("DynamoDB writes", `${fmt(u.tableWrites)} table + ${fmt(u.indexWrites)} index WRU`, (u.tableWrites + u.indexWrites) / 1e6 * dynamodb.perMillionWriteUnits, (u.tableWrites + u.indexWrites) / 1e6 * dynamodb.perMillionWriteUnits),
    line("DynamoDB reads", `${fmt(u.readUnits)} RRU`, u.readUnits / 1e6 * dynamodb.perMillionReadUnits, u.readUnits / 1e6 * dynamodb.perMillionReadUnits),
    line(
      "DynamoDB reads (listing)",
      `${fmt(inputs.listPagesPerMonth)} pages, ${fmt(inputs.summariesPerMonth)} summaries of ${fmt(u.jobsPerSummary)} jobs: ${fmt(u.listingReadUnits)} RRU`,
      u.listingReadUnits / 1e6 * dynamodb.perMillionReadUnits,
      u.listingReadUnits / 1e6 * dynamodb.perMillionReadUnits,
    ),
    line("DynamoDB storage", `${u.storedGb.toFixed(3)} GB`, u.storedGb * dynamodb.perGbMonth, free(u.storedGb, dynamodb.freeStorageGb) * dynamodb.perGbMonth),
    line("DynamoDB PITR", inputs.pointInTimeRecovery ? `${u.storedGb.toFixed(3)} GB` : "off", storage, storage),
    line(
      "CloudWatch Logs",
      `${u.logGb.toFixed(3)} GB ingested (${u.platformLogGb.toFixed(3)} GB platform records), ${u.logStoredGb.toFixed(3)} GB kept`,
      u.logGb * cloudwatchLogs.perGbIngested + u.logStoredGb * cloudwatchLogs.perGbMonthStored,
      free(u.logGb, cloudwatchLogs.freeGb) * cloudwatchLogs.perGbIngested + free(u.logStoredGb, cloudwatchLogs.freeGb) * cloudwatchLogs.perGbMonthStored,
    ),
    // Every metric billed for the whole month: the most it can cost (a metric is billed by the hour it receives data).
    line(
      "CloudWatch custom metrics",
      `${inputs.customMetrics} metrics at most (EMF)`,
      inputs.customMetrics * cloudwatchMetrics.perMetricMonth,
      free(inputs.customMetrics, cloudwatchMetrics.freeMetrics) * cloudwatchMetrics.perMetricMonth,
    ),
    line("CloudWatch dashboard", `1 dashboard, ${inputs.dashboardMetrics} metrics`, cloudwatchDashboards.perDashboardMonth, dashboardFree ? 0 : cloudwatchDashboards.perDashboardMonth),
    line(
      "CloudWatch alarms",
      inputs.alarmMetrics > 0 ? `${inputs.alarmMetrics} alarm metrics` : "none",
      inputs.alarmMetrics * cloudwatchAlarms.perAlarmMetricMonth,
      free(inputs.alarmMetrics, cloudwatchAlarms.freeAlarmMetrics) * cloudwatchAlarms.perAlarmMetricMonth,
    ),
    line(
      "KMS (id secret key)",
      `1 HMAC key, ${fmt(inputs.apiKeyedColdStartsPerMonth)} GenerateMac (one per keyed api cold start)`,
      kms.perKeyMonth + (inputs.apiKeyedColdStartsPerMonth / 1e4) * kms.perTenThousandRequests,
      kms.perKeyMonth + (free(inputs.apiKeyedColdStartsPerMonth, kms.freeRequests) / 1e4) * kms.perTenThousandRequests,
    ),
    line("AWS Budgets", inputs.alertEmail ? "1 budget" : "none", inputs.alertEmail ? budgets.perBudgetDay * 30 : 0, 0),
    line(
      "CloudFront (page + API)",
      `${fmt(u.edgeRequests)} HTTPS requests (${fmt(u.apiRequests)} API), ${u.edgeOutGb.toFixed(2)} GB out`,
      u.edgeRequests / 1e4 * cloudfront.perTenThousandHttpsRequests + u.edgeOutGb * cloudfront.perGbOut,
      free(u.edgeRequests, cloudfront.freeRequests) / 1e4 * cloudfront.perTenThousandHttpsRequests + free(u.edgeOutGb, cloudfront.freeGbOut) * cloudfront.perGbOut,
    ),
    // At most: CloudFront answers most page requests from its cache. S3 has no always-free tier.
    line("S3 (site files)", `${fmt(u.pageRequests)} GETs at most`, u.pageRequests / 1000 * s3.perThousandGets, u.pageRequests / 1000 * s3.perThousandGets),
  ];

  function line(service: string, usage: string, list: number, billed: number): CostLine {
    return { service, usage, list, billed: Math.min(list, billed) };
  }
}

/**
 * What serving the API from the site's own origin adds: each API request is also a CloudFront HTTPS
 * request. `billed` is what is left after CloudFront's free requests, which the page's own files use
 * first. Response bytes are not counted here: they leave through CloudFront instead of API Gateway,
 * at a lower price per GB, so same-origin saves on them.
 */
export function sameOriginApiCost(inputs: CostInputs): { apiRequests: number; list: number; billed: number } {
  const { apiRequests, pageRequests } = edgeTraffic(inputs);
  const { perTenThousandHttpsRequests: price, freeRequests } = PRICES.cloudfront;
  const billedRequests = free(pageRequests + apiRequests, freeRequests) - free(pageRequests, freeRequests);
  return { apiRequests, list: (apiRequests / 1e4) * price, billed: (billedRequests / 1e4) * price };
}

/** The jobs submitted in batches, and what each costs. */
function bulk(inputs: CostInputs): { batched: number; calls: BatchCalls } {
  const share = inputs.batchShare ?? 0;
  if (!(share >= 0 && share <= 1)) throw new Error(`batchShare must be between 0 and 1, not ${share}`);
  return { batched: inputs.jobsPerMonth * share, calls: inputs.batchCalls ?? FLOOR_BATCH_CALLS };
}

/**
 * The page's requests at the edge: its own files from S3, and every API request (same origin). A
 * job submitted in a batch makes its share of a `POST /jobs/batch` instead of its own `POST /jobs`,
 * and its share of the batch's 200 instead of its own 202; its status reads are the same.
 */
function edgeTraffic(inputs: CostInputs): { apiRequests: number; batchApiRequests: number; pageRequests: number; edgeRequests: number; edgeOutGb: number } {
  const { batched, calls } = bulk(inputs);
  const batchApiRequests = batched * calls.apiRequestsPerJob;
  const apiRequests = inputs.jobsPerMonth * (1 + inputs.statusReadsPerJob) - batched + batchApiRequests + inputs.pageViewsPerMonth * inputs.jobTypeReadsPerPageView;
  const pageRequests = inputs.pageViewsPerMonth * inputs.pageRequestsPerView;
  // Every other request at the mean response; a batch's 200 is its jobs' result items.
  const responseBytes = (apiRequests - batchApiRequests) * inputs.apiResponseBytes + batched * inputs.batchResponseBytesPerJob;
  const edgeOutGb = (inputs.pageViewsPerMonth * inputs.pageBytesPerView + responseBytes) / 1024 ** 3;
  return { apiRequests, batchApiRequests, pageRequests, edgeRequests: apiRequests + pageRequests, edgeOutGb };
}

function free(amount: number, allowance: number): number {
  return Math.max(0, amount - allowance);
}

function fmt(value: number): string {
  return value >= 1e6 ? `${(value / 1e6).toFixed(2)} M` : value >= 1e3 ? `${(value / 1e3).toFixed(1)} k` : value.toFixed(0);
}
