import { randomUUID } from "node:crypto";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Whether `value` is a well-formed job id (a lower-case RFC 9562 UUID). */
export function isJobId(value: string): boolean {
  return UUID.test(value);
}

/** A fresh random job id (UUID v4). */
export function newJobId(): string {
  return randomUUID();
}
