import { expect } from "chai";
import { KMSClient } from "@aws-sdk/client-kms";
import { KmsIdSecret, staticIdSecret } from "../../../handlers/auth/kmsIdSecret";
import { IdSecretUnavailableError } from "../../../handlers/errors";
import { FakeKms } from "../../helpers/fakeKms";

const KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

describe("KmsIdSecret: the id secret derived from the stack's KMS HMAC key", function () {
  let kms: FakeKms;
  let client: KMSClient;
  before(async () => {
    kms = await FakeKms.start();
    client = new KMSClient({ endpoint: kms.endpoint, region: "eu-west-1", credentials: { accessKeyId: "test", secretAccessKey: "test" }, maxAttempts: 1 });
  });
  after(() => kms.close());
  beforeEach(() => {
    kms.calls.length = 0;
    kms.failWith = undefined;
  });

  it("derives the secret with one GenerateMac of the generation's label, and keeps it for the container", async () => {
    const source = new KmsIdSecret(KEY_ARN, 1, client);
    const [first, second] = await Promise.all([source.get(), source.get()]);
    const third = await source.get();

    const label = "cloudqueue/idempotency-key-secret/generation-1";
    expect(kms.calls).to.deep.equal([{ keyId: KEY_ARN, message: label }]);
    expect(Buffer.from(first)).to.deep.equal(kms.macOf(label));
    expect(second).to.equal(first);
    expect(third).to.equal(first);
  });

  it("derives another secret for another generation (rotation)", async () => {
    const one = await new KmsIdSecret(KEY_ARN, 1, client).get();
    const two = await new KmsIdSecret(KEY_ARN, 2, client).get();
    expect(Buffer.from(two)).to.not.deep.equal(Buffer.from(one));
    expect(kms.calls.map((call) => call.message)).to.deep.equal(["cloudqueue/idempotency-key-secret/generation-1", "cloudqueue/idempotency-key-secret/generation-2"]);
  });

  it("turns a KMS failure into IdSecretUnavailableError and does not keep it: the next call tries again", async () => {
    const source = new KmsIdSecret(KEY_ARN, 1, client);
    kms.failWith = "AccessDeniedException";
    const error = await source.get().then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).to.be.instanceOf(IdSecretUnavailableError);
    kms.failWith = undefined;
    expect((await source.get()).length).to.equal(32);
  });

  it("refuses a static secret shorter than 32 bytes", () => {
    expect(() => staticIdSecret(new Uint8Array(16))).to.throw(/32 bytes/);
  });
});
