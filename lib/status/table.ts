/** Plain-text tables for terminals: left-aligned columns separated by two spaces. */

/** A cell: text, or null/undefined shown as `-`. */
export type Cell = string | number | boolean | null | undefined;

function text(c: Cell): string {
  if (c === null || c === undefined || c === "") return "-";
  // control characters from the node would move the terminal's cursor
  // deno-lint-ignore no-control-regex
  return String(c).replace(/[\x00-\x1f\x7f]/g, "?");
}

/**
 * Renders `rows` under `headers`, every column as wide as its widest cell; numeric columns
 * (every cell a number) are right-aligned. No trailing spaces.
 */
export function renderTable(headers: readonly string[], rows: readonly Cell[][]): string {
  const cells = [headers.map(text), ...rows.map((r) => headers.map((_, i) => text(r[i])))];
  const numeric = headers.map((_, i) =>
    rows.length > 0 && rows.every((r) => typeof r[i] === "number")
  );
  const width = headers.map((_, i) => Math.max(...cells.map((r) => [...r[i]].length)));
  return cells.map((r) =>
    r.map((c, i) => {
      const pad = " ".repeat(width[i] - [...c].length);
      return numeric[i] ? pad + c : c + pad;
    }).join("  ").trimEnd()
  ).join("\n");
}

/** Seconds as a short age: `42s`, `5m12s`, `3h05m`, `2d04h`. */
export function formatAge(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) {
    return "-";
  }
  const s = Math.floor(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  if (s < 86400) {
    return `${Math.floor(s / 3600)}h${String(Math.floor(s / 60) % 60).padStart(2, "0")}m`;
  }
  return `${Math.floor(s / 86400)}d${String(Math.floor(s / 3600) % 24).padStart(2, "0")}h`;
}
