/**
 * Entry point of option handling for a role: expands `@file` arguments, parses, builds the
 * typed options, and handles `--help`, `--version` and errors (one line, exit status 2).
 */
import { VERSION } from "../version.ts";
import { ConfigError } from "./error.ts";
import { expandArgs, type FileReader, readFromDisk } from "./expand.ts";
import { helpText } from "./help.ts";
import { parseTokens } from "./parse.ts";
import { hasLongName, type Schema } from "./schema.ts";

/** Either the typed options, or what to print and the exit status to return. */
export type CliResult<T> =
  | { ok: true; options: T }
  | { ok: false; status: number; stdout?: string; stderr?: string };

/** Parses `args` for `schema` without printing anything; never throws ConfigError. */
export function parseArgs<T>(
  schema: Schema<T>,
  args: readonly string[],
  read: FileReader = readFromDisk,
): CliResult<T> {
  const long = new Set(schema.options.filter(hasLongName).map((o) => o.name));
  try {
    const tokens = expandArgs(args, (name) => long.has(name) || name === "help", read);
    const outcome = parseTokens(schema.options, tokens);
    if (outcome.action === "help") return { ok: false, status: 0, stdout: helpText(schema) };
    if (outcome.action === "version") return { ok: false, status: 0, stdout: VERSION };
    return { ok: true, options: schema.build(outcome.values) };
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return { ok: false, status: 2, stderr: e.message };
  }
}

/**
 * Like parseArgs, but prints help, version or the error itself. Returns the options, or the
 * exit status the caller should return.
 */
export function parseCommandLine<T>(schema: Schema<T>, args: readonly string[]): T | number {
  const r = parseArgs(schema, args);
  if (r.ok) return r.options;
  if (r.stdout !== undefined) console.log(r.stdout);
  if (r.stderr !== undefined) console.error(r.stderr);
  return r.status;
}
