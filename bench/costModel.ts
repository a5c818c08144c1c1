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

export interface CostInputs {
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
  /** Assumptions, each shown in the output. */
  apiBilledMs: number;
  workerBilledMsPerBatch: number;
  workerBilledMsPerRecord: number;
  sweeperBilledMs: number;
  itemBytes: number;
  logBytesPerInvocation: number;
  logBytesPerJob: number;
  /** Share of the configured batch size the worker's batches hold on average. */
  batchFill: number;
  pageViewsPerMonth: number;
}

/** The assumptions the cost model makes where nothing here measures AWS itself; printed with every estimate. */
export const ASSUMPTIONS = {
  apiBilledMs: 15,
  workerBilledMsPerBatch: 30,
  workerBilledMsPerRecord: 15,
  sweeperBilledMs: 60,
  itemBytes: 900,
  logBytesPerInvocation: 350,
  logBytesPerJob: 600,
  batchFill: 0.5,
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

/**
 * The monthly cost of a CloudQueue stack running `jobsPerMonth` jobs, per service, at list price
 * and after the always-free tiers (each free tier applied as if CloudQueue were the account's only
 * user of it).
 */
export function monthlyCost(inputs: CostInputs): CostLine[] {
  const n = inputs.jobsPerMonth;
  const gb = inputs.lambdaMemoryMb / 1024;
  const statusReads = inputs.statusReadsPerJob;
  const batches = n / Math.max(1, inputs.batchSize * inputs.batchFill);
  const sweeperRuns = MONTH_SECONDS / 60;

  const apiInvocations = n * (1 + statusReads);
  const workerInvocations = batches;
  const lambdaRequests = apiInvocations + workerInvocations + sweeperRuns;
  const gbSeconds =
    (apiInvocations * inputs.apiBilledMs + workerInvocations * inputs.workerBilledMsPerBatch + n * inputs.workerBilledMsPerRecord + sweeperRuns * inputs.sweeperBilledMs) / 1000 * gb;

  const sqsRequests =
    n * (inputs.calls.SendMessage + (inputs.calls.ChangeMessageVisibility ?? 0)) + batches * 2 /* receive + delete batch */ + IDLE_RECEIVES_PER_MONTH;

  const itemWriteUnits = Math.ceil(inputs.itemBytes / 1024);
  // Table: put + claim + commit; the keys-only sweep index: enter on put, leave on the commit.
  const tableWrites = n * (inputs.calls.PutItem + inputs.calls.UpdateItem) * itemWriteUnits;
  const indexWrites = n * 2;
  // Status reads are strongly consistent (a job is readable at once after its 202).
  const readUnits = n * (statusReads + (inputs.calls.GetItem ?? 0)) * Math.ceil(inputs.itemBytes / 4096) + sweeperRuns * inputs.sweepShards * 0.5;
  const storedGb = (n * inputs.itemBytes * (inputs.retentionDays / 30 + 0.02)) / 1024 ** 3;

  const logGb = (lambdaRequests * inputs.logBytesPerInvocation + n * inputs.logBytesPerJob) / 1024 ** 3;
  const logStoredGb = logGb * Math.min(inputs.logRetentionDays / 30, 12);

  const { lambda, apiGatewayHttp, sqs, dynamodb, cloudwatchLogs, cloudwatchAlarms, budgets, s3, cloudfront } = PRICES;
  const free = (amount: number, allowance: number) => Math.max(0, amount - allowance);
  const lines: CostLine[] = [
    line("Lambda requests", `${fmt(lambdaRequests)} invocations`, lambdaRequests / 1e6 * lambda.perMillionRequests, free(lambdaRequests, lambda.freeRequests) / 1e6 * lambda.perMillionRequests),
    line("Lambda compute (arm64)", `${fmt(gbSeconds)} GB-s`, gbSeconds * lambda.perGbSecondArm64, free(gbSeconds, lambda.freeGbSeconds) * lambda.perGbSecondArm64),
    line("API Gateway HTTP API", `${fmt(apiInvocations)} requests`, apiInvocations / 1e6 * apiGatewayHttp.perMillionRequests, apiInvocations / 1e6 * apiGatewayHttp.perMillionRequests),
    line("SQS", `${fmt(sqsRequests)} requests (${fmt(IDLE_RECEIVES_PER_MONTH)} idle long polls)`, sqsRequests / 1e6 * sqs.perMillionRequests, free(sqsRequests, sqs.freeRequests) / 1e6 * sqs.perMillionRequests),
    line("DynamoDB writes", `${fmt(tableWrites)} table + ${fmt(indexWrites)} index WRU`, (tableWrites + indexWrites) / 1e6 * dynamodb.perMillionWriteUnits, (tableWrites + indexWrites) / 1e6 * dynamodb.perMillionWriteUnits),
    line("DynamoDB reads", `${fmt(readUnits)} RRU`, readUnits / 1e6 * dynamodb.perMillionReadUnits, readUnits / 1e6 * dynamodb.perMillionReadUnits),
    line("DynamoDB storage", `${storedGb.toFixed(3)} GB`, storedGb * dynamodb.perGbMonth, free(storedGb, dynamodb.freeStorageGb) * dynamodb.perGbMonth),
    line("DynamoDB PITR", inputs.pointInTimeRecovery ? `${storedGb.toFixed(3)} GB` : "off", inputs.pointInTimeRecovery ? storedGb * dynamodb.pitrPerGbMonth : 0, inputs.pointInTimeRecovery ? storedGb * dynamodb.pitrPerGbMonth : 0),
    line("CloudWatch Logs", `${logGb.toFixed(3)} GB ingested, ${logStoredGb.toFixed(3)} GB kept`, logGb * cloudwatchLogs.perGbIngested + logStoredGb * cloudwatchLogs.perGbMonthStored, free(logGb, cloudwatchLogs.freeGb) * cloudwatchLogs.perGbIngested + free(logStoredGb, cloudwatchLogs.freeGb) * cloudwatchLogs.perGbMonthStored),
    line("CloudWatch alarm (DLQ)", inputs.alertEmail ? "1 alarm" : "none", inputs.alertEmail ? cloudwatchAlarms.perAlarmMonth : 0, 0),
    line("AWS Budgets", inputs.alertEmail ? "1 budget" : "none", inputs.alertEmail ? budgets.perBudgetDay * 30 : 0, 0),
    line("S3 + CloudFront (site)", `${fmt(inputs.pageViewsPerMonth)} page views`, inputs.pageViewsPerMonth * (6 * s3.perThousandGets / 1000 + 6 * cloudfront.perTenThousandHttpsRequests / 1e4), 0),
  ];
  return lines;

  function line(service: string, usage: string, list: number, billed: number): CostLine {
    return { service, usage, list, billed: Math.min(list, billed) };
  }
}

function fmt(value: number): string {
  return value >= 1e6 ? `${(value / 1e6).toFixed(2)} M` : value >= 1e3 ? `${(value / 1e3).toFixed(1)} k` : value.toFixed(0);
}
