/**
 * Recovery figures of TARGETS.md on the `router` topology (registry node + 4 nodes on one
 * switch, client-count 2, tunnel-refresh 100, TCP tunnels), real programs in namespaces. After
 * the cold start converged, in turn:
 * - node kill: the best-connected node (most OpenVPN processes, the registry node excepted)
 *   loses every process of its namespace → every pair of the other nodes pings6 again
 *   (target ≤ 2 × hello + 2 s); it is then restarted and the network converges again;
 * - tunnel cut: one established client tunnel's OpenVPN is SIGKILLed → every pair pings6 again;
 * - server kill: the registry node's OpenVPN server (every node's first tunnel goes there) is
 *   SIGKILLed; the daemon restarts it → every pair pings6 again;
 * - registry outage: the registry process is stopped and 30 % of the nodes (2 of 4, not the
 *   registry node) are restarted from their cache → every pair pings6 again.
 * Each time is measured from the event to the round in which the last missing pair answered
 * (rounds of at most 1 s). Prints medians with min/max.
 * Usage (root): deno run -A bench/recovery_bench.ts [runs=3] [hello=4]
 */
import { type PingTarget, watchConvergence } from "../lib/demo/reachability.ts";
import type { OverlayNode } from "../lib/demo/overlay.ts";
import { run } from "../lib/netns/exec.ts";
import { TestNet } from "../tests/net/harness.ts";
import { routerNetwork, startAll, targetsOf } from "../tests/net/router_network.ts";

const runs = Number(Deno.args[0] ?? 3);
const hello = Number(Deno.args[1] ?? 4);
if (Deno.uid() !== 0) {
  console.error("recovery_bench: needs root (network namespaces)");
  Deno.exit(1);
}
const LIMIT_MS = 180_000;

/** argv of every process of a namespace, by PID. */
async function processes(ns: string): Promise<Map<number, string[]>> {
  const out = await run(["ip", "netns", "pids", ns]);
  const found = new Map<number, string[]>();
  for (const pid of out.split("\n").filter((l) => /^\d+$/.test(l)).map(Number)) {
    const argv = (await Deno.readTextFile(`/proc/${pid}/cmdline`).catch(() => "")).split("\0");
    if (argv[0]) found.set(pid, argv);
  }
  return found;
}

const isOpenvpn = (argv: string[]) => argv[0].endsWith("openvpn");

async function converge(targets: PingTarget[], what: string): Promise<number> {
  const c = await watchConvergence(targets, LIMIT_MS);
  if (!c.complete) throw new Error(`${what}: no convergence in ${LIMIT_MS} ms`);
  return c.ms;
}

interface Sample {
  nodeKill: number;
  tunnelCut: number;
  serverKill: number;
  outage: number;
}

async function once(): Promise<Sample> {
  const net = await TestNet.create(`bench-recovery-h${hello}`);
  try {
    const { nodes, overlay } = await routerNetwork(net, 4, { hello, verbose: 2 });
    const targets = targetsOf(nodes);
    await startAll(nodes);
    await converge(targets, "cold start");

    // node kill
    let victim: OverlayNode = nodes[1], most = -1;
    for (const n of nodes.slice(1)) {
      const count = [...(await processes(n.host.ns)).values()].filter(isOpenvpn).length;
      if (count > most) [victim, most] = [n, count];
    }
    await victim.stop("SIGKILL");
    for (const pid of (await processes(victim.host.ns)).keys()) Deno.kill(pid, "SIGKILL");
    const others = targets.filter((t) => t.ns !== victim.host.ns);
    const nodeKill = await converge(others, "node kill");
    await victim.start();
    await converge(targets, "killed node back");

    // tunnel cut: an established client tunnel (its OpenVPN has a --remote)
    let cut: number | undefined;
    for (const n of nodes.slice(1)) {
      for (const [pid, argv] of await processes(n.host.ns)) {
        if (isOpenvpn(argv) && argv.includes("--remote")) cut ??= pid;
      }
    }
    if (cut === undefined) throw new Error("no client tunnel to cut");
    Deno.kill(cut, "SIGKILL");
    const tunnelCut = await converge(targets, "tunnel cut");

    // server kill
    const server = [...(await processes(nodes[0].host.ns))].find(([, argv]) =>
      isOpenvpn(argv) && argv.includes("--tls-server")
    );
    if (!server) throw new Error("no OpenVPN server on the registry node");
    Deno.kill(server[0], "SIGKILL");
    const serverKill = await converge(targets, "server kill");

    // registry outage, 30 % restarted
    await net.kill(overlay.registry!);
    const restarted = [nodes[2], nodes[4]];
    await Promise.all(restarted.map((n) => n.stop("SIGTERM", 20_000)));
    await Promise.all(restarted.map((n) => n.start()));
    const outage = await converge(targets, "registry outage restart");
    return { nodeKill, tunnelCut, serverKill, outage };
  } finally {
    await net.dispose();
    await Deno.remove(net.logDir, { recursive: true }).catch(() => {});
  }
}

function stats(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  return `${mid.toFixed(1)} (${s[0].toFixed(1)}–${s[s.length - 1].toFixed(1)})`;
}

const samples: Sample[] = [];
for (let i = 0; i < runs; i++) {
  const s = await once();
  console.error(
    `run ${i + 1}: node kill ${s.nodeKill} ms, tunnel cut ${s.tunnelCut} ms, ` +
      `server kill ${s.serverKill} ms, registry outage restart ${s.outage} ms`,
  );
  samples.push(s);
}
const col = (f: (s: Sample) => number) => stats(samples.map((s) => f(s) / 1000));
console.log(
  "| hello | runs | node kill → others all pairs (s) | tunnel cut → all pairs (s) " +
    "| server kill → all pairs (s) | registry down, 30 % restarted → all pairs (s) |",
);
console.log("|---|---|---|---|---|---|");
console.log(
  `| ${hello} | ${runs} | ${col((s) => s.nodeKill)} | ${col((s) => s.tunnelCut)} | ` +
    `${col((s) => s.serverKill)} | ${col((s) => s.outage)} |`,
);
console.log(`target (TARGETS.md): node kill ≤ 2 × hello + 2 = ${2 * hello + 2} s`);
