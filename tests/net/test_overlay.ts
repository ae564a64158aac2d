/**
 * The namespaced tests' way to run re6st on a `TestNet`: an `Overlay` (lib/demo/overlay.ts) whose
 * programs run in the net's namespaces, and looks at the OpenVPN processes a node started.
 */
import { Overlay, type OverlayOptions } from "../../lib/demo/overlay.ts";
import { run } from "../../lib/netns/exec.ts";
import type { Host, TestNet } from "./harness.ts";

/**
 * An overlay on `net` (state and logs in its directories unless `o` says otherwise) with the
 * tests' usual network parameters — hello 4 s, 2 client tunnels, tunnel_refresh 100 s — which `o`
 * may override.
 */
export function testOverlay(
  net: TestNet,
  o: Partial<Omit<OverlayOptions, "spawn">> = {},
): Promise<Overlay> {
  return Overlay.create({
    dir: net.tmpDir,
    logDir: net.logDir,
    spawn: (host, argv, opts) => net.spawn(host as Host, argv, opts),
    hello: 4,
    clientCount: 2,
    tunnelRefresh: 100,
    ...o,
  });
}

/** A process of a namespace; `argv` is empty once it is gone (or a zombie). */
export interface NsProcess {
  pid: number;
  argv: string[];
}

/** The processes running in namespace `ns`, with their argument vectors. */
export async function processesOf(ns: string): Promise<NsProcess[]> {
  const out = await run(["ip", "netns", "pids", ns]);
  const found: NsProcess[] = [];
  for (const pid of out.split("\n").filter((l) => /^\d+$/.test(l)).map(Number)) {
    const cmdline = await Deno.readTextFile(`/proc/${pid}/cmdline`).catch(() => "");
    found.push({ pid, argv: cmdline ? cmdline.split("\0") : [] });
  }
  return found;
}

/** OpenVPN client tunnels (`--client`) running in namespace `ns`. */
export async function openvpnClients(ns: string): Promise<NsProcess[]> {
  return (await processesOf(ns)).filter(({ argv }) =>
    argv.length > 0 && argv[0].endsWith("openvpn") && argv.includes("--client")
  );
}

/** Remote IPs of the OpenVPN client tunnels running in namespace `ns`. */
export async function openvpnClientRemotes(ns: string): Promise<string[]> {
  const remotes: string[] = [];
  for (const { argv } of await processesOf(ns)) {
    const i = argv.indexOf("--remote");
    if (argv.length > 0 && argv[0].endsWith("openvpn") && i >= 0) remotes.push(argv[i + 1]);
  }
  return remotes;
}
