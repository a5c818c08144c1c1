import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, StartMessageMoveTaskCommand, ListMessageMoveTasksCommand } from "@aws-sdk/client-sqs";
import { expect } from "chai";
import { FaultKind } from "../helpers/awsFaults";
import { Cluster, mapLimit, report, type ProbePayload } from "./cluster";

describe("reliability: load with faults everywhere, poison messages, DLQ redrive", function () {
  this.timeout(300_000);
  let cluster: Cluster;
  afterEach(async () => cluster?.stop());

  it("loses nothing and commits each job once: 2 000 jobs, 50 clients, 10% transient faults on every AWS call", async () => {
    cluster = await Cluster.start({ pollers: 8 });
    cluster.faults.rules = [
      { kind: FaultKind.throttle, rate: 0.08 },
      { kind: FaultKind.lostResponse, rate: 0.02 },
    ];
    const accepted = new Map<string, ProbePayload>();
    let refused = 0;
    const started = Date.now();
    // Every tenth job fails once before succeeding, every fiftieth fails for good.
    const payloadOf = (n: number): ProbePayload => ({ n, ...(n % 10 === 0 && { failTimes: 1 }), ...(n % 50 === 0 && { permanent: true }) });
    await mapLimit(Array.from({ length: 2_000 }, (_, n) => n), 50, async (n) => {
      const payload = payloadOf(n);
      const jobId = await cluster.submit(payload, `load-${n}-${started}`);
      if (jobId) accepted.set(jobId, payload);
      else refused++;
    });
    const submittedMs = Date.now() - started;
    const finals = await cluster.waitTerminal([...accepted.keys()], 240_000);
    const seconds = (Date.now() - started) / 1000;
    const verdict = cluster.verdict(accepted, finals);

    report("load", {
      ...verdict,
      refusedAfterClientRetries: refused,
      submitSeconds: (submittedMs / 1000).toFixed(1),
      jobsPerSecond: (verdict.terminal / seconds).toFixed(1),
      throttles: cluster.faults.total(FaultKind.throttle),
      lostResponses: cluster.faults.total(FaultKind.lostResponse),
      faultsByOperation: JSON.stringify(Object.fromEntries(cluster.faults.injected)),
    });
    expect(refused).to.equal(0);
    expect(cluster.faults.total()).to.be.greaterThan(500);
    expect(verdict).to.include({ jobs: 2_000, terminal: 2_000, lost: 0, notExactlyOnce: 0, wrongResults: 0 });
    // 160 jobs fail their first attempt then succeed, 40 fail for good at once: 2 160 runs if no
    // attempt was lost. An attempt whose claim answer was lost (a fault) runs nothing; the lease
    // ends and the next attempt, past failTimes, succeeds at once. So each transient job whose
    // attempt 1 ran must have run again, and every job ran at least once.
    const transient = [...accepted].filter(([, payload]) => payload.failTimes && !payload.permanent).map(([jobId]) => jobId);
    expect(transient).to.have.length(160);
    const firstAttemptRan = transient.filter((jobId) => cluster.attemptsRun.get(jobId)?.includes(1));
    for (const jobId of firstAttemptRan) expect(cluster.executions.get(jobId), `${jobId} failed attempt 1 and ran again`).to.be.at.least(2);
    expect(verdict.executions).to.be.at.least(2_000 + firstAttemptRan.length);
    report("load retries", { transientJobs: transient.length, firstAttemptLost: transient.length - firstAttemptRan.length });
  });

  it("moves a malformed message to the DLQ after maxReceiveCount receives, harming nothing else", async () => {
    cluster = await Cluster.start();
    const { emulators } = cluster;
    await emulators.sqs.send(new SendMessageCommand({ QueueUrl: emulators.queueUrl, MessageBody: "{poison" }));
    const jobIds = (await mapLimit(Array.from({ length: 20 }, (_, n) => n), 5, (n) => cluster.submit({ n }, `beside-poison-${n}-${Date.now()}`))) as string[];

    const finals = await cluster.waitTerminal(jobIds, 30_000);
    let dlqBodies: string[] = [];
    for (let waited = 0; waited < 30_000 && dlqBodies.length === 0; waited += 500) {
      const depth = await emulators.sqs.send(new GetQueueAttributesCommand({ QueueUrl: emulators.dlqUrl, AttributeNames: ["ApproximateNumberOfMessages"] }));
      if (Number(depth.Attributes?.ApproximateNumberOfMessages) > 0) {
        const { Messages } = await emulators.sqs.send(new ReceiveMessageCommand({ QueueUrl: emulators.dlqUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }));
        dlqBodies = (Messages ?? []).map((message) => message.Body!);
      } else {
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }

    report("malformed message", { dlqMessages: dlqBodies.length, otherJobs: jobIds.length, otherJobsSucceeded: [...finals.values()].filter((job) => job?.status === "SUCCEEDED").length });
    // Only the poison reached the DLQ. (local-aws-sqs may move one message there more than once;
    // AWS moves it once. Either way no job message was dead-lettered.)
    expect(dlqBodies).to.not.be.empty;
    expect(new Set(dlqBodies)).to.deep.equal(new Set(["{poison"]));
    expect([...finals.values()].every((job) => job?.status === "SUCCEEDED")).to.equal(true);
  });

  it("redrives the DLQ back to the queue without running terminal jobs again", async () => {
    cluster = await Cluster.start();
    const { emulators } = cluster;
    const jobIds = (await mapLimit(Array.from({ length: 10 }, (_, n) => n), 5, (n) => cluster.submit({ n }, `redrive-${n}-${Date.now()}`))) as string[];
    await cluster.waitTerminal(jobIds, 30_000);
    const executionsBefore = [...cluster.executions.values()].reduce((a, b) => a + b, 0);
    // Messages of finished jobs in the DLQ, as a crash loop would have left them.
    for (const jobId of jobIds) await emulators.sqs.send(new SendMessageCommand({ QueueUrl: emulators.dlqUrl, MessageBody: JSON.stringify({ jobId }) }));

    await emulators.sqs.send(new StartMessageMoveTaskCommand({ SourceArn: emulators.dlqArn, DestinationArn: emulators.queueArn }));
    for (let waited = 0; waited < 20_000; waited += 250) {
      const { Results } = await emulators.sqs.send(new ListMessageMoveTasksCommand({ SourceArn: emulators.dlqArn }));
      if (Results?.[0]?.Status === "COMPLETED") break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    for (let waited = 0; waited < 20_000; waited += 250) {
      const { Attributes } = await emulators.sqs.send(new GetQueueAttributesCommand({ QueueUrl: emulators.queueUrl, AttributeNames: ["All"] }));
      if (Number(Attributes?.ApproximateNumberOfMessages) + Number(Attributes?.ApproximateNumberOfMessagesNotVisible) === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const executionsAfter = [...cluster.executions.values()].reduce((a, b) => a + b, 0);
    const finals = await cluster.waitTerminal(jobIds, 1_000);

    report("DLQ redrive of terminal jobs", { redriven: jobIds.length, executionsBefore, executionsAfter, terminalCommits: [...cluster.faults.terminalWrites.values()].reduce((a, b) => a + b, 0) });
    expect(executionsAfter).to.equal(executionsBefore);
    expect([...finals.values()].every((job) => job?.status === "SUCCEEDED")).to.equal(true);
    const dlq = await emulators.sqs.send(new GetQueueAttributesCommand({ QueueUrl: emulators.dlqUrl, AttributeNames: ["ApproximateNumberOfMessages"] }));
    expect(Number(dlq.Attributes?.ApproximateNumberOfMessages)).to.equal(0);
  });
});
