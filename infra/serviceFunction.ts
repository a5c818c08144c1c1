import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import packageJson from "../package.json";
import type { StackLogLevel } from "./config";
import { LAMBDA_ASSUME_ROLE_POLICY, policyDocument, type Grant } from "./iam";

/** The one place the Lambda runtime is named. */
export const LAMBDA_RUNTIME = aws.lambda.Runtime.NodeJS22dX;
/** Graviton: cheaper per GB-second than x86 for the same work. */
export const LAMBDA_ARCHITECTURE = "arm64";

/**
 * Packages left out of the uploaded archive because the `nodejs22.x` runtime provides them
 * (AWS SDK for JavaScript v3, in `/var/runtime/node_modules`): every `@aws-sdk/*` dependency.
 * The handlers only use long-stable operations of DynamoDB and SQS, so the runtime's SDK version
 * is enough, and each archive stays a few hundred KB instead of several MB.
 */
export const RUNTIME_PROVIDED_PACKAGES: readonly string[] = Object.keys(packageJson.dependencies).filter((name) => name.startsWith("@aws-sdk/"));

export interface ServiceFunctionArgs<E, R> {
  /** Builds the handler once per container; must capture nothing from `@pulumi` (see infra/functions.ts). */
  callbackFactory: aws.lambda.CallbackFactory<E, R>;
  description: string;
  timeoutSeconds: number;
  memoryMb: number;
  logRetentionDays: number;
  environment: Record<string, pulumi.Input<string>>;
  /**
   * Lambda drops application records below this level (and tells the handlers through
   * `AWS_LAMBDA_LOG_LEVEL`). Never above INFO: the INFO transition records carry the metrics.
   * @default "INFO" (`logLevel`)
   */
  applicationLogLevel: StackLogLevel;
  /** Everything the function may do besides writing its own logs. */
  grants: Grant[];
}

/**
 * One Lambda function with its own role, an inline policy of exactly `grants` plus writing to its
 * own log group, and that log group (retention set, JSON log format). Never CallbackFunction's
 * default managed policies: a `role` is always passed.
 */
export class ServiceFunction<E, R> extends pulumi.ComponentResource {
  public readonly function: aws.lambda.CallbackFunction<E, R>;
  public readonly role: aws.iam.Role;
  public readonly policy: aws.iam.RolePolicy;
  public readonly logGroup: aws.cloudwatch.LogGroup;

  constructor(name: string, args: ServiceFunctionArgs<E, R>, opts?: pulumi.ComponentResourceOptions) {
    super("cloudqueue:infra:ServiceFunction", name, {}, opts);
    this.logGroup = new aws.cloudwatch.LogGroup(
      `${name}-logs`,
      { namePrefix: `/cloudqueue/${name}-`, retentionInDays: args.logRetentionDays },
      { parent: this },
    );
    this.role = new aws.iam.Role(`${name}-role`, { assumeRolePolicy: LAMBDA_ASSUME_ROLE_POLICY }, { parent: this });
    this.policy = new aws.iam.RolePolicy(
      `${name}-policy`,
      {
        role: this.role.id,
        policy: policyDocument([
          ...args.grants,
          // Lambda creates streams in the group named by loggingConfig; no logs:CreateLogGroup.
          { actions: ["logs:CreateLogStream", "logs:PutLogEvents"], resources: [pulumi.interpolate`${this.logGroup.arn}:*`] },
        ]),
      },
      { parent: this },
    );
    this.function = new aws.lambda.CallbackFunction<E, R>(
      `${name}`,
      {
        description: args.description,
        callbackFactory: args.callbackFactory,
        role: this.role,
        runtime: LAMBDA_RUNTIME,
        architectures: [LAMBDA_ARCHITECTURE],
        timeout: args.timeoutSeconds,
        memorySize: args.memoryMb,
        environment: { variables: args.environment },
        // systemLogLevel INFO keeps Lambda's platform records (start, report: duration, billed
        // duration, memory used, init duration), the first thing an operator reads.
        loggingConfig: { logFormat: "JSON", logGroup: this.logGroup.name, applicationLogLevel: args.applicationLogLevel, systemLogLevel: "INFO" },
        // A copy: CallbackFunction adds its own entries to the array it is given.
        codePathOptions: { extraExcludePackages: [...RUNTIME_PROVIDED_PACKAGES] },
      },
      // The policy first: an event source mapping is refused while the role cannot read the queue.
      { parent: this, dependsOn: [this.policy] },
    );
    this.registerOutputs({ arn: this.function.arn });
  }
}
