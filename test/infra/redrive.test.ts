import { expect } from "chai";
import { ReceiveMessageCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import { startEmulators, type Emulators } from "../../local/emulators";
import { queueArnOf, redrive } from "../../cli/redrive";

describe("cli/redrive", function () {
  this.timeout(30_000);
  let emulators: Emulators;
  before(async () => {
    emulators = await startEmulators({ tableName: `redrive-${Date.now()}`, queueName: `redrive-q-${Date.now()}`, dlqName: `redrive-dlq-${Date.now()}` });
  });
  after(async () => emulators?.close());

  it("moves every dead letter back to the job queue with StartMessageMoveTask", async () => {
    const bodies = ['{"jobId":"a"}', '{"jobId":"b"}', '{"jobId":"c"}'];
    for (const body of bodies) await emulators.sqs.send(new SendMessageCommand({ QueueUrl: emulators.dlqUrl, MessageBody: body }));
    // Messages that reached the DLQ by redrive carry their source; sent directly they do not, so name it.
    const dlqArn = await queueArnOf(emulators.sqs, emulators.dlqUrl);
    expect(dlqArn).to.equal(emulators.dlqArn);

    const result = await redrive(emulators.sqs, { dlqArn, destinationArn: emulators.queueArn, pollMs: 50 });

    expect(result.status).to.equal("COMPLETED");
    expect(result.moved).to.equal(3);
    const { Messages } = await emulators.sqs.send(new ReceiveMessageCommand({ QueueUrl: emulators.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    expect((Messages ?? []).map((message) => message.Body).sort()).to.deep.equal(bodies);
    const left = await emulators.sqs.send(new ReceiveMessageCommand({ QueueUrl: emulators.dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    expect(left.Messages ?? []).to.deep.equal([]);
  });
});
