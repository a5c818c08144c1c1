import { GetItemCommand, type AttributeValue, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { JOB_TABLE, jobTableIndexes } from "../handlers/settings";
import { itemSize } from "./itemSize";

/** An item in DynamoDB's wire form; `undefined` when there is none. */
export type Image = Record<string, AttributeValue> | undefined;

/** A global secondary index as the meter needs it: its keys and what it projects. */
export interface IndexDefinition {
  name: string;
  hashKey: string;
  rangeKey?: string;
  projection: "KEYS_ONLY" | "INCLUDE" | "ALL";
  nonKeyAttributes?: readonly string[];
}

/** What one table write did to one index. */
export type IndexChange = "none" | "put" | "delete" | "replace" | "update";

/** What one table write costs one index: its change and the write units. */
export interface IndexWriteCost {
  change: IndexChange;
  units: number;
}

const KB = 1024;

/**
 * The write units a table write costs an index, by DynamoDB's rules for global secondary index
 * writes (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html#GSI.ThroughputConsiderations.Writes):
 * an item that gains the index's key attributes is 1 put; one that loses them, 1 delete; a changed
 * key attribute value, a delete and a put; an unchanged key with a changed projected attribute
 * (INCLUDE's `nonKeyAttributes`, any attribute for ALL), 1 write; anything else, nothing. Each
 * write costs 1 unit per KB of the index entry it writes or deletes (rounded up); an entry is the
 * table's key, the index's keys and the projected attributes.
 *
 * @param tableKey the table's own key attributes (every entry carries them)
 */
export function indexWriteCost(index: IndexDefinition, tableKey: readonly string[], before: Image, after: Image): IndexWriteCost {
  const wasIn = inIndex(index, before);
  const isIn = inIndex(index, after);
  const units = (image: Image) => Math.max(1, Math.ceil(itemSize(indexEntry(index, tableKey, image!)) / KB));
  if (!wasIn && !isIn) return { change: "none", units: 0 };
  if (!wasIn) return { change: "put", units: units(after) };
  if (!isIn) return { change: "delete", units: units(before) };
  const keys = [index.hashKey, ...(index.rangeKey ? [index.rangeKey] : [])];
  if (keys.some((key) => !sameValue(before![key], after![key]))) return { change: "replace", units: units(before) + units(after) };
  const entryBefore = indexEntry(index, tableKey, before!);
  const entryAfter = indexEntry(index, tableKey, after!);
  const names = new Set([...Object.keys(entryBefore), ...Object.keys(entryAfter)]);
  if ([...names].some((name) => !sameValue(entryBefore[name], entryAfter[name]))) return { change: "update", units: units(after) };
  return { change: "none", units: 0 };
}

/** Whether an item has an entry in the index: it carries every key attribute of the index (GSIs are sparse). */
export function inIndex(index: IndexDefinition, image: Image): boolean {
  return image !== undefined && image[index.hashKey] !== undefined && (index.rangeKey === undefined || image[index.rangeKey] !== undefined);
}

/** The item's entry in the index: the table's key, the index's keys and what it projects. */
export function indexEntry(index: IndexDefinition, tableKey: readonly string[], image: Record<string, AttributeValue>): Record<string, AttributeValue> {
  if (index.projection === "ALL") return { ...image };
  const names = [...tableKey, index.hashKey, ...(index.rangeKey ? [index.rangeKey] : []), ...(index.projection === "INCLUDE" ? (index.nonKeyAttributes ?? []) : [])];
  return Object.fromEntries(names.filter((name) => image[name] !== undefined).map((name) => [name, image[name]!]));
}

function sameValue(a: AttributeValue | undefined, b: AttributeValue | undefined): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

/** A value with its map keys sorted and binaries as arrays, so that equal values print equal. */
function canonical(value: unknown): unknown {
  if (value instanceof Uint8Array) return [...value];
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).filter(([, inner]) => inner !== undefined).sort(([a], [b]) => a.localeCompare(b)).map(([key, inner]) => [key, canonical(inner)]));
  return value;
}

/** Index write units and changes, by index; and the table's own write units (the larger of the item before and after, per KB). */
export interface IndexWriteTally {
  /** Table writes seen (PutItem, UpdateItem, DeleteItem on the jobs table), by operation. */
  writes: Record<string, number>;
  tableUnits: number;
  byIndex: Record<string, { units: number; changes: Record<Exclude<IndexChange, "none">, number>; byPartition: Record<string, number> }>;
}

const WRITE_OPERATIONS = new Set(["PutItemCommand", "UpdateItemCommand", "DeleteItemCommand"]);

