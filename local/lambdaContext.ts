import { randomUUID } from "node:crypto";
import type { Context } from "aws-lambda";

/**
 * The context Lambda passes to one invocation of `functionName` whose timeout is
 * `timeoutSeconds`: `getRemainingTimeInMillis()` counts down from the timeout, as it does on AWS.
 */
export function lambdaContext(functionName: string, timeoutSeconds: number, region: string): Context {
  const deadline = Date.now() + timeoutSeconds * 1000;
  const awsRequestId = randomUUID();
  const unsupported = () => {
    throw new Error("the callback-style context methods are not supported: return a promise");
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:${region}:000000000000:function:${functionName}`,
    memoryLimitInMB: "512",
    awsRequestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/${awsRequestId}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}
