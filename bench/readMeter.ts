import { BatchGetItemCommand, QueryCommand, type AttributeValue, type DynamoDBClient, type QueryCommandInput } from "@aws-sdk/client-dynamodb";
import { JOB_TABLE } from "../handlers/settings";
import { itemSize } from "./itemSize";

const FOUR_KB = 4096;

/**
 * Read units of one Query on an index by DynamoDB's rules: the sizes of every entry it read (its
 * filter drops entries after they are read, its projection trims what is returned, neither what is
 * read) summed, then rounded up to 4 KB; 0.5 unit per 4 KB for an eventually consistent read (the
 * only kind a global secondary index serves), and never less than one 4 KB step per call
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html).
 */
export function queryReadUnits(entrySizes: readonly number[]): number {
  const bytes = entrySizes.reduce((sum, size) => sum + size, 0);
  return Math.max(1, Math.ceil(bytes / FOUR_KB)) * 0.5;
}

/**
 * Read units of a BatchGetItem by DynamoDB's rules: each item on its own, rounded up to 4 KB; 1 unit
 * per 4 KB strongly consistent, 0.5 eventually consistent. A key with no item costs one 4 KB step.
 */
export function batchGetReadUnits(itemSizes: readonly number[], consistent: boolean): number {
  return itemSizes.reduce((sum, size) => sum + Math.max(1, Math.ceil(size / FOUR_KB)), 0) * (consistent ? 1 : 0.5);
}

/** What the metered client read: Query calls and their entries, BatchGetItem calls and their items. */
export interface ReadTally {
  queries: number;
  /** Entries the Queries read (their `ScannedCount`), and of those the ones they returned (`Count`). */
  entriesRead: number;
  entriesReturned: number;
  entryBytes: number;
  queryUnits: number;
  /** Query calls by index. */
  queriesByIndex: Record<string, number>;
  /** Entries read by the owner digest their `listKey` starts with (`<digest>#<createdAt>`): whose entries a listing touched. */
  entriesByOwnerDigest: Record<string, number>;
  batchGets: number;
  /** Keys BatchGetItem processed, the items it found, their bytes and read units. */
  itemsRead: number;
  itemsFound: number;
  itemBytes: number;
  itemUnits: number;
}

type QueryArgs = { input: QueryCommandInput };
type BatchGetArgs = { input: { RequestItems?: Record<string, { Keys?: Record<string, AttributeValue>[]; ConsistentRead?: boolean }> } };

/**
 * Counts what the handlers' reads cost, as an SDK middleware on their client. A Query's own
 * response says how many entries it read (`ScannedCount`) but not their sizes when a filter or a
 * projection was applied, so the meter reads the same entries again through a raw client (not
 * counted): the same key condition, start key, limit and direction, nothing dropped or trimmed;
 * it throws if that read finds another number of entries. BatchGetItem's items are read again the
 * same way for their stored sizes.
 */
export class ReadMeter {
  private tally: ReadTally = emptyTally();

  constructor(private readonly raw: DynamoDBClient, private readonly tableName: string) {}

  /** Adds the metering middleware to `client` (the handlers' client, never the raw one) and returns it. */
  attach(client: DynamoDBClient): DynamoDBClient {
    (client.middlewareStack as any).add(
      (next: any, context: { commandName?: string }) => async (args: QueryArgs & BatchGetArgs) => {
        if (context.commandName === "QueryCommand" && args.input.TableName === this.tableName) {
          const result = await next(args);
          await this.recordQuery(args.input, result.output);
          return result;
        }
        if (context.commandName === "BatchGetItemCommand" && args.input.RequestItems?.[this.tableName]) {
          const result = await next(args);
          await this.recordBatchGet(args.input.RequestItems[this.tableName]!, result.output);
          return result;
        }
        return next(args);
      },
      // The build step sees the input in wire form (lib-dynamodb marshals it in the serialize step).
      { step: "build", name: "cloudqueueReadMeter", priority: "high" },
    );
    return client;
  }

