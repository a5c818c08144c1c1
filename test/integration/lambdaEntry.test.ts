import { expect } from "chai";
import { createApiLambda, createSweeperLambda, createWorkerLambda } from "../../handlers/lambda";
import { awsEnvironmentFor, startEmulators, type Emulators } from "../../local/emulators";
import { SqsEventSource } from "../../local/sqsEvents";
import { apiEvent, lambdaContext } from "../helpers/events";

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

  it("refuses to start with a missing or bad setting, naming it", () => {
    const env = { ...process.env, CLOUDQUEUE_QUEUE_URL: undefined, CLOUDQUEUE_MAX_BODY_BYTES: "lots" };
    expect(() => createApiLambda(env)).to.throw(/CLOUDQUEUE_QUEUE_URL.*CLOUDQUEUE_MAX_BODY_BYTES/);
  });
});
