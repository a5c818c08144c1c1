/** Times as the API reads them. */

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-](\d{2}):(\d{2}))$/i;

/** Whether `value` is an RFC 3339 date-time that exists (no February 30, no hour 24). */
export function isRfc3339(value: string): boolean {
  const parts = RFC3339.exec(value);
  if (!parts) return false;
  const [year, month, day, hour, minute, second] = parts.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day));
  const offsetOk = parts[9] === undefined || (Number(parts[9]) <= 23 && Number(parts[10]) <= 59);
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day && hour <= 23 && minute <= 59 && second <= 59 && offsetOk && Number.isFinite(Date.parse(value));
}

