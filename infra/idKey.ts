import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** The key's spec and usage: HMAC-SHA-256, used only to generate (and verify) MACs. */
export const ID_KEY_SPEC = { customerMasterKeySpec: "HMAC_256", keyUsage: "GENERATE_VERIFY_MAC" } as const;

/**
 * Days a deleted key waits before KMS destroys it: the maximum. Once the key is gone no
 * `Idempotency-Key` maps to its job any more, so a `pulumi destroy` by mistake leaves a month to
 * `kms cancel-key-deletion`.
 */
export const ID_KEY_DELETION_WINDOW_DAYS = 30;

/**
 * The stack's KMS HMAC key, from which the api derives the secret of key-derived job ids with one
 * `kms:GenerateMac` per container (`handlers/auth/kmsIdSecret.ts`). The key material is made in
 * KMS and never leaves it: the secret is in no function configuration, stack output, log, Pulumi
 * state or code, and only a principal allowed `kms:GenerateMac` on this key can derive it.
 *
 * Key policy: the default one (no `policy` given). Its single statement lets the account's IAM
 * policies grant use of the key, so the api's role policy (exactly `kms:GenerateMac` on this ARN)
 * is what grants it, and the worker and the sweeper, granted nothing, cannot. A tighter policy
 * naming the api's role would also shut out the account's administrators (`kms:*` in IAM), but
 * they can read every job in the table already, and such a policy must be kept in step with the
 * role, admit the deployer (KMS refuses a policy that locks its creator out) and would order the
 * role before the key: more to get wrong for no secret it keeps better.
 *
 * Rotation: KMS rotates no HMAC key automatically; the secret is rotated by raising
 * `idKeyGeneration`, which changes the message the api MACs.
 */
export class IdKey extends pulumi.ComponentResource {
  public readonly key: aws.kms.Key;
  /** The key's ARN: what the api is told (`CLOUDQUEUE_ID_KEY_ARN`) and granted `kms:GenerateMac` on. */
  public readonly arn: pulumi.Output<string>;

  constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
    super("cloudqueue:infra:IdKey", name, {}, opts);
    this.key = new aws.kms.Key(
      `${name}-id-key`,
      {
        description: "CloudQueue: derives the api's secret for key-derived job ids (GenerateMac only)",
        ...ID_KEY_SPEC,
        // KMS cannot rotate an HMAC key; idKeyGeneration rotates the derived secret instead.
        enableKeyRotation: false,
        deletionWindowInDays: ID_KEY_DELETION_WINDOW_DAYS,
      },
      { parent: this },
    );
    this.arn = this.key.arn;
    this.registerOutputs({ arn: this.arn });
  }
}
