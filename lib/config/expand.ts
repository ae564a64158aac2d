/**
 * `@file` expansion (spec §2.4): every argument `@path` is replaced by the arguments read from
 * that file (path relative to the current directory). In a file, a line whose text before the
 * first `#` is blank is skipped; a line starting with `@` is an include; any other line is split
 * shell-style and its first word names an option without dashes: `--name` when that is a known
 * long option, else `-name` (so `O--verb` gives `-O --verb`). A trailing `# text` is not a
 * comment: its words become arguments, as in re6stnet.
 */
import { COMMAND_LINE, ConfigError, type Origin } from "./error.ts";
import { shellSplit } from "./tokenize.ts";

/** One argument with where it came from; `shown` is how to name it in errors. */
export interface Token {
  text: string;
  origin: Origin;
  shown: string;
}

/** Reads a configuration file: its identity (for loop detection) and text; throws if unreadable. */
export type FileReader = (path: string) => { id: string; text: string };

/** Reads files from disk, identified by their real path. */
export const readFromDisk: FileReader = (path) => ({
  id: Deno.realPathSync(path),
  text: Deno.readTextFileSync(path),
});

function reason(e: unknown): string {
  if (e instanceof Deno.errors.NotFound) return "no such file";
  if (e instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (e instanceof Deno.errors.IsADirectory) return "is a directory";
  return e instanceof Error ? e.message : String(e);
}

/**
 * Expands `@file` arguments of `args` into tokens. `isLongOption(name)` tells whether `--name`
 * exists. Throws ConfigError naming the file and line (or the command line) on unreadable
 * files, include loops and unterminated quotes.
 */
export function expandArgs(
  args: readonly string[],
  isLongOption: (name: string) => boolean,
  read: FileReader = readFromDisk,
): Token[] {
  const out: Token[] = [];
  const stack: string[] = [];
  const shownStack: string[] = [];

  const include = (path: string, origin: Origin) => {
    let file;
    try {
      file = read(path);
    } catch (e) {
      throw ConfigError.at(origin, `cannot read '${path}': ${reason(e)}`);
    }
    if (stack.includes(file.id)) {
      const chain = [...shownStack.slice(stack.indexOf(file.id)), path].join(" → ");
      throw ConfigError.at(origin, `include loop: ${chain}`);
    }
    stack.push(file.id);
    shownStack.push(path);
    file.text.split(/\r?\n/).forEach((line, i) => readLine(line, `${path}:${i + 1}`));
    stack.pop();
    shownStack.pop();
  };

  const readLine = (line: string, origin: Origin) => {
    if (line.split("#", 1)[0].trim() === "") return;
    const trimmed = line.trim();
    if (trimmed.startsWith("@")) return include(trimmed.slice(1), origin);
    let words;
    try {
      words = shellSplit(line);
    } catch (e) {
      throw ConfigError.at(origin, (e as Error).message);
    }
    const [name, ...rest] = words;
    if (name === "") throw ConfigError.at(origin, "empty option name");
    const text = isLongOption(name) ? `--${name}` : `-${name}`;
    out.push({ text, origin, shown: name });
    for (const w of rest) out.push({ text: w, origin, shown: w });
  };

  for (const arg of args) {
    if (arg.startsWith("@")) include(arg.slice(1), COMMAND_LINE);
    else out.push({ text: arg, origin: COMMAND_LINE, shown: arg });
  }
  return out;
}
