/**
 * Declarative option schemas shared by the three roles, and the typed view over parsed values.
 * A role declares its options once; the parser, `--help` and the role's options builder all
 * read the same declarations.
 */
import { COMMAND_LINE, type Origin } from "./error.ts";

/**
 * How an option takes values:
 * - `flag`: no value (`--gateway`);
 * - `string` / `int`: one value, the last occurrence wins;
 * - `list`: one value, every occurrence appended (`--ip`, `-O`);
 * - `pair`: two values, the last occurrence wins (`--ipv4 NET PLEN`);
 * - `pairs`: two values, every occurrence appended (`--pp PORT PROTO`).
 */
export type OptionKind = "flag" | "string" | "int" | "list" | "pair" | "pairs";

/** One option of a role. */
export interface OptionSpec {
  /**
   * Long name without dashes, as written in config files (`client-count`). A one-character
   * name is short-only (`O` is `-O`, there is no `--O`) and must equal `short`.
   */
  name: string;
  /** Single-character short name (`v` for `-v`), if any. */
  short?: string;
  kind: OptionKind;
  /** Names of the values in `--help` (`N`, `PORT PROTO`). */
  metavar?: string;
  help: string;
  /** Default shown in help and returned for `string`/`int` when the option is absent. */
  default?: string | number;
  /** Allowed values (every value of the occurrence, for `string` and `list`). */
  choices?: readonly string[];
  /** Inclusive bounds for `int`. */
  min?: number;
  max?: number;
  /** Option must be given (checked after parsing). */
  required?: boolean;
  /** Per-occurrence validation: returns an error message, or undefined when valid. */
  check?: (values: readonly string[]) => string | undefined;
}

/** A role's command-line interface: program name, description and options. */
export interface Schema<T> {
  /** Shown in usage lines, e.g. `re6st node`. */
  prog: string;
  description: string;
  options: readonly OptionSpec[];
  /** Typed, validated options from parsed values; throws ConfigError. */
  build(values: Values): T;
}

/** One occurrence of an option: its values (already validated) and where it was given. */
export interface Occurrence {
  values: string[];
  origin: Origin;
}

/** Parsed option values with typed accessors; names are long option names. */
export class Values {
  readonly #specs: ReadonlyMap<string, OptionSpec>;
  readonly #seen: ReadonlyMap<string, Occurrence[]>;

  constructor(specs: readonly OptionSpec[], seen: ReadonlyMap<string, Occurrence[]>) {
    this.#specs = new Map(specs.map((s) => [s.name, s]));
    this.#seen = seen;
  }

  #spec(name: string, kinds: OptionKind[]): OptionSpec {
    const spec = this.#specs.get(name);
    if (!spec || !kinds.includes(spec.kind)) {
      throw new Error(`no ${kinds.join("/")} option named '${name}' in this schema`);
    }
    return spec;
  }

  /** Every occurrence of an option, in order. */
  occurrences(name: string): readonly Occurrence[] {
    this.#spec(name, ["flag", "string", "int", "list", "pair", "pairs"]);
    return this.#seen.get(name) ?? [];
  }

  /** True if the option was given at least once. */
  given(name: string): boolean {
    return this.occurrences(name).length > 0;
  }

  /** Where the option was last given (for error messages), or the command line. */
  origin(name: string): Origin {
    return this.occurrences(name).at(-1)?.origin ?? COMMAND_LINE;
  }

  /** True if a flag was given. */
  flag(name: string): boolean {
    this.#spec(name, ["flag"]);
    return this.given(name);
  }

  /** Last value of a `string` option, else its default. */
  string(name: string): string | undefined {
    const spec = this.#spec(name, ["string"]);
    const last = this.occurrences(name).at(-1);
    return last ? last.values[0] : spec.default === undefined ? undefined : String(spec.default);
  }

  /** Last value of an `int` option, else its default. */
  int(name: string): number | undefined {
    const spec = this.#spec(name, ["int"]);
    const last = this.occurrences(name).at(-1);
    return last
      ? Number(last.values[0])
      : spec.default === undefined
      ? undefined
      : Number(spec.default);
  }

  /** Every value of a `list` option. */
  list(name: string): string[] {
    this.#spec(name, ["list"]);
    return this.occurrences(name).map((o) => o.values[0]);
  }

  /** Last value of a `pair` option. */
  pair(name: string): [string, string] | undefined {
    this.#spec(name, ["pair"]);
    const last = this.occurrences(name).at(-1);
    return last ? [last.values[0], last.values[1]] : undefined;
  }

  /** Every value of a `pairs` option. */
  pairs(name: string): [string, string][] {
    this.#spec(name, ["pairs"]);
    return this.occurrences(name).map((o) => [o.values[0], o.values[1]]);
  }
}

/** Number of values an option kind takes. */
export function arity(kind: OptionKind): number {
  return kind === "flag" ? 0 : kind === "pair" || kind === "pairs" ? 2 : 1;
}

/** True if the option has a `--name` form (one-character names are short-only). */
export function hasLongName(spec: OptionSpec): boolean {
  return spec.name.length > 1;
}
