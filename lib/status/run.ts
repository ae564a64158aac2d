/**
 * `re6st status`: asks the node running with run directory `--run` (or the `run` of its
 * @config-file) over `<run>/re6st.sock` and prints tables, the JSON document (`--json`) or the
 * Prometheus metrics (`--metrics`). Exit status 1 when no node answers, 2 on bad options.
 */
import { controlSocketPath } from "../node/control/socket_path.ts";
import { parseStatusArgs } from "./args.ts";
import { NodeQueryError, parseStatusDocument, queryNode } from "./client.ts";
import { renderStatus } from "./render.ts";

/** Runs `re6st status`; returns the exit status. */
export async function run(args: string[]): Promise<number> {
  const parsed = parseStatusArgs(args);
  if (!parsed.ok) {
    if (parsed.stdout !== undefined) console.log(parsed.stdout);
    if (parsed.stderr !== undefined) console.error(`re6st status: ${parsed.stderr}`);
    return parsed.status;
  }
  const o = parsed.options;
  const socket = controlSocketPath(o.run);
  try {
    if (o.metrics) {
      await writeOut(await queryNode(socket, "/metrics"));
      return 0;
    }
    const doc = parseStatusDocument(await queryNode(socket, "/status"));
    await writeOut(o.json ? JSON.stringify(doc, null, 2) + "\n" : renderStatus(doc));
    return 0;
  } catch (e) {
    if (!(e instanceof NodeQueryError)) throw e;
    console.error(`re6st status: ${e.message}`);
    return 1;
  }
}

async function writeOut(text: string): Promise<void> {
  const data = new TextEncoder().encode(text);
  for (let off = 0; off < data.length;) off += await Deno.stdout.write(data.subarray(off));
}
