import * as path from "node:path";
import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import { promiseOf } from "./program";

describe("index.ts", function () {
  this.timeout(60_000);

  it("reads the stack's config and exports apiUrl, siteUrl, tableName, queueUrl, dlqUrl and dashboardUrl", async () => {
    await pulumi.runtime.setMocks(
      {
        newResource: (args) => ({
          id: `${args.name}-id`,
          state: { ...args.inputs, arn: `arn:aws:test:us-east-1:123456789012:${args.name}`, name: args.inputs.name ?? args.name, url: `https://sqs.example/${args.name}`, apiEndpoint: `https://${args.name}.execute-api.example`, domainName: `${args.name}.cloudfront.net` },
        }),
        call: () => ({ region: "us-east-1" }),
      },
      "cloudqueue",
      "dev",
      false,
    );
    const program = require(path.join(__dirname, "../../index.ts"));
    expect(Object.keys(program).sort()).to.deep.equal(["apiUrl", "dashboardUrl", "dlqUrl", "queueUrl", "siteUrl", "tableName"]);
    expect(await promiseOf(program.apiUrl)).to.equal("https://cloudqueue-api.execute-api.example");
    expect(await promiseOf(program.siteUrl)).to.equal("https://cloudqueue-site-cdn.cloudfront.net");
    expect(await promiseOf(program.tableName)).to.equal("cloudqueue-jobs");
    expect(await promiseOf(program.queueUrl)).to.equal("https://sqs.example/cloudqueue-queue");
    expect(await promiseOf(program.dlqUrl)).to.equal("https://sqs.example/cloudqueue-dlq");
    expect(await promiseOf(program.dashboardUrl)).to.match(/^https:\/\/us-east-1\.console\.aws\.amazon\.com\/cloudwatch\/home\?region=us-east-1#dashboards\/dashboard\/cloudqueue-dev-us-east-1-[0-9a-f]{8}$/);
  });
});
