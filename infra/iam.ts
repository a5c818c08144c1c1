import * as pulumi from "@pulumi/pulumi";

/** One Allow statement: exact actions on exact resources (no wildcards, by design). */
export interface Grant {
  actions: string[];
  resources: pulumi.Input<string>[];
}

/** An IAM policy document allowing exactly `grants`. */
export function policyDocument(grants: Grant[]): pulumi.Output<string> {
  return pulumi.jsonStringify({
    Version: "2012-10-17",
    Statement: grants.map((grant) => ({ Effect: "Allow", Action: grant.actions, Resource: grant.resources })),
  });
}

/** The trust policy that lets Lambda assume a function's role. */
export const LAMBDA_ASSUME_ROLE_POLICY = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
});
