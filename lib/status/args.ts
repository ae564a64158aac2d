/**
 * Options of `re6st status`. The node is found through its run directory: `--run DIR`, or the
 * `run` line of the node's own configuration file (`re6st status @/etc/re6stnet/re6stnet.conf`);
 * the other lines of that file are read with the node's option rules and otherwise ignored.
 * A `--run` on the command line wins over the files.
 */
import { VERSION_OPTION } from "../config/common_options.ts";
import { COMMAND_LINE, ConfigError } from "../config/error.ts";
import { expandArgs, type FileReader, readFromDisk } from "../config/expand.ts";
import { helpText } from "../config/help.ts";
import { nodeSchema } from "../config/node_options.ts";
import { parseTokens } from "../config/parse.ts";
import { hasLongName, type OptionSpec, type Schema, type Values } from "../config/schema.ts";
import { VERSION } from "../version.ts";

/** Default run directory of `re6st node` (and re6stnet). */
export const DEFAULT_RUN_DIR = "/var/run/re6stnet";

/** What `re6st status` is asked to show. */
export interface StatusOptions {
  /** run directory of the node (its control socket is `<run>/re6st.sock`) */
  run: string;
  /** print the raw status document */
  json: boolean;
  /** print the Prometheus metrics page */
  metrics: boolean;
}

const options: readonly OptionSpec[] = [
  VERSION_OPTION,
  {
    name: "run",
    kind: "string",
    metavar: "DIR",
    help: "run directory of the node (also read from the node's @config-file)",
  },
  { name: "json", kind: "flag", help: "print the status document as JSON (for scripts)" },
  { name: "metrics", kind: "flag", help: "print the node's Prometheus metrics" },
];

/** Command-line interface of `re6st status`. */
export const statusSchema: Schema<StatusOptions> = {
  prog: "re6st status",
  description:
    "Shows what a running node sees: tunnels, peers, routes, parameters version (asked over " +
    "its control socket <run>/re6st.sock).",
  options,
  build(values: Values) {
    const json = values.flag("json");
    const metrics = values.flag("metrics");
    if (json && metrics) throw new ConfigError("--json and --metrics exclude each other");
    return { run: values.string("run") ?? DEFAULT_RUN_DIR, json, metrics };
  },
};

/** The node's options, none required: only `run` is looked at. */
const nodeFileOptions = nodeSchema.options.map((o) => ({ ...o, required: false }));

/** Parsed options, or what to print and the exit status. */
export type StatusArgs =
  | { ok: true; options: StatusOptions }
  | { ok: false; status: number; stdout?: string; stderr?: string };

/** Parses `re6st status` arguments; never throws on bad input. */
export function parseStatusArgs(
  args: readonly string[],
  read: FileReader = readFromDisk,
): StatusArgs {
  const long = new Set(
    [...options, ...nodeFileOptions].filter(hasLongName).map((o) => o.name),
  );
  try {
    const tokens = expandArgs(args, (name) => long.has(name) || name === "help", read);
    const cli = parseTokens(options, tokens.filter((t) => t.origin === COMMAND_LINE));
    if (cli.action === "help") return { ok: false, status: 0, stdout: helpText(statusSchema) };
    if (cli.action === "version") return { ok: false, status: 0, stdout: VERSION };
    const opts = statusSchema.build(cli.values);
    if (cli.values.string("run") === undefined) {
      const files = parseTokens(
        nodeFileOptions,
        tokens.filter((t) => t.origin !== COMMAND_LINE),
      );
      if (files.action === "run") opts.run = files.values.string("run") ?? DEFAULT_RUN_DIR;
    }
    return { ok: true, options: opts };
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return { ok: false, status: 2, stderr: e.message };
  }
}
