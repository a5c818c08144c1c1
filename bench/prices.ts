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
  /** Data transfer out is billed at EC2's internet rate (first 10 TB a month); the model counts it at CloudFront instead (same origin). */
  apiGatewayHttp: { perMillionRequests: 1.0, firstYearFreeRequests: 1_000_000, dataTransferOutPerGb: 0.09 },
  sqs: { perMillionRequests: 0.4, freeRequests: 1_000_000 },
  dynamodb: { perMillionWriteUnits: 0.625, perMillionReadUnits: 0.125, perGbMonth: 0.25, pitrPerGbMonth: 0.2, freeStorageGb: 25 },
  cloudwatchLogs: { perGbIngested: 0.5, perGbMonthStored: 0.03, freeGb: 5 },
  /**
   * CloudWatch's always-free tier, as https://aws.amazon.com/cloudwatch/pricing/ states it: 10
   * custom metrics, "3 Custom Dashboards referencing up to 50 metrics each per month", "10 Alarm
   * metrics (only applicable to Standard resolution alarms that list metrics directly…)". Its paid
   * rates, as also summarised by https://www.factualminds.com/blog/amazon-cloudwatch-pricing-metrics-logs-alarms-dashboards/
   * and https://c3x.dev/resources/aws/aws_cloudwatch_metric_alarm: a custom metric $0.30 a month
   * (the first 10 000; prorated by the hour, and billed only for the hours it receives data); a
   * dashboard $3.00 a month; a standard-resolution alarm $0.10 per alarm metric a month, an alarm
   * on metric math counting each metric its expression reads.
   */
  cloudwatchMetrics: { perMetricMonth: 0.3, freeMetrics: 10 },
  cloudwatchDashboards: { perDashboardMonth: 3.0, freeDashboards: 3, freeMetricsPerDashboard: 50 },
  cloudwatchAlarms: { perAlarmMetricMonth: 0.1, freeAlarmMetrics: 10 },
  sns: { perHundredThousandEmails: 2.0, freeEmails: 1_000 },
  budgets: { perBudgetDay: 0.02, freeBudgets: 2 },
  s3: { perGbMonth: 0.023, perThousandGets: 0.0004 },
  /**
   * https://aws.amazon.com/kms/pricing/: a customer managed key (HMAC keys included) $1.00 a month,
   * prorated by the hour; requests, `GenerateMac` among them, $0.03 per 10,000, with 20,000 a month
   * in the always-free tier.
   */
  kms: { perKeyMonth: 1.0, perTenThousandRequests: 0.03, freeRequests: 20_000 },
  /**
   * PriceClass_100 edges (United States, Mexico, Canada, Europe, Israel): data transfer out to the
   * internet $0.085/GB for the first 10 TB a month, $0.0100 per 10,000 HTTPS requests; always free each
   * month: 1 TB out and 10,000,000 HTTP or HTTPS requests. Origin fetches from AWS origins (S3, API
   * Gateway) are free. https://aws.amazon.com/cloudfront/pricing/ (request rates as also summarised
   * by https://wring.co/blog/aws-cloudfront-pricing-guide). Left out: bytes the page sends to the origin
   * (a `POST /jobs` body, under 1 KB), billed per GB at the "to origin" rate.
   */
  cloudfront: { perGbOut: 0.085, perTenThousandHttpsRequests: 0.01, freeGbOut: 1_024, freeRequests: 10_000_000 },
} as const;
