/** Plain-text tables for the terminal: right-aligned columns, printed row by row as results come. */

/** A table whose header is printed first and rows as they arrive. */
export class TextTable {
  readonly #widths: number[];

  constructor(
    private readonly columns: ReadonlyArray<{ name: string; width?: number }>,
    private readonly print: (line: string) => void = console.log,
  ) {
    this.#widths = columns.map((c) => Math.max(c.name.length, c.width ?? 6));
  }

  /** Prints the header line. */
  header(): void {
    this.print(this.columns.map((c, i) => c.name.padStart(this.#widths[i])).join(" "));
  }

  /** Prints one row (cells already formatted). */
  row(cells: readonly string[]): void {
    this.print(cells.map((c, i) => c.padStart(this.#widths[i] ?? 0)).join(" "));
  }
}

/** Fixed-point formatting that keeps `undefined` visible as "-". */
export function fixed(x: number | undefined, digits: number): string {
  return x === undefined || Number.isNaN(x) ? "-" : x.toFixed(digits);
}
