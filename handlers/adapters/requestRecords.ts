import { randomUUID } from "node:crypto";
import { ConditionalCheckFailedException, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { storeError } from "../errors";
import { JOB_TABLE, type StoreSettings } from "../settings";

/** What starting a request under an `Idempotency-Key` found. */
export type RequestStart =
  | { state: "started"; token: string }
  | { state: "replay"; response: unknown }
  | { state: "conflict" }
  | { state: "in-progress" };

/** Records of requests made under an `Idempotency-Key` (the bulk actions'): the port. */
export interface RequestRecords {
  /** Claims `recordId` for a request with `requestHash`, or says what holds it. */
  begin(recordId: string, requestHash: string, nowMs: number): Promise<RequestStart>;
  /** Stores the response a replay answers. */
  complete(recordId: string, token: string, response: unknown, nowMs: number): Promise<void>;
  /** Gives the key up after a failure, so that a retry runs the request again. */
  release(recordId: string, token: string): Promise<void>;
}

/** How long a started request holds its key before a retry may take it over (it crashed). */
const LOCK_MS = 60_000;
/** How long a completed request's response is replayed. */
const KEEP_SECONDS = 86_400;

/**
 * Request records in the jobs table, under ids `request#<keyed id>` that no job id can equal
 * (job ids are UUIDs) and with no index attribute, so no listing, sweep or job read ever sees one;
 * TTL removes them a day after they complete. The shape is Powertools idempotency's: a record
 * `IN_PROGRESS` with a lock, then `COMPLETED` with the response.
 */
export class DynamoRequestRecords implements RequestRecords {
  private readonly documents: DynamoDBDocumentClient;

  constructor(client: DynamoDBClient, private readonly settings: Pick<StoreSettings, "tableName">) {
    this.documents = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  async begin(recordId: string, requestHash: string, nowMs: number): Promise<RequestStart> {
    const token = randomUUID();
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.settings.tableName,
          Item: { jobId: recordId, requestHash, recordState: "IN_PROGRESS", token, lockedUntil: nowMs + LOCK_MS, [JOB_TABLE.ttlAttribute]: Math.floor(nowMs / 1000) + KEEP_SECONDS },
          // A new key, or one whose request crashed (its lock ran out) with the same request.
          // A released record (its request failed) has no hash: any request may take the key.
          ConditionExpression: "attribute_not_exists(jobId) OR (recordState = :inProgress AND lockedUntil < :now AND (requestHash = :hash OR attribute_not_exists(requestHash)))",
          ExpressionAttributeValues: { ":inProgress": "IN_PROGRESS", ":now": nowMs, ":hash": requestHash },
        }),
      );
      return { state: "started", token };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw storeError("PutItem", error);
    }
    let item: Record<string, unknown> | undefined;
    try {
      ({ Item: item } = await this.documents.send(new GetCommand({ TableName: this.settings.tableName, Key: { jobId: recordId }, ConsistentRead: true })));
    } catch (error) {
      throw storeError("GetItem", error);
    }
    if (!item || item.requestHash === undefined) return this.begin(recordId, requestHash, nowMs);
    if (item.requestHash !== requestHash) return { state: "conflict" };
    if (item.recordState === "COMPLETED") return { state: "replay", response: JSON.parse(String(item.response)) };
    return { state: "in-progress" };
  }

  async complete(recordId: string, token: string, response: unknown, nowMs: number): Promise<void> {
    await this.finish(recordId, token, "SET recordState = :completed, #response = :response, " + `${JOB_TABLE.ttlAttribute} = :expiresAt REMOVE lockedUntil`, {
      ":completed": "COMPLETED",
      ":response": JSON.stringify(response),
      ":expiresAt": Math.floor(nowMs / 1000) + KEEP_SECONDS,
    });
  }

  async release(recordId: string, token: string): Promise<void> {
    await this.finish(recordId, token, "SET lockedUntil = :zero REMOVE requestHash", { ":zero": 0 });
  }

  private async finish(recordId: string, token: string, update: string, values: Record<string, unknown>): Promise<void> {
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.settings.tableName,
          Key: { jobId: recordId },
          UpdateExpression: update,
          // Only the request that holds the key finishes it: one that took a crashed one's over
          // changed the token.
          ConditionExpression: "#token = :token",
          ExpressionAttributeNames: { "#token": "token", ...(update.includes("#response") && { "#response": "response" }) },
          ExpressionAttributeValues: { ...values, ":token": token },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return;
      throw storeError("UpdateItem", error);
    }
  }
}