  snapshot(): ReadTally {
    return { ...this.tally, queriesByIndex: { ...this.tally.queriesByIndex }, entriesByOwnerDigest: { ...this.tally.entriesByOwnerDigest } };
  }

  reset(): void {
    this.tally = emptyTally();
  }

  private async recordQuery(input: QueryCommandInput, output: { ScannedCount?: number; Count?: number }): Promise<void> {
    // Only the names and values the key condition uses: DynamoDB refuses unused ones.
    const used = new Set((input.KeyConditionExpression ?? "").match(/[#:][A-Za-z0-9_]+/g) ?? []);
    const names = Object.fromEntries(Object.entries(input.ExpressionAttributeNames ?? {}).filter(([name]) => used.has(name)));
    const values = Object.fromEntries(Object.entries(input.ExpressionAttributeValues ?? {}).filter(([name]) => used.has(name)));
    const { Items = [] } = await this.raw.send(
      new QueryCommand({
        TableName: input.TableName,
        IndexName: input.IndexName,
        KeyConditionExpression: input.KeyConditionExpression,
        ExpressionAttributeNames: Object.keys(names).length > 0 ? names : undefined,
        ExpressionAttributeValues: Object.keys(values).length > 0 ? values : undefined,
        ExclusiveStartKey: input.ExclusiveStartKey,
        Limit: input.Limit,
        ScanIndexForward: input.ScanIndexForward,
        ConsistentRead: input.ConsistentRead,
      }),
    );
    const scanned = output.ScannedCount ?? 0;
    if (Items.length !== scanned) throw new Error(`ReadMeter: a Query read ${scanned} entries, but reading them again found ${Items.length}`);
    const sizes = Items.map(itemSize);
    this.tally.queries += 1;
    this.tally.entriesRead += scanned;
    this.tally.entriesReturned += output.Count ?? 0;
    this.tally.entryBytes += sizes.reduce((sum, size) => sum + size, 0);
    this.tally.queryUnits += queryReadUnits(sizes);
    for (const entry of Items) {
      const key = entry[JOB_TABLE.listIndex.rangeKey]?.S;
      const digest = key === undefined ? "(no listKey)" : key.slice(0, key.lastIndexOf("#"));
      this.tally.entriesByOwnerDigest[digest] = (this.tally.entriesByOwnerDigest[digest] ?? 0) + 1;
    }
    const index = input.IndexName ?? "(table)";
    this.tally.queriesByIndex[index] = (this.tally.queriesByIndex[index] ?? 0) + 1;
  }

  private async recordBatchGet(request: { Keys?: Record<string, AttributeValue>[]; ConsistentRead?: boolean }, output: { UnprocessedKeys?: Record<string, { Keys?: unknown[] }> }): Promise<void> {
    const unprocessed = new Set((output.UnprocessedKeys?.[this.tableName]?.Keys ?? []).map((key) => JSON.stringify(key)));
    const keys = (request.Keys ?? []).filter((key) => !unprocessed.has(JSON.stringify(key)));
    const consistent = request.ConsistentRead === true;
    const found: Record<string, AttributeValue>[] = [];
    if (keys.length > 0) {
      const { Responses } = await this.raw.send(new BatchGetItemCommand({ RequestItems: { [this.tableName]: { Keys: keys, ConsistentRead: consistent } } }));
      found.push(...(Responses?.[this.tableName] ?? []));
    }
    const sizes = found.map(itemSize);
    this.tally.batchGets += 1;
    this.tally.itemsRead += keys.length;
    this.tally.itemsFound += found.length;
    this.tally.itemBytes += sizes.reduce((sum, size) => sum + size, 0);
    // A key with no item still costs a read: count it as an empty one.
    this.tally.itemUnits += batchGetReadUnits([...sizes, ...Array<number>(keys.length - found.length).fill(0)], consistent);
  }
}

function emptyTally(): ReadTally {
  return { queries: 0, entriesRead: 0, entriesReturned: 0, entryBytes: 0, queryUnits: 0, queriesByIndex: {}, entriesByOwnerDigest: {}, batchGets: 0, itemsRead: 0, itemsFound: 0, itemBytes: 0, itemUnits: 0 };
}
