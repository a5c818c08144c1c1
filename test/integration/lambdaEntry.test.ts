import { expect } from "chai";
import { ScanCommand } from "@aws-sdk/client-dynamodb";
import { createBuiltInJobTypes } from "../../handlers/domain/jobTypes";
import { createApiLambda as createUncheckedApiLambda, createSweeperLambda, createWorkerLambda } from "../../handlers/lambda";
import { openApiDocument } from "../../handlers/openapi";
import { awsEnvironmentFor, startEmulators, type Emulators } from "../../local/emulators";
import { SqsEventSource } from "../../local/sqsEvents";
import { apiEvent, lambdaContext } from "../helpers/events";
import { FakeKms } from "../helpers/fakeKms";
import { openApiChecker, withOpenApiCheck } from "../helpers/openApiCheck";

/** The api entry point, every answer checked against the OpenAPI document of a `none` stack. */
function createApiLambda(...args: Parameters<typeof createUncheckedApiLambda>) {
  return withOpenApiCheck(createUncheckedApiLambda(...args), openApiChecker(openApiDocument({ jobTypes: createBuiltInJobTypes(), authMode: "none" })));
}

/** The entry points as Lambda builds them: everything from the environment, endpoints included. */
describe("Lambda entry factories, configured only by environment variables", function () {
  let emulators: Emulators;
  const saved = { ...process.env };
  before(async () => {
    emulators = await startEmulators({ tableName: `entry-${Date.now()}` });
    Object.assign(process.env, {
      ...awsEnvironmentFor(emulators),
      CLOUDQUEUE_TABLE_NAME: emulators.tableName,
      CLOUDQUEUE_QUEUE_URL: emulators.queueUrl,
    });
  });
  after(async () => {
    process.env = saved;
    await emulators.close();
  });

  it("submit, process and read a job through the three entry points", async () => {
    const api = createApiLambda();
    const worker = createWorkerLambda();
    const sweeper = createSweeperLambda();
    const events = new SqsEventSource(emulators.sqs, emulators.queueUrl, emulators.queueArn);

    const submitted = await api(apiEvent({ method: "POST", path: "/jobs", body: { type: "hash.digest", payload: { text: "abc", algorithm: "sha256" } } }));
    expect(submitted.statusCode).to.equal(202);
    const { jobId } = JSON.parse(submitted.body);
    const messages = await events.receive(10, 0);
    const response = await worker(events.toEvent(messages), lambdaContext());
    await events.settle(messages, response);
    const read = await api(apiEvent({ method: "GET", path: `/jobs/${jobId}` }));
    const report = await sweeper();

    expect(response.batchItemFailures).to.deep.equal([]);
    expect(JSON.parse(read.body)).to.deep.include({
      status: "SUCCEEDED",
      result: { algorithm: "sha256", hex: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
    });
    expect(report).to.include({ examined: 0, errors: 0 });
  });

  it("derives key-derived ids from the KMS key its environment names: one GenerateMac per container, replays found again", async () => {
    const kms = await FakeKms.start();
    try {
      const keyArn = "arn:aws:kms:us-east-1:123456789012:key/0f0e0d0c-0b0a-4908-8706-050403020100";
      // As on Lambda: the SDK client reads its endpoint from the process's environment.
      process.env.AWS_ENDPOINT_URL_KMS = kms.endpoint;
      const api = createApiLambda({ ...process.env, CLOUDQUEUE_ID_KEY_ARN: keyArn, CLOUDQUEUE_ID_KEY_GENERATION: "3" });
      expect(kms.calls, "building the handler calls nothing").to.have.length(0);
      const submit = () => api(apiEvent({ method: "POST", path: "/jobs", body: { type: "hash.digest", payload: { text: "k", algorithm: "sha256" } }, headers: { "Idempotency-Key": "entry-key" } }));
      const first = await submit();
      const again = await submit();
      expect(kms.calls, "one call for both requests").to.have.length(1);
      expect(first.statusCode).to.equal(202);
      expect(again.statusCode).to.equal(200);
      expect(JSON.parse(again.body).jobId).to.equal(JSON.parse(first.body).jobId);
      expect(kms.calls[0]).to.deep.equal({ keyId: keyArn, message: "cloudqueue/idempotency-key-secret/generation-3" });
    } finally {
      delete process.env.AWS_ENDPOINT_URL_KMS;
      await kms.close();
    }
  });

  it("answers a keyed submission 503 and stores nothing when it has no id secret; unkeyed ones still go through", async () => {
    const api = createApiLambda({ ...process.env, CLOUDQUEUE_ID_KEY_ARN: undefined });
    const items = async () => (await emulators.dynamo.send(new ScanCommand({ TableName: emulators.tableName, Select: "COUNT" }))).Count;
    const before = await items();
    const keyed = await api(apiEvent({ method: "POST", path: "/jobs", body: { type: "hash.digest", payload: { text: "k", algorithm: "sha256" } }, headers: { "Idempotency-Key": "no-secret" } }));
    expect(keyed.statusCode).to.equal(503);
    expect(keyed.headers["retry-after"]).to.equal("1");
    expect(await items()).to.equal(before);
    const plain = await api(apiEvent({ method: "POST", path: "/jobs", body: { type: "hash.digest", payload: { text: "k", algorithm: "sha256" } } }));
    expect(plain.statusCode).to.equal(202);
  });

  it("refuses to start with a missing or bad setting, naming it", () => {
    const env = { ...process.env, CLOUDQUEUE_QUEUE_URL: undefined, CLOUDQUEUE_MAX_BODY_BYTES: "lots" };
    expect(() => createApiLambda(env)).to.throw(/CLOUDQUEUE_QUEUE_URL.*CLOUDQUEUE_MAX_BODY_BYTES/);
    expect(() => createApiLambda({ ...process.env, CLOUDQUEUE_AUTH_MODE: "open" })).to.throw(/CLOUDQUEUE_AUTH_MODE/);
    expect(() => createApiLambda({ ...process.env, CLOUDQUEUE_ID_KEY_ARN: "not-an-arn" })).to.throw(/CLOUDQUEUE_ID_KEY_ARN/);
  });
});
