import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface OperationsArgs {
  /** Who is told: confirms an SNS subscription, receives the alarms and the budget alerts. */
  alertEmail: string;
  /** Monthly cost limit in USD. @default 10 */
  monthlyBudgetUsd: number;
  /**
   * The cost allocation tag the budget counts: only this stack's resources. AWS Budgets filters
   * on user-defined tags once the tag is activated for cost allocation in Billing.
   */
  costFilterTag: { key: string; value: string };
}

/**
 * Who is told (SPEC §5, §7): the SNS topic every alarm notifies (`infra/observability.ts` declares
 * the alarms, the DLQ's among them), mailed to `alertEmail`, and a monthly AWS Budget of this
 * stack's tagged resources that mails at 80 % of actual and 100 % of forecast cost.
 * Built only when an email is configured.
 */
export class Operations extends pulumi.ComponentResource {
  public readonly topic: aws.sns.Topic;
  public readonly subscription: aws.sns.TopicSubscription;
  public readonly budget: aws.budgets.Budget;

  constructor(name: string, args: OperationsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cloudqueue:infra:Operations", name, {}, opts);
    this.topic = new aws.sns.Topic(`${name}-alerts`, {}, { parent: this });
    this.subscription = new aws.sns.TopicSubscription(`${name}-alerts-email`, { topic: this.topic.arn, protocol: "email", endpoint: args.alertEmail }, { parent: this });
    this.budget = new aws.budgets.Budget(
      `${name}-monthly-budget`,
      {
        budgetType: "COST",
        limitAmount: args.monthlyBudgetUsd.toFixed(2),
        limitUnit: "USD",
        timeUnit: "MONTHLY",
        costFilters: [{ name: "TagKeyValue", values: [`user:${args.costFilterTag.key}$${args.costFilterTag.value}`] }],
        notifications: [
          { notificationType: "ACTUAL", comparisonOperator: "GREATER_THAN", threshold: 80, thresholdType: "PERCENTAGE", subscriberEmailAddresses: [args.alertEmail] },
          { notificationType: "FORECASTED", comparisonOperator: "GREATER_THAN", threshold: 100, thresholdType: "PERCENTAGE", subscriberEmailAddresses: [args.alertEmail] },
        ],
      },
      { parent: this },
    );
    this.registerOutputs({ topicArn: this.topic.arn });
  }
}
