import { ScanCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { JobStatus } from "../handlers/domain/job";

/** Jobs in the table by status, and what reading them cost. */
export interface StatusCounts {
  counts: Record<JobStatus, number>;
  /** Epoch ms the scan ended. */
  scannedAtMs: number;
  durationMs: number;
}

/** The table to count, and how fresh a count must be. */
export interface JobStatusCountsOptions {
  dynamo: DynamoDBClient;
  tableName: string;
  /** A result this young is served again without scanning. @default 1000 */
  minAgeMs?: number;
  /** A result is also served again while younger than this many times its scan took. @default 5 */
  costFactor?: number;
  now?: () => number;
}

/**
 * Counts the table's jobs by status when asked (a scrape), from the table itself: the only
 * source of truth. A count kept up to date from the transition records instead would be a second
 * one, and drift from the first at every record lost with a killed process, every repair the
 * sweeper or the startup recovery makes, every item deleted by hand; the recovery's own scan at
 * start is stale at the first transition.
 *
 * A scan reads every item, so it is bounded two ways: one scan at a time (concurrent scrapes, the
 * page's and Prometheus's, share it), and a result is served again while it is younger than
 * `max(minAgeMs, costFactor × its scan's duration)`, so scanning never takes more than about a
 * fifth of the wall time however large the table grows (it costs nothing when nobody scrapes:
 * the benchmark, the suites without a page). It projects the status only; local tables are small
 * (the README says when to start a fresh one), where a scan takes milliseconds.
 */
export class JobStatusCounts {
  private last: StatusCounts | undefined;
  private scanning: Promise<StatusCounts> | undefined;
  private readonly now: () => number;

  constructor(private readonly options: JobStatusCountsOptions) {
    this.now = options.now ?? Date.now;
  }

  /** The counts: the last ones while still fresh enough, else a new scan's. */
  async read(): Promise<StatusCounts> {
    if (this.last && this.now() - this.last.scannedAtMs < this.maxAgeMs(this.last)) return this.last;
    this.scanning ??= this.scan().finally(() => (this.scanning = undefined));
    return this.scanning;
  }

  private maxAgeMs(result: StatusCounts): number {
    return Math.max(this.options.minAgeMs ?? 1_000, (this.options.costFactor ?? 5) * result.durationMs);
  }

  private async scan(): Promise<StatusCounts> {
    const started = this.now();
    const counts = Object.fromEntries(Object.values(JobStatus).map((status) => [status, 0])) as Record<JobStatus, number>;
    let startKey: ScanCommandStartKey;
    do {
      const page = await this.options.dynamo.send(
        new ScanCommand({ TableName: this.options.tableName, ProjectionExpression: "#status", ExpressionAttributeNames: { "#status": "status" }, ExclusiveStartKey: startKey }),
      );
      for (const item of page.Items ?? []) {
        const status = item.status?.S;
        // A bare item a killed repair left behind has no status: it is not a job.
        if (status !== undefined && status in counts) counts[status as JobStatus]++;
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    const scannedAtMs = this.now();
    this.last = { counts, scannedAtMs, durationMs: scannedAtMs - started };
    return this.last;
  }
}

type ScanCommandStartKey = ConstructorParameters<typeof ScanCommand>[0]["ExclusiveStartKey"];
