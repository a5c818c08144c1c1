import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { CloudQueueConfig } from "./config";
import { JobFunctions } from "./functions";
import { JobHttpApi } from "./httpApi";
import { Operations } from "./operations";
import { JobQueues } from "./queues";
import { SiteHosting } from "./site";
import { SiteContent } from "./siteContent";
import { JobTable } from "./table";

export interface CloudQueueOptions {
  /** The folder published as the site (`site/`). */
  siteDir: string;
}

/** Every component of a CloudQueue stack, and the stack's outputs. */
export interface CloudQueue {
  table: JobTable;
  queues: JobQueues;
  functions: JobFunctions;
  site: SiteHosting;
  httpApi: JobHttpApi;
  siteContent: SiteContent;
  /** Present only when `alertEmail` is configured. */
  operations: Operations | undefined;
  outputs: {
    apiUrl: pulumi.Output<string>;
    siteUrl: pulumi.Output<string>;
    tableName: pulumi.Output<string>;
    queueUrl: pulumi.Output<string>;
    dlqUrl: pulumi.Output<string>;
  };
}

/**
 * Declares one CloudQueue stack from its validated config: the table of contents of the
 * program. The CDN comes before the API (the API's CORS names the site's origin) and the site's
 * files after it (`config.json` names the API).
 */
export function createCloudQueue(config: CloudQueueConfig, options: CloudQueueOptions): CloudQueue {
  const name = "cloudqueue";
  const table = new JobTable(name, { pointInTimeRecovery: config.pointInTimeRecovery, deletionProtection: config.deletionProtection });
  const queues = new JobQueues(name, { visibilityTimeoutSeconds: config.visibilityTimeoutSeconds, maxReceiveCount: config.maxReceiveCount });
  const functions = new JobFunctions(name, { config, table, queues });
  const region = aws.getRegionOutput().region;
  const site = new SiteHosting(`${name}-site`, { connectSources: [pulumi.interpolate`https://*.execute-api.${region}.amazonaws.com`] });
  const httpApi = new JobHttpApi(name, {
    handler: functions.api.function,
    corsOrigins: [site.url, ...config.corsAllowedOrigins],
    throttleRateLimit: config.apiThrottleRateLimit,
    throttleBurstLimit: config.apiThrottleBurstLimit,
  });
  const siteContent = new SiteContent(`${name}-site`, { bucket: site.bucket, siteDir: options.siteDir, apiUrl: httpApi.url });
  const operations = config.alertEmailOrNone
    ? new Operations(name, { alertEmail: config.alertEmailOrNone, deadLetterQueue: queues.deadLetterQueue, monthlyBudgetUsd: config.monthlyBudgetUsd })
    : undefined;
  return {
    table,
    queues,
    functions,
    site,
    httpApi,
    siteContent,
    operations,
    outputs: {
      apiUrl: httpApi.url,
      siteUrl: site.url,
      tableName: table.name,
      queueUrl: queues.queue.url,
      dlqUrl: queues.deadLetterQueue.url,
    },
  };
}
