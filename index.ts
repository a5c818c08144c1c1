import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { readConfig } from "./infra/config";
import { createCloudQueue } from "./infra/stack";

// Wiring only: config → infra components → outputs.
const config = readConfig(new pulumi.Config());
const cloudQueue = createCloudQueue(config, { siteDir: path.join(__dirname, "site") });

export const apiUrl = cloudQueue.outputs.apiUrl;
export const siteUrl = cloudQueue.outputs.siteUrl;
export const tableName = cloudQueue.outputs.tableName;
export const queueUrl = cloudQueue.outputs.queueUrl;
export const dlqUrl = cloudQueue.outputs.dlqUrl;
export const dashboardUrl = cloudQueue.outputs.dashboardUrl;
