import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { metricNamespace } from "../handlers/metrics";
import type { CloudQueueConfig } from "./config";
import { builtInMetricUniverse } from "../handlers/metricUniverse";
import { JobFunctions } from "./functions";
import { JobHttpApi } from "./httpApi";
import { IdKey } from "./idKey";
import { Observability } from "./observability";
import { Operations } from "./operations";
import { JobQueues } from "./queues";
import { JobSchedules } from "./schedules";
import { SiteHosting } from "./site";
import { SiteContent } from "./siteContent";
import { JobTable } from "./table";

export interface CloudQueueOptions {
  /** The folder published as the site (`site/`). */
  siteDir: string;
  /** The stack's name, in the tag every resource carries. @default pulumi.getStack() */
  stackName?: string;
}

/** The tag every resource of a stack carries (provider default tags), and its budget filters on. */
export const STACK_TAG_KEY = "cloudqueue-stack";

/** Every component of a CloudQueue stack, and the stack's outputs. */
export interface CloudQueue {
  table: JobTable;
  queues: JobQueues;
  /** The KMS HMAC key the api derives the secret of key-derived job ids from. */
  idKey: IdKey;
  functions: JobFunctions;
  site: SiteHosting;
  httpApi: JobHttpApi;
  siteContent: SiteContent;
  /** The AWS provider of every resource: the stack's region and profile, with the stack's default tags. */
  provider: aws.Provider;
  /** Present only when the stack has `schedules`. */
  schedules: JobSchedules | undefined;
  /** Present only when `alertEmail` is configured. */
  operations: Operations | undefined;
  /** The dashboard, always; the alarms, only with `operations`' topic. */
  observability: Observability;
  outputs: {
    apiUrl: pulumi.Output<string>;
    siteUrl: pulumi.Output<string>;
    tableName: pulumi.Output<string>;
    queueUrl: pulumi.Output<string>;
    dlqUrl: pulumi.Output<string>;
    /** The stack's CloudWatch dashboard in the console. */
    dashboardUrl: pulumi.Output<string>;
  };
}

/**
 * Declares one CloudQueue stack from its validated config: the table of contents of the
 * program. The API comes before the CDN (the distribution serves the API under the site's
 * origin) and the site's files after both (`config.json` names the API's origin: the site's).
 */
export function createCloudQueue(config: CloudQueueConfig, options: CloudQueueOptions): CloudQueue {
  const name = "cloudqueue";
  const stackName = options.stackName ?? pulumi.getStack();
  const provider = taggedProvider(name, stackName);
  const opts = { providers: [provider] };
  // The stack's own namespace: the handlers emit in it and the dashboard and alarms read it.
  const metricsNamespace = metricNamespace(stackName);
  const table = new JobTable(name, { pointInTimeRecovery: config.pointInTimeRecovery, deletionProtection: config.deletionProtection }, opts);
  const queues = new JobQueues(name, { visibilityTimeoutSeconds: config.visibilityTimeoutSeconds, maxReceiveCount: config.maxReceiveCount }, opts);
  const idKey = new IdKey(name, opts);
  const functions = new JobFunctions(name, { config, table, queues, metricsNamespace, idKey }, opts);
  const schedules =
    config.schedules.length > 0 ? new JobSchedules(name, { schedules: config.schedules, api: functions.api.function, apiRole: functions.api.role }, opts) : undefined;
  const httpApi = new JobHttpApi(
    name,
    {
      handler: functions.api.function,
      // The page calls the API on its own origin (through the distribution): only other origins need CORS.
      corsOrigins: config.corsAllowedOrigins,
      throttleRateLimit: config.apiThrottleRateLimit,
      throttleBurstLimit: config.apiThrottleBurstLimit,
      auth: config.auth,
    },
    opts,
  );
  const site = new SiteHosting(`${name}-site`, { apiEndpoint: httpApi.url, siteDir: options.siteDir, domain: config.siteDomainOrNone }, opts);
  // "/": the API is on whatever origin the page was loaded from (the custom domain or the distribution's own).
  const siteContent = new SiteContent(`${name}-site`, { bucket: site.bucket, siteDir: options.siteDir, apiUrl: "/", auth: config.auth.mode }, opts);
  const operations = config.alertEmailOrNone
    ? new Operations(
        name,
        {
          alertEmail: config.alertEmailOrNone,
          monthlyBudgetUsd: config.monthlyBudgetUsd,
          costFilterTag: { key: STACK_TAG_KEY, value: stackName },
        },
        opts,
      )
    : undefined;
  const observability = new Observability(
    name,
    {
      stackName,
      metricsNamespace,
      universe: builtInMetricUniverse(),
      functions: { api: functions.api.function, worker: functions.worker.function, sweeper: functions.sweeper.function },
      queue: queues.queue,
      deadLetterQueue: queues.deadLetterQueue,
      scheduleDeadLetterQueue: schedules?.deadLetterQueue,
      table: table.table,
      api: httpApi.api,
      thresholds: config,
      alertTopic: operations?.topic,
      formerAlarmParent: operations,
    },
    opts,
  );
  return {
    provider,
    table,
    queues,
    idKey,
    functions,
    site,
    httpApi,
    siteContent,
    schedules,
    operations,
    observability,
    outputs: {
      apiUrl: httpApi.url,
      siteUrl: site.url,
      tableName: table.name,
      queueUrl: queues.queue.url,
      dlqUrl: queues.deadLetterQueue.url,
      dashboardUrl: observability.dashboardUrl,
    },
  };
}

/**
 * The provider every resource is declared with: the region and profile of the stack's `aws:`
 * config (an explicit provider does not read it by itself), and default tags that name the stack
 * on every resource that takes tags, so that its cost can be told from other stacks' in Cost
 * Explorer and by its budget.
 */
function taggedProvider(name: string, stackName: string): aws.Provider {
  const settings = awsProviderSettings(pulumi.runtime.allConfig());
  const ownTags = (settings.defaultTags as { tags?: Record<string, string> } | undefined)?.tags ?? {};
  return new aws.Provider(`${name}-aws`, {
    ...settings,
    defaultTags: { tags: { ...ownTags, [STACK_TAG_KEY]: stackName, "cloudqueue-project": pulumi.getProject() } },
  });
}

/**
 * Every `aws:` key of the stack's config as the provider's arguments (`aws:region` → `region`,
 * `aws:assumeRoles` → `assumeRoles`, ...): an explicit provider reads none of them by itself, and
 * a setting silently dropped (a role to assume, the allowed accounts) would deploy elsewhere.
 */
export function awsProviderSettings(config: Record<string, string>, isSecret: (key: string) => boolean = configIsSecret): aws.ProviderArgs {
  const settings: Record<string, unknown> = {};
  for (const [key, text] of Object.entries(config)) {
    if (!key.startsWith("aws:")) continue;
    let value: unknown = text;
    try {
      value = JSON.parse(text);
    } catch {
      // A plain string (a region, a profile).
    }
    const name = key.slice("aws:".length);
    // A secret stays one (encrypted in the state), and credentials always are.
    settings[name] = isSecret(key) || CREDENTIAL_KEYS.has(name) ? pulumi.secret(value) : value;
  }
  return settings as aws.ProviderArgs;
}

/** Provider settings that are credentials, kept secret even when set in plain config. */
const CREDENTIAL_KEYS = new Set(["accessKey", "secretKey", "token"]);

function configIsSecret(key: string): boolean {
  const runtime = pulumi.runtime as unknown as { isConfigSecret?: (key: string) => boolean };
  return runtime.isConfigSecret?.(key) ?? false;
}
