/**
 * Option parsing over expanded tokens, with the conventions of re6stnet's argument parser:
 * `--name VALUE`, `--name=VALUE`, `-x VALUE`, `-xVALUE`, combined short flags (`-mD`), values
 * that look like options are refused, no positional arguments. Unlike Python's argparse, long
 * options must be spelt in full (no abbreviations).
 */
import { COMMAND_LINE, ConfigError } from "./error.ts";
import type { Token } from "./expand.ts";
import { arity, hasLongName, type Occurrence, type OptionSpec, Values } from "./schema.ts";

/** What the command line asks for: run with options, or print help or the version. */
export type ParseOutcome =
  | { action: "run"; values: Values }
  | { action: "help" }
  | { action: "version" };

const INT_RE = /^[+-]?\d+$/;

/** How to name an option in errors: as written in files (`pp`), or with dashes (`--pp`). */
function label(spec: OptionSpec, token: Token, long: boolean): string {
  const dashes = token.origin === COMMAND_LINE ? (long ? "--" : "-") : "";
  return dashes + (long ? spec.name : spec.short);
}

function checkValues(spec: OptionSpec, values: string[], token: Token, name: string): void {
  const fail = (msg: string) => {
    throw ConfigError.at(token.origin, `option '${name}': ${msg}`);
  };
  if (spec.kind === "int") {
    if (!INT_RE.test(values[0])) fail(`invalid integer '${values[0]}'`);
    const n = Number(values[0]);
    if (spec.min !== undefined && n < spec.min) fail(`${n} is below the minimum ${spec.min}`);
    if (spec.max !== undefined && n > spec.max) fail(`${n} is above the maximum ${spec.max}`);
  }
  if (spec.choices) {
    for (const v of values) {
      if (!spec.choices.includes(v)) {
        fail(`invalid choice '${v}' (choose from ${spec.choices.join(", ")})`);
      }
    }
  }
  const problem = spec.check?.(values);
  if (problem !== undefined) fail(problem);
}

/**
 * Parses tokens against `options`. `--help`/`-h` and `--version`/`-V` (when declared) stop
 * parsing. Throws ConfigError naming the token's origin on any malformed input.
 */
export function parseTokens(options: readonly OptionSpec[], input: readonly Token[]): ParseOutcome {
  const byLong = new Map(options.filter(hasLongName).map((o) => [o.name, o]));
  const byShort = new Map(options.filter((o) => o.short).map((o) => [o.short!, o]));
  const digitShort = options.some((o) => o.short && /\d/.test(o.short));
  const looksLikeOption = (t: string) =>
    t.length > 1 && t[0] === "-" && (digitShort || !/^-\d+$/.test(t));

  const seen = new Map<string, Occurrence[]>();
  const tokens = [...input];
  let i = 0;
  while (i < tokens.length) {
    const token = tokens[i++];
    const t = token.text;
    if (t === "--help" || t === "-h") return { action: "help" };
    if ((t === "--version" || t === "-V") && byLong.has("version")) return { action: "version" };
    let spec: OptionSpec | undefined;
    let attached: string | undefined;
    const long = t.startsWith("--") && t.length > 2;
    if (long) {
      const eq = t.indexOf("=");
      spec = byLong.get(eq < 0 ? t.slice(2) : t.slice(2, eq));
      if (eq >= 0) attached = t.slice(eq + 1);
    } else if (looksLikeOption(t)) {
      spec = byShort.get(t[1]);
      if (t.length > 2) attached = t.slice(2);
      if (spec?.kind === "flag" && attached !== undefined) {
        // Combined short flags: `-mD` is `-m -D`.
        tokens.splice(i, 0, { ...token, text: `-${attached}` });
        attached = undefined;
      }
    } else {
      throw ConfigError.at(token.origin, `unexpected argument '${token.shown}'`);
    }
    if (!spec) throw ConfigError.at(token.origin, `unknown option '${token.shown}'`);
    const name = label(spec, token, long);
    const n = arity(spec.kind);
    if (n === 0 && attached !== undefined) {
      throw ConfigError.at(token.origin, `option '${name}' takes no value`);
    }
    const values = attached === undefined ? [] : [attached];
    while (values.length < n) {
      const next = tokens[i];
      if (!next || looksLikeOption(next.text) || next.text === "--") {
        const what = n === 1 ? "a value" : `${n} values`;
        throw ConfigError.at(token.origin, `option '${name}' expects ${what}`);
      }
      values.push(next.text);
      i++;
    }
    checkValues(spec, values, token, name);
    const list = seen.get(spec.name) ?? [];
    list.push({ values, origin: token.origin });
    seen.set(spec.name, list);
  }
  for (const o of options) {
    if (o.required && !seen.has(o.name)) {
      throw new ConfigError(`missing required option --${o.name}`);
    }
  }
  return { action: "run", values: new Values(options, seen) };
}
