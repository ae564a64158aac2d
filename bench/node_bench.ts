/**
 * Node network figures of TARGETS.md on the `router` topology (registry node + 4 nodes on one
 * switch, client-count 2, tunnel-refresh 100, TCP tunnels), real programs in namespaces:
 * - cold start: every daemon started at t = 0 with an empty cache → every ordered pair pings6;
 * - restart: one node's machine crashes (every process of its namespace SIGKILLed) and its
 *   daemon is started again with its warm cache → every ordered pair pings6 again;
 * - RSS of each `re6st node` process (without its OpenVPN/babeld children) at steady state;
 * - CPU at steady state of each whole non-registry node (every process of its namespace: the
 *   daemon, its OpenVPN and babeld), from /proc utime + stime over one minute after convergence.
 * Pings are probed in rounds of at most 1 s, so times are accurate to about a second.
 * Prints medians with min/max per hello interval.
 * Usage (root): deno run -A bench/node_bench.ts [runs=3] [hellos=4,15]
 */
import { watchConvergence } from "../lib/demo/reachability.ts";
import { run } from "../lib/netns/exec.ts";
import { delay } from "../lib/netns/wait.ts";
import { TestNet } from "../tests/net/harness.ts";
import { routerNetwork, startAll, targetsOf } from "../tests/net/router_network.ts";

const runs = Number(Deno.args[0] ?? 3);
const hellos = (Deno.args[1] ?? "4,15").split(",").map(Number);
if (Deno.uid() !== 0) {
  console.error("node_bench: needs root (network namespaces)");
  Deno.exit(1);
}

function rssMiB(pid: number, field = "VmRSS"): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(Deno.readTextFileSync(`/proc/${pid}/status`));
  return m ? Number(m[1]) / 1024 : NaN;
}

const CPU_WINDOW_MS = 60_000;
const CLK_TCK = 100; // Linux USER_HZ on x86_64/aarch64

/** utime + stime (clock ticks) of every process of namespace `ns`. */
async function namespaceTicks(ns: string): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  const pids = await run(["ip", "netns", "pids", ns]);
  for (const p of pids.split("\n").filter((l) => /^\d+$/.test(l))) {
    try {
      const stat = Deno.readTextFileSync(`/proc/${p}/stat`);
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      out.set(Number(p), Number(f[11]) + Number(f[12]));
    } catch { /* gone */ }
  }
  return out;
}

/** CPU % of one core used by each namespace over `ms` (processes present at both ends). */
async function cpuPercent(namespaces: string[], ms: number): Promise<number[]> {
  const before = await Promise.all(namespaces.map(namespaceTicks));
  await delay(ms);
  const after = await Promise.all(namespaces.map(namespaceTicks));
  return after.map((a, i) => {
    let ticks = 0;
    for (const [pid, t] of a) ticks += t - (before[i].get(pid) ?? t);
    return (100 * ticks / CLK_TCK) / (ms / 1000);
  });
}

interface Sample {
  coldMs: number;
  restartMs: number;
  rss: number[];
  /** anonymous part of the RSS (heap, stacks), without the mapped Deno binary */
  anon: number[];
  /** whole-node CPU at steady state, % of one core */
  cpu: number[];
}

async function once(hello: number): Promise<Sample> {
  const net = await TestNet.create(`bench-node-h${hello}`);
  try {
    const { nodes } = await routerNetwork(net, 4, { hello, verbose: 2 });
    const targets = targetsOf(nodes);
    const limit = 60_000 + 20_000 * hello;
    await startAll(nodes);
    const cold = await watchConvergence(targets, limit);
    if (!cold.complete) throw new Error(`hello ${hello}: no convergence in ${limit} ms`);
    await delay(5000);
    const rss = nodes.map((n) => rssMiB(n.proc!.pid));
    const anon = nodes.map((n) => rssMiB(n.proc!.pid, "RssAnon"));
    const cpu = await cpuPercent(nodes.slice(1).map((n) => n.host.ns), CPU_WINDOW_MS);

    const victim = nodes[2];
    await victim.stop("SIGKILL");
    const pids = await run(["ip", "netns", "pids", victim.host.ns]);
    for (const p of pids.split("\n").filter((l) => /^\d+$/.test(l))) {
      try {
        Deno.kill(Number(p), "SIGKILL");
      } catch { /* gone */ }
    }
    await victim.start();
    const back = await watchConvergence(targets, limit);
    if (!back.complete) throw new Error(`hello ${hello}: no recovery in ${limit} ms`);
    await Deno.remove(net.logDir, { recursive: true }).catch(() => {});
    return { coldMs: cold.ms, restartMs: back.ms, rss, anon, cpu };
  } catch (e) {
    console.error(`logs kept in ${net.logDir}`);
    throw e;
  } finally {
    await net.dispose();
  }
}

function stats(xs: number[], digits = 1): string {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  return `${mid.toFixed(digits)} (${s[0].toFixed(digits)}–${s[s.length - 1].toFixed(digits)})`;
}

const rows: string[] = [];
for (const hello of hellos) {
  const samples: Sample[] = [];
  for (let i = 0; i < runs; i++) {
    const s = await once(hello);
    console.error(
      `hello ${hello} run ${i + 1}: cold ${s.coldMs} ms, restart ${s.restartMs} ms, ` +
        `RSS ${s.rss.map((r) => r.toFixed(1)).join("/")} MiB ` +
        `(anonymous ${s.anon.map((r) => r.toFixed(1)).join("/")}), ` +
        `CPU ${s.cpu.map((c) => c.toFixed(2)).join("/")} %`,
    );
    samples.push(s);
  }
  rows.push(
    `| ${hello} | ${runs} | ${stats(samples.map((s) => s.coldMs / 1000))} | ` +
      `${stats(samples.map((s) => s.restartMs / 1000))} | ${
        stats(samples.flatMap((s) => s.rss))
      } | ` +
      `${stats(samples.flatMap((s) => s.anon))} | ${stats(samples.flatMap((s) => s.cpu), 2)} |`,
  );
}
console.log(
  "| hello | runs | cold start → all pairs (s) | restart → all pairs (s) | node RSS (MiB) " +
    "| of which anonymous (MiB) | steady CPU, whole node (% of a core) |",
);
console.log("|---|---|---|---|---|---|---|");
for (const r of rows) console.log(r);
