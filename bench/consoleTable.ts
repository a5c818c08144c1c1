/** Prints rows as a right-aligned table for people (the bench's console output), indented two spaces. */
export function table(rows: Record<string, unknown>[], log: (line: string) => void = console.log): void {
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0]!);
  const widths = columns.map((column) => Math.max(column.length, ...rows.map((row) => String(row[column]).length)));
  const line = (cells: string[]) => `  ${cells.map((cell, index) => cell.padStart(widths[index]!)).join("  ")}`;
  log(line(columns));
  for (const row of rows) log(line(columns.map((column) => String(row[column]))));
}
