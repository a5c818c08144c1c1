import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { JOB_TABLE, jobTableIndexes, jobTableKeyAttributes } from "../handlers/settings";

export interface JobTableArgs {
  /** Point-in-time recovery. @default false (`pointInTimeRecovery`) */
  pointInTimeRecovery: boolean;
  /** Refuse deletion of the table. @default false (`deletionProtection`) */
  deletionProtection: boolean;
}

/**
 * The jobs table (SPEC §7): on-demand, the sparse sharded sweep index, the two listing indexes
 * (docs/OPERATIONS.md), TTL on terminal jobs. Its
 * shape comes from `JOB_TABLE`, the same definition the local stack creates.
 */
export class JobTable extends pulumi.ComponentResource {
  public readonly table: aws.dynamodb.Table;
  public readonly name: pulumi.Output<string>;
  public readonly arn: pulumi.Output<string>;
  /** ARN of the sweep index, what the sweeper's `dynamodb:Query` is granted on. */
  public readonly sweepIndexArn: pulumi.Output<string>;
  /** ARNs of the two listing indexes, what the api's `dynamodb:Query` is granted on. */
  public readonly listingIndexArns: pulumi.Output<string>[];

  constructor(name: string, args: JobTableArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cloudqueue:infra:JobTable", name, {}, opts);
    this.table = new aws.dynamodb.Table(
      `${name}-jobs`,
      {
        billingMode: "PAY_PER_REQUEST",
        hashKey: JOB_TABLE.hashKey,
        attributes: jobTableKeyAttributes(),
        globalSecondaryIndexes: jobTableIndexes().map((index) => ({
          name: index.name,
          hashKey: index.hashKey,
          rangeKey: index.rangeKey,
          projectionType: index.projection,
          ...("nonKeyAttributes" in index && { nonKeyAttributes: [...index.nonKeyAttributes] }),
        })),
        ttl: { attributeName: JOB_TABLE.ttlAttribute, enabled: true },
        pointInTimeRecovery: { enabled: args.pointInTimeRecovery },
        deletionProtectionEnabled: args.deletionProtection,
      },
      { parent: this },
    );
    this.name = this.table.name;
    this.arn = this.table.arn;
    this.sweepIndexArn = pulumi.interpolate`${this.table.arn}/index/${JOB_TABLE.sweepIndex.name}`;
    this.listingIndexArns = [JOB_TABLE.listIndex, JOB_TABLE.doneIndex].map((index) => pulumi.interpolate`${this.table.arn}/index/${index.name}`);
    this.registerOutputs({ name: this.name, arn: this.arn, sweepIndexArn: this.sweepIndexArn, listingIndexArns: this.listingIndexArns });
  }
}
