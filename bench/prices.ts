/**
 * AWS list prices the cost model uses: region us-east-1 (N. Virginia), on-demand, as published on
 * the services' pricing pages in 2025 (DynamoDB on-demand after its November 2024 reduction).
 * Always-free tiers are those that do not expire; API Gateway's 1 M calls a month for the first
 * 12 months is shown apart.
 */
export const PRICES = {
  region: "us-east-1",
  asOf: "2025 list prices",
  lambda: { perMillionRequests: 0.2, perGbSecondArm64: 0.0000133334, freeRequests: 1_000_000, freeGbSeconds: 400_000 },
  apiGatewayHttp: { perMillionRequests: 1.0, firstYearFreeRequests: 1_000_000 },
  sqs: { perMillionRequests: 0.4, freeRequests: 1_000_000 },
  dynamodb: { perMillionWriteUnits: 0.625, perMillionReadUnits: 0.125, perGbMonth: 0.25, pitrPerGbMonth: 0.2, freeStorageGb: 25 },
  cloudwatchLogs: { perGbIngested: 0.5, perGbMonthStored: 0.03, freeGb: 5 },
  cloudwatchAlarms: { perAlarmMonth: 0.1, freeAlarms: 10 },
  sns: { perHundredThousandEmails: 2.0, freeEmails: 1_000 },
  budgets: { perBudgetDay: 0.02, freeBudgets: 2 },
  s3: { perGbMonth: 0.023, perThousandGets: 0.0004 },
  cloudfront: { perGbOut: 0.085, perTenThousandHttpsRequests: 0.01, freeGbOut: 1_024, freeRequests: 10_000_000 },
} as const;
