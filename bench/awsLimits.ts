/**
 * The AWS quotas and limits the scaling estimates divide by, each as published on the page
 * `docs/SCALING.md` cites for it (its reference number in brackets). Defaults of a new account in
 * us-east-1; most can be raised.
 */
export const AWS_LIMITS = {
  /** API Gateway requests per second, all APIs of an account in a Region [1]. */
  apiAccountRps: 10_000,
  /** API Gateway burst bucket of the account [1]. */
  apiAccountBurst: 5_000,
  /** Lambda concurrent executions per Region; new accounts get less [3]. */
  lambdaConcurrency: 1_000,
  /** Highest `maximumConcurrency` of an SQS event source mapping [6]. */
  mappingMaxConcurrency: 1_000,
  /** Concurrent invokes an SQS event source mapping adds per minute in standard mode [5]. */
  mappingScaleUpPerMinute: 300,
  /** Write units per second one partition takes, table or GSI [15]. */
  partitionWriteUnits: 1_000,
  /** Warm throughput of a new on-demand table (and new GSI) [13]. */
  newTableWarmWrites: 4_000,
  newTableWarmReads: 12_000,
  /** On-demand throughput per table, reads and writes each [12]. */
  tableOnDemandMax: 40_000,
  /** Messages in flight (received, not deleted) per standard queue [9]. */
  sqsInFlight: 120_000,
  /** GB of Lambda logs a month billed at the first tier's price [18]. */
  logsFirstTierGb: 10 * 1024,
} as const;
