/**
 * Simulator bench (TARGETS.md "Simulator"): wall time and peak RSS of `re6st simulate`'s engine
 * for n = 1k, 10k, 100k nodes, k = 10, default model (warm start, hello 4 s, tunnel_refresh 60 s,
 * exact route counts up to 2048 nodes, else 64 landmarks), every round measured from 32 sampled
 * BFS sources. Each run is a fresh child process pinned to one core (`taskset -c CPU` when
 * available), so that its peak RSS (VmHWM) is its own, with V8's default heap limits (no
 * `--max-old-space-size`). Each line also gives the child's user CPU time, steadier than the wall
 * time on a shared machine.
 *
 *   deno run -A bench/sim_bench.ts [--runs 3] [--sizes 1000:100,10000:100,100000:10] [--cpu 1]
 *
 * Prints one line per run and, per size, the median with min/max; writes bench/out/sim_bench.json.
 */
import { parseArgs } from "node:util";
import { defaultOptions, SimNetwork } from "../lib/sim/network.ts";
import { runRounds } from "../lib/sim/rounds.ts";
import { peakRss } from "../lib/sim/memory.ts";
import { cpuUsage } from "node:process";

interface Result {
  n: number;
  rounds: number;
  wall_s: number;
  /** user CPU time of the child */
  user_s: number;
  build_s: number;
  peak_rss_mib: number;
  hops_first: number;
  hops_last: number;
  replaced: number;
  dumps: number;
  /** 1-minute load average of the machine when the run started (other users of the cores) */
  load: number;
}

/** 1-minute load average, or NaN where /proc is unavailable. */
function loadAverage(): number {
  try {
    return Number(Deno.readTextFileSync("/proc/loadavg").split(" ")[0]);
  } catch {
    return NaN;
  }
}

function child(n: number, rounds: number): Result {
  const load = loadAverage();
  const t0 = performance.now();
  const net = new SimNetwork(defaultOptions({ nodes: n, clientCount: 10 }));
  const build = (performance.now() - t0) / 1000;
  const hops: number[] = [];
  runRounds(net, rounds, 32, (r) => hops.push(r.snapshot.hopsMean));
  return {
    n,
    rounds,
    wall_s: (performance.now() - t0) / 1000,
    user_s: cpuUsage().user / 1e6,
    build_s: build,
    peak_rss_mib: peakRss() / 2 ** 20,
    hops_first: hops[0],
    hops_last: hops[hops.length - 1],
    replaced: net.counters.replaced,
    dumps: net.counters.dumps,
    load,
  };
}

async function spawn(n: number, rounds: number, cpu: string): Promise<Result> {
  const self = new URL(import.meta.url).pathname;
  const deno = [Deno.execPath(), "run", "-A", self];
  const args = ["--child", `${n}:${rounds}`];
  let cmd = deno[0], argv = [...deno.slice(1), ...args];
  try {
    await new Deno.Command("taskset", { args: ["-c", "0", "true"] }).output();
    cmd = "taskset";
    argv = ["-c", cpu, ...deno, ...args];
  } catch {
    // no taskset: run unpinned
  }
  const out = await new Deno.Command(cmd, { args: argv, stderr: "inherit" }).output();
  if (!out.success) throw new Error(`child for n=${n} failed`);
  return JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").pop()!);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      child: { type: "string" },
      runs: { type: "string", default: "3" },
      sizes: { type: "string", default: "1000:100,10000:100,100000:10" },
      cpu: { type: "string", default: "1" },
    },
  });
  if (values.child) {
    const [n, rounds] = values.child.split(":").map(Number);
    console.log(JSON.stringify(child(n, rounds)));
  } else {
    const runs = Number(values.runs);
    const all: Result[] = [];
    console.log(`simulator bench: k=10, ${runs} run(s) per size (100k: 1 run), one core each`);
    for (const size of values.sizes.split(",")) {
      const [n, rounds] = size.split(":").map(Number);
      const results: Result[] = [];
      for (let i = 0; i < (n >= 100000 ? 1 : runs); i++) {
        const r = await spawn(n, rounds, values.cpu);
        results.push(r);
        all.push(r);
        console.log(
          `n=${n} rounds=${rounds}: ${r.wall_s.toFixed(1)} s wall, ${r.user_s.toFixed(1)} s user ` +
            `(build ${r.build_s.toFixed(1)} s), ` +
            `peak RSS ${r.peak_rss_mib.toFixed(0)} MiB, hops ${r.hops_first.toFixed(3)} → ` +
            `${r.hops_last.toFixed(3)}, ${r.replaced} replacements, ${r.dumps} dumps, ` +
            `load ${r.load.toFixed(1)}`,
        );
      }
      const walls = results.map((r) => r.wall_s), rss = results.map((r) => r.peak_rss_mib);
      const users = results.map((r) => r.user_s);
      console.log(
        `  n=${n} × ${rounds} rounds: median ${median(walls).toFixed(1)} s ` +
          `[${Math.min(...walls).toFixed(1)}–${Math.max(...walls).toFixed(1)}], ` +
          `user CPU median ${median(users).toFixed(1)} s ` +
          `[${Math.min(...users).toFixed(1)}–${Math.max(...users).toFixed(1)}], ` +
          `peak RSS median ${median(rss).toFixed(0)} MiB [${Math.min(...rss).toFixed(0)}–${
            Math.max(...rss).toFixed(0)
          }]`,
      );
    }
    await Deno.mkdir(new URL("./out/", import.meta.url), { recursive: true });
    await Deno.writeTextFile(
      new URL("./out/sim_bench.json", import.meta.url),
      JSON.stringify(all, null, 1),
    );
  }
}
