import { expect } from "chai";
import { TestStack } from "../helpers/stack";

describe("smoke", function () {
  let stack: TestStack;
  before(async () => (stack = await TestStack.start()));
  after(async () => stack.close());

  it("runs a text.transform job end to end", async () => {
    const jobId = await stack.submit({ type: "text.transform", payload: { text: "hello cloudqueue" } });
    const [job] = await stack.runUntilTerminal([jobId]);
    expect(job!.status).to.equal("SUCCEEDED");
    expect(job!.result).to.deep.equal({ originalLength: 16, uppercase: "HELLO CLOUDQUEUE", wordCount: 2 });
  });
});
