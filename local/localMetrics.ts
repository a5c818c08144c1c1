import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { GetQueueAttributesCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { Gauge, Registry, type MetricObjectWithValues, type MetricValue } from "prom-client";
import { describeError, type Logger } from "../handlers/log";
import { builtInMetricUniverse } from "../handlers/metricUniverse";
import { EmfMetrics, PROMETHEUS_PREFIX } from "./emfMetrics";
import { JobStatusCounts } from "./jobStatusCounts";

/** The SQS attributes behind `cloudqueue_queue_messages`, by the `state` label they become. */
export const QUEUE_MESSAGE_STATES = {
  visible: "ApproximateNumberOfMessages",
  in_flight: "ApproximateNumberOfMessagesNotVisible",
  delayed: "ApproximateNumberOfMessagesDelayed",
} as const;

/** What the local registry reads: the handlers' namespace, the emulators, the poller. */
export interface LocalMetricsDeps {
  /** The stack's CloudWatch namespace: only its EMF directives count. */
  namespace: string;
  /** Clients of the emulators for the scrape-time reads (never the handlers' own, which the benchmark counts). */
  dynamo: DynamoDBClient;
  sqs: SQSClient;
  tableName: string;
  /** The queues by the `queue` label they get: `jobs` and `dlq`. */
  queues: { jobs: string; dlq: string };
  /** Worker invocations running now, and at most. */
  worker: { inFlight: () => number; maxConcurrency: number };
  logger: Logger;
}

/**
 * The local stack's metrics registry, served by the front at `/metrics`:
 *
 * - the EMF metrics of every record the handlers log ({@link EmfMetrics}), fed by
 *   {@link LocalMetrics.ingestLine} from the handlers' `writeLog`: the same records CloudWatch
 *   extracts them from on AWS;
 * - gauges of what EMF does not carry, read when scraped: jobs by status (a scan of the table,
 *   {@link JobStatusCounts}), each queue's messages (`GetQueueAttributes`), the worker
 *   invocations in flight (the poller's count).
 *
 * Its own `Registry`, not prom-client's global one: two stacks in one process (a test suite)
 * must not share, or clash over, their metrics.
 */
export class LocalMetrics {
  readonly registry = new Registry();
  private readonly emf: EmfMetrics;
  private readonly statusCounts: JobStatusCounts;

  constructor(private readonly deps: LocalMetricsDeps) {
    this.emf = new EmfMetrics({
      registry: this.registry,
      namespace: deps.namespace,
      // The same values the dashboard and the cost model count from: the stack's job types and routes.
      universe: builtInMetricUniverse(),
      onFirstReject: (reason, detail) => deps.logger.warn("local.metrics_record_rejected", { reason, ...detail }),
    });
    this.statusCounts = new JobStatusCounts({ dynamo: deps.dynamo, tableName: deps.tableName });
    this.registerJobGauges();
    this.registerQueueGauge();
    this.registerWorkerGauges();
  }

  /** Feeds one handler log line to the registry (see {@link EmfMetrics.ingestLine}). */
  ingestLine(line: string): void {
    this.emf.ingestLine(line);
  }

  /** The Prometheus text exposition (format 0.0.4) and its content type. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  /** The same registry as prom-client's JSON form (`getMetricsAsJSON`): what the page reads. */
  async json(): Promise<MetricObjectWithValues<MetricValue<string>>[]> {
    return this.registry.getMetricsAsJSON();
  }

  private registerJobGauges(): void {
    const counts = this.statusCounts;
    const logger = this.deps.logger;
    // prom-client collects every metric at once: each of these gauges awaits the same scan (one
    // at a time, or the last one's result), so the three describe the same read of the table.
    const quietly = () => counts.read().catch(() => undefined);
    new Gauge({
      name: `${PROMETHEUS_PREFIX}jobs`,
      help: "jobs in the table by status, counted by a scan of it when scraped (repeated at most every max(1 s, 5 x the scan's duration))",
      labelNames: ["status"],
      registers: [this.registry],
      async collect() {
        this.reset();
        try {
          const result = await counts.read();
          for (const [status, count] of Object.entries(result.counts)) this.set({ status }, count);
        } catch (error) {
          // No series rather than stale ones: a scrape still answers, with what it could read.
          logger.warn("local.metrics_scan_failed", describeError(error));
        }
      },
    });
    new Gauge({
      name: `${PROMETHEUS_PREFIX}local_jobs_scan_seconds`,
      help: `how long the scan behind ${PROMETHEUS_PREFIX}jobs took`,
      registers: [this.registry],
      async collect() {
        this.reset();
        const result = await quietly();
        if (result) this.set(result.durationMs / 1000);
      },
    });
    new Gauge({
      name: `${PROMETHEUS_PREFIX}local_jobs_scan_age_seconds`,
      help: `how old the counts of ${PROMETHEUS_PREFIX}jobs are`,
      registers: [this.registry],
      async collect() {
        this.reset();
        const result = await quietly();
        if (result) this.set(Math.max(0, Date.now() - result.scannedAtMs) / 1000);
      },
    });
  }

  private registerQueueGauge(): void {
    const { sqs, queues, logger } = this.deps;
    new Gauge({
      name: `${PROMETHEUS_PREFIX}queue_messages`,
      help: "messages in the job queue and its dead-letter queue, by state (SQS ApproximateNumberOfMessages, ...NotVisible, ...Delayed), read when scraped",
      labelNames: ["queue", "state"],
      registers: [this.registry],
      async collect() {
        this.reset();
        await Promise.all(
          Object.entries(queues).map(async ([queue, queueUrl]) => {
            try {
              const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: Object.values(QUEUE_MESSAGE_STATES) }));
              for (const [state, attribute] of Object.entries(QUEUE_MESSAGE_STATES)) this.set({ queue, state }, Number(Attributes[attribute] ?? 0));
            } catch (error) {
              logger.warn("local.metrics_queue_read_failed", { queue, ...describeError(error) });
            }
          }),
        );
      },
    });
  }

  private registerWorkerGauges(): void {
    const { worker } = this.deps;
    new Gauge({
      name: `${PROMETHEUS_PREFIX}worker_invocations_in_flight`,
      help: "worker invocations running now (the local event source poller's count)",
      registers: [this.registry],
      collect() {
        this.set(worker.inFlight());
      },
    });
    new Gauge({
      name: `${PROMETHEUS_PREFIX}worker_max_concurrency`,
      help: "worker invocations at most in parallel (--concurrency)",
      registers: [this.registry],
      collect() {
        this.set(worker.maxConcurrency);
      },
    });
  }
}
