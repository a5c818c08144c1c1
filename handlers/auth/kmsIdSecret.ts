import type { KMSClient } from "@aws-sdk/client-kms";
import { IdSecretUnavailableError } from "../errors";
import type { IdSecretSource } from "./idSecret";

/**
 * The id secret of a deployed stack, derived from its KMS HMAC key: one `GenerateMac` of a fixed
 * label per container, the first time a key-derived id is needed. The key material never leaves
 * KMS, so the secret is in no function configuration, stack output, log, Pulumi state or code;
 * only a caller allowed `kms:GenerateMac` on the key (the api's role) can derive it.
 *
 * The label carries the generation (`idKeyGeneration`): raising it derives a new secret, which is
 * how the secret is rotated (KMS does not rotate HMAC keys).
 *
 * The KMS client package is loaded with the first derivation, not with the function: a cold start
 * that serves no keyed submission does not pay for loading it.
 */
export class KmsIdSecret implements IdSecretSource {
  private secret: Promise<Uint8Array> | undefined;

  /** @param kms the client to use (tests pass one); by default one configured from the environment, made on first use */
  constructor(
    private readonly keyArn: string,
    private readonly generation: number,
    private kms?: KMSClient,
  ) {}

  get(): Promise<Uint8Array> {
    // One call per container; a failed call is not kept, so the next request tries again.
    this.secret ??= this.derive().catch((error: unknown) => {
      this.secret = undefined;
      throw error;
    });
    return this.secret;
  }

  private async derive(): Promise<Uint8Array> {
    let mac: Uint8Array | undefined;
    try {
      const { GenerateMacCommand, KMSClient } = await import("@aws-sdk/client-kms");
      // Short timeouts: an unreachable KMS must end in the 503 well inside the api's 10 s, never hang it.
      this.kms ??= new KMSClient({ maxAttempts: 2, requestHandler: { connectionTimeout: 1_000, requestTimeout: 2_000 } });
      ({ Mac: mac } = await this.kms.send(
        new GenerateMacCommand({
          KeyId: this.keyArn,
          MacAlgorithm: "HMAC_SHA_256",
          Message: new TextEncoder().encode(`cloudqueue/idempotency-key-secret/generation-${this.generation}`),
        }),
      ));
    } catch (error) {
      throw new IdSecretUnavailableError({ cause: error });
    }
    if (!mac || mac.length < 32) throw new IdSecretUnavailableError({ cause: new Error("KMS GenerateMac returned no 32-byte MAC") });
    return mac;
  }
}

/** An id secret held in memory: the local stack's (read from its data folder) and the tests'. */
export function staticIdSecret(secret: Uint8Array): IdSecretSource {
  if (secret.length < 32) throw new Error("an id secret has at least 32 bytes");
  return { get: async () => secret };
}
