/**
 * Where the api gets the secret of key-derived job ids (`keyedJobId`): a per-stack secret that
 * never appears in a function's configuration, the program's outputs, the logs or the code. On
 * AWS it is derived from the stack's KMS HMAC key (`KmsIdSecret`); the local stack keeps one in
 * its data folder.
 */
export interface IdSecretSource {
  /** The secret bytes (at least 32). Read once per container: later calls return the same bytes. */
  get(): Promise<Uint8Array>;
}
