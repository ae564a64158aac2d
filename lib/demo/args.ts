/** Command line of `re6st demo`, and the directory its tunnel graph files go to. */
import { parseArgs } from "node:util";

/** `--help` text. */
export const DEMO_USAGE = `usage: re6st demo [--duration S] [--hello N] [--out DIR] [--keep]

Builds a re6st network in network namespaces (registry + 6 nodes, one LAN behind NAT),
shows it converge, prints the reachability matrix and the tunnel graph, then runs until
Ctrl-C or --duration seconds and removes everything. Needs root.

  --duration S   stop after S seconds once converged (default: wait for Ctrl-C)
  --hello N      babel hello interval of the network (default 4)
  --out DIR      where topology.dot and topology.svg are written (created if needed;
                 default: a new re6st-demo-out-* directory in the system temp dir,
                 kept after exit)
  --keep         keep the working directory with every log after exit`;

/** What the demo is asked to do. */
export interface DemoOptions {
  /** seconds to stay up once converged; undefined: until Ctrl-C */
  duration?: number;
  /** babel hello interval (s) */
  hello: number;
  /** output directory; undefined: a new one in the system temp dir */
  out?: string;
  /** keep the working directory (logs) */
  keep: boolean;
}

/** Parsed command line: `--help`, the options, or what is wrong with it. */
export type DemoCommand = { help: true } | { help: false; options: DemoOptions } | {
  error: string;
};

/** Parses the demo's arguments; never throws. */
export function parseDemoArgs(args: string[]): DemoCommand {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        duration: { type: "string" },
        hello: { type: "string", default: "4" },
        out: { type: "string" },
        keep: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (e) {
    return { error: (e as Error).message };
  }
  if (values.help) return { help: true };
  const duration = values.duration === undefined ? undefined : Number(values.duration);
  const hello = Number(values.hello);
  if ((duration !== undefined && !(duration >= 0)) || !(Number.isInteger(hello) && hello > 0)) {
    return { error: "--duration and --hello take positive numbers" };
  }
  if (values.out === "") return { error: "--out needs a directory" };
  return { help: false, options: { duration, hello, out: values.out, keep: values.keep } };
}

/**
 * Creates the output directory: `out`, or a new `re6st-demo-out-*` in the system temp dir,
 * readable by all (the demo runs as root; whoever ran sudo opens the SVG).
 */
export async function makeOutDir(out: string | undefined): Promise<string> {
  if (out !== undefined) {
    await Deno.mkdir(out, { recursive: true });
    return out;
  }
  const dir = await Deno.makeTempDir({ prefix: "re6st-demo-out-" });
  await Deno.chmod(dir, 0o755);
  return dir;
}
