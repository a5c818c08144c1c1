import type { AttributeValue } from "@aws-sdk/client-dynamodb";

/**
 * The size of a DynamoDB item as DynamoDB bills it, from its wire form (`AttributeValue`s), by the
 * rules of "DynamoDB item sizes and formats"
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html):
 * each attribute costs its name's UTF-8 bytes plus its value's size; a string its UTF-8 bytes; a
 * number 1 byte per two significant digits (leading and trailing zeroes trimmed) plus 1; a binary
 * its raw bytes; a null or boolean 1; a list or map 3 bytes plus its elements, each element 1 byte
 * more (a map's element also its name); a set the sum of its elements. The 100 bytes of storage
 * overhead per item are storage only: no read or write unit counts them.
 */
export function itemSize(item: Record<string, AttributeValue>): number {
  return Object.entries(item).reduce((sum, [name, value]) => sum + utf8(name) + valueSize(value), 0);
}

/** The size of one attribute value, its name aside. */
export function valueSize(value: AttributeValue): number {
  if (value.S !== undefined) return utf8(value.S);
  if (value.N !== undefined) return numberSize(value.N);
  if (value.B !== undefined) return value.B.byteLength;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS !== undefined) return value.SS.reduce((sum, element) => sum + utf8(element), 0);
  if (value.NS !== undefined) return value.NS.reduce((sum, element) => sum + numberSize(element), 0);
  if (value.BS !== undefined) return value.BS.reduce((sum, element) => sum + element.byteLength, 0);
  if (value.L !== undefined) return 3 + value.L.reduce((sum, element) => sum + 1 + valueSize(element), 0);
  if (value.M !== undefined) return 3 + Object.entries(value.M).reduce((sum, [name, element]) => sum + 1 + utf8(name) + valueSize(element), 0);
  throw new Error(`not a DynamoDB attribute value: ${JSON.stringify(value)}`);
}

/** A number's size: 1 byte per two significant digits, plus 1. */
export function numberSize(text: string): number {
  const digits = text.replace(/^[-+]/, "").replace(/[eE].*$/, "").replace(".", "").replace(/^0+/, "").replace(/0+$/, "");
  return Math.ceil(Math.max(1, digits.length) / 2) + 1;
}

function utf8(text: string): number {
  return Buffer.byteLength(text, "utf8");
}
