import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { createApiLambda } from "../../handlers/lambda";
process.on("unhandledRejection", (e) => console.log("UNHANDLED", e));
describe("spike", function () {
  this.timeout(60000);
  it("serializes", async () => {
    pulumi.runtime.setMocks({
      newResource: (a) => { console.log("new", a.type, a.name); return ({ id: a.name + "_id", state: a.inputs }); },
      call: (a) => a.inputs,
    }, "p", "s", false);
    const t0 = Date.now();
    const fn = new aws.lambda.CallbackFunction("api", { role: "arn:aws:iam::1:role/x", callbackFactory: () => createApiLambda(),
      codePathOptions: { extraExcludePackages: ["@aws-sdk/client-dynamodb", "@aws-sdk/client-sqs", "@aws-sdk/lib-dynamodb", "@aws-sdk/util-dynamodb"] } });
    const closure = pulumi.runtime.serializeFunction(() => createApiLambda(), { isFactoryFunction: true, allowSecrets: true });
    closure.then((c) => console.log("closure ok", c.text.length), (e) => console.log("closure err", e));
    const arn: any = await new Promise((r) => fn.arn.apply(r));
    console.log("arn", arn);
    const code: any = await new Promise((r) => fn.code.apply(r));
    console.log(Date.now() - t0, Object.keys(code.assets));
  });
});
