/** CSV output (RFC 4180 quoting) of experiment rows. */

/** One CSV line per row, columns in the given order, numbers as they print. */
export function toCsv(
  columns: readonly string[],
  rows: ReadonlyArray<Record<string, unknown>>,
): string {
  const cell = (v: unknown): string => {
    const s = v === undefined || v === null ? "" : String(v);
    return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  return [columns.join(","), ...rows.map((r) => columns.map((c) => cell(r[c])).join(","))]
    .join("\n") + "\n";
}