/** Reads an item as it is now, by its key, without being metered. */
export type ImageReader = (key: Record<string, AttributeValue>) => Promise<Image>;

/** An {@link ImageReader} on a client that carries no meter: a strongly consistent GetItem. */
export function rawImageReader(raw: DynamoDBClient, tableName: string): ImageReader {
  return async (key) => (await raw.send(new GetItemCommand({ TableName: tableName, Key: key, ConsistentRead: true }))).Item;
}

type WriteArgs = { input: { TableName?: string; Key?: Record<string, AttributeValue>; Item?: Record<string, AttributeValue> } };

/**
 * Measures what the jobs table's writes cost its indexes. As an SDK middleware on the client the
 * handlers use, it reads each written item before and after the write (through `readImage`, on a
 * client that is not metered) and applies {@link indexWriteCost} to every index `JOB_TABLE`
 * declares. Writes to one item are serialized so that each before/after pair brackets exactly one
 * write.
 */
export class IndexWriteMeter {
  private tally: IndexWriteTally = emptyTally();
  private readonly inFlight = new Map<string, Promise<unknown>>();

  constructor(
    private readonly readImage: ImageReader,
    private readonly tableName: string,
    private readonly indexes: readonly IndexDefinition[] = jobTableIndexes(),
    private readonly tableKey: readonly string[] = [JOB_TABLE.hashKey],
  ) {}

  /** Adds {@link middleware} to `client` (the handlers' client, never the raw one) and returns it. */
  attach(client: DynamoDBClient): DynamoDBClient {
    // At the build step the input is in wire form (lib-dynamodb marshals it in the serialize step),
    // and it runs once per call, outside the SDK's retries.
    (client.middlewareStack as any).add(this.middleware(), { step: "build", name: "cloudqueueIndexWriteMeter", priority: "high" });
    return client;
  }

  /** The middleware: PutItem, UpdateItem and DeleteItem on the table are metered, everything else passes. */
  middleware() {
    return <T>(next: (args: WriteArgs) => Promise<T>, context: { commandName?: string }) =>
      async (args: WriteArgs): Promise<T> => {
        const operation = context.commandName ?? "";
        if (!WRITE_OPERATIONS.has(operation) || args.input.TableName !== this.tableName) return next(args);
        const key = operation === "PutItemCommand" ? pick(args.input.Item ?? {}, this.tableKey) : (args.input.Key ?? {});
        return this.oneAtATime(JSON.stringify(key), async () => {
          const before = await this.readImage(key);
          try {
            return await next(args);
          } finally {
            // A write that failed (its condition, say) changed nothing: before and after agree.
            this.record(operation.replace(/Command$/, ""), before, await this.readImage(key));
          }
        });
      };
  }

  snapshot(): IndexWriteTally {
    return structuredClone(this.tally);
  }

  reset(): void {
    this.tally = emptyTally();
  }

  private record(operation: string, before: Image, after: Image): void {
    this.tally.writes[operation] = (this.tally.writes[operation] ?? 0) + 1;
    const sizes = [before, after].filter((image): image is Record<string, AttributeValue> => image !== undefined).map(itemSize);
    if (sizes.length > 0) this.tally.tableUnits += Math.max(1, Math.ceil(Math.max(...sizes) / KB));
    for (const index of this.indexes) {
      const cost = indexWriteCost(index, this.tableKey, before, after);
      if (cost.change === "none") continue;
      const entry = (this.tally.byIndex[index.name] ??= { units: 0, changes: { put: 0, delete: 0, replace: 0, update: 0 }, byPartition: {} });
      entry.units += cost.units;
      entry.changes[cost.change] += 1;
      // The partition key value each write lands on: a delete on the old one, a put on the new one.
      const partitions = cost.change === "replace" ? [before, after] : cost.change === "delete" ? [before] : [after];
      for (const image of partitions) {
        const partition = JSON.stringify(image![index.hashKey]);
        entry.byPartition[partition] = (entry.byPartition[partition] ?? 0) + 1;
      }
    }
  }

  private async oneAtATime<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.inFlight.get(key) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(work);
    this.inFlight.set(key, run);
    try {
      return await run;
    } finally {
      if (this.inFlight.get(key) === run) this.inFlight.delete(key);
    }
  }
}

function emptyTally(): IndexWriteTally {
  return { writes: {}, tableUnits: 0, byIndex: {} };
}

function pick(item: Record<string, AttributeValue>, names: readonly string[]): Record<string, AttributeValue> {
  return Object.fromEntries(names.map((name) => [name, item[name]!]));
}
