import { expect } from "chai";
import { jsonLogger, silentLogger } from "../../handlers/log";
import { recoverActiveJobs } from "../../local/recovery";
import { apiEvent, lambdaContext } from "../helpers/events";
import { TestStack } from "../helpers/stack";

/**
 * The API's request id reaches the worker's records of a job however its message was sent: by the
 * api, by the local stack's startup recovery (which re-enqueues from the table), or by hand or
 * from before the attribute existed (no `cloudqueue-request-id`: the job's stored `requestId`).
 */
describe("the API request id on the worker's records, whoever sent the message", function () {
  this.timeout(60_000);
  const lines: string[] = [];
  let stack: TestStack;

  before(async () => {
    stack = await TestStack.start({ logger: jsonLogger({ namespace: "CloudQueue/test", write: (line) => lines.push(line) }) });
  });
  after(async () => stack?.close());

  it("keeps apiRequestId on the worker's records of a job re-enqueued by the startup recovery", async () => {
    const event = apiEvent({ method: "POST", path: "/jobs", body: { type: "text.transform", payload: { text: "a b" } } });
    const apiRequestId = event.requestContext.requestId;
    const response = await stack.api(event, { awsRequestId: "lambda-1" });
    stack.assertConforms(event, response);
    expect(response.statusCode).to.equal(202);
    const jobId = JSON.parse(response.body!).jobId as string;
    expect((await stack.job(jobId)).requestId, "stored on the job").to.equal(apiRequestId);

    // A restart of `npm start` before the worker ran: the in-memory queue is gone, recovery re-enqueues.
    await stack.purge();
    await recoverActiveJobs({
      dynamo: stack.emulators.dynamo,
      tableName: stack.emulators.tableName,
      queue: stack.queue,
      logger: silentLogger,
      sweepGraceSeconds: stack.storeSettings.sweepGraceSeconds,
    });
    lines.length = 0;
    await stack.runUntilTerminal([jobId], { remainingMs: lambdaContext().getRemainingTimeInMillis() });

    const workerRecords = lines.map((line) => JSON.parse(line)).filter((record) => record.jobId === jobId && record.by === "worker");
    expect(workerRecords.map((record) => `${record.from}→${record.to}`)).to.deep.equal(["QUEUED→IN_PROGRESS", "IN_PROGRESS→SUCCEEDED"]);
    for (const record of workerRecords) expect(record.apiRequestId, `${record.from}→${record.to}`).to.equal(apiRequestId);
  });

  it("keeps apiRequestId on the worker's records of a job whose message has no attribute (sent by hand)", async () => {
    const event = apiEvent({ method: "POST", path: "/jobs", body: { type: "text.transform", payload: { text: "c d" } } });
    const response = await stack.api(event, { awsRequestId: "lambda-2" });
    stack.assertConforms(event, response);
    const jobId = JSON.parse(response.body!).jobId as string;
    await stack.purge();
    await stack.sendRaw(JSON.stringify({ jobId }));
    lines.length = 0;
    await stack.runUntilTerminal([jobId]);
    const workerRecords = lines.map((line) => JSON.parse(line)).filter((record) => record.jobId === jobId && record.by === "worker");
    expect(workerRecords).to.have.length(2);
    for (const record of workerRecords) expect(record.apiRequestId, `${record.from}→${record.to}`).to.equal(event.requestContext.requestId);
  });
});
