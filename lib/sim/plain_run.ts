/**
 * `re6st simulate` without an experiment name: one network, round by round, with a progress table
 * (hop distance, diameter, connected pairs, tunnels per node, replacements, wall time, memory),
 * then the distributions, the time to full connectivity, CSV and SVG.
 */
import { toCsv } from "./csv.ts";
import { mib, peakRss } from "./memory.ts";
import { SimNetwork, type SimOptions } from "./network.ts";
import { type RoundReport, roundTime, runRounds } from "./rounds.ts";
import { linePlot } from "./svg.ts";
import { fixed, TextTable } from "./table.ts";

/** What a plain run is asked for. */
export interface PlainRun {
  options: SimOptions;
  rounds: number;
  sources?: number;
  /** rounds [from, to) during which the registry is down */
  registryDown?: [number, number];
  csv?: string;
  svg?: string;
}

const COLUMNS = [
  "round",
  "time_s",
  "live",
  "hops_mean",
  "diameter",
  "pairs_connected",
  "components",
  "degree_mean",
  "degree_min",
  "degree_max",
  "replaced_per_node",
  "wall_s",
  "heap_mib",
];

/** Describes the model in a few header lines. */
export function describe(net: SimNetwork, sources: number): string[] {
  const o = net.o;
  return [
    `re6st simulate: ${o.nodes} nodes running the real tunnel manager (lib/node/tunnel/manager.ts)`,
    `k=${o.clientCount} max_clients=${o.maxClients} hello=${o.hello}s tunnel_refresh=${o.tunnelRefresh}s ` +
    `seed=${o.seed} start=${o.start} nat=${o.natShare} refresh=${o.refreshRule}` +
    (o.killRate || o.reviveRate ? ` kill/round=${o.killRate} revive/round=${o.reviveRate}` : ""),
    `route counts: ${net.routeCounts.description}`,
    `distances: ${
      sources >= o.nodes
        ? "BFS from every live node"
        : `BFS from ${sources} random live nodes (sampled)`
    }; diameter = largest distance seen`,
  ];
}

/** Runs and prints; returns the reports. */
export function plainRun(r: PlainRun, print: (line: string) => void = console.log): RoundReport[] {
  const o = r.options;
  const sources = r.sources ?? (o.nodes <= 2048 ? o.nodes : 64);
  const net = new SimNetwork(o);
  for (const line of describe(net, sources)) print(line);
  const table = new TextTable([
    { name: "round" },
    { name: "time_s" },
    { name: "live" },
    { name: "hops" },
    { name: "diam", width: 4 },
    { name: "pairs_ok" },
    { name: "deg_mean" },
    { name: "deg_min" },
    { name: "deg_max" },
    { name: "repl/node" },
    { name: "wall_s" },
    { name: "heap_MiB" },
  ], print);
  table.header();
  const reports: RoundReport[] = [];
  const rows: Record<string, unknown>[] = [];
  runRounds(net, r.rounds, sources, (rep) => {
    const s = rep.snapshot;
    const heap = Deno.memoryUsage().heapUsed;
    reports.push(rep);
    table.row([
      String(rep.round),
      String(rep.time),
      String(s.live),
      fixed(s.hopsMean, 3),
      String(s.diameter),
      fixed(s.pairsConnected, 5),
      fixed(s.degreeMean, 2),
      String(s.degreeMin),
      String(s.degreeMax),
      fixed(rep.replacedPerNode, 2),
      fixed(rep.wall, 1),
      mib(heap),
    ]);
    rows.push({
      round: rep.round,
      time_s: rep.time,
      live: s.live,
      hops_mean: s.hopsMean.toFixed(4),
      diameter: s.diameter,
      pairs_connected: s.pairsConnected.toFixed(6),
      components: s.components,
      degree_mean: s.degreeMean.toFixed(3),
      degree_min: s.degreeMin,
      degree_max: s.degreeMax,
      replaced_per_node: rep.replacedPerNode.toFixed(3),
      wall_s: rep.wall.toFixed(2),
      heap_mib: mib(heap),
    });
  }, (round) => {
    if (!r.registryDown) return;
    const [from, to] = r.registryDown;
    // the registry state of the coming round applies from the previous snapshot on
    net.registryUp = !(round > from && round <= to);
  });
  const last = reports[reports.length - 1].snapshot;
  print("");
  print(`hop distance distribution (final round): ${histogram(last.hopsHistogram, 1)}`);
  print(`tunnels per node (final round): ${histogram(last.degreeHistogram, 0)}`);
  print(
    `full connectivity from ${o.start} start: ${
      net.connectedAt === undefined ? "not reached" : `${net.connectedAt} s (virtual)`
    }; ${net.counters.dumps} babel dumps, ${net.counters.opened} tunnel attempts ` +
      `(${net.counters.refused} refused), ${net.counters.replaced} replacements, ` +
      `${net.counters.bootstrapAsks} registry bootstrap asks`,
  );
  print(`peak RSS ${mib(peakRss())} MiB`);
  if (r.csv) Deno.writeTextFileSync(r.csv, toCsv(COLUMNS, rows));
  if (r.svg) {
    Deno.writeTextFileSync(
      r.svg,
      linePlot({
        title: `${o.nodes} nodes, k=${o.clientCount}: average hop distance per refresh round`,
        xLabel: `round (tunnel_refresh = ${o.tunnelRefresh} s; round r at t = ${
          roundTime(o.tunnelRefresh, 0)
        } + r·${o.tunnelRefresh} s)`,
        yLabel: "hops",
        series: [
          { name: "average hops", points: reports.map((x) => [x.round, x.snapshot.hopsMean]) },
          {
            name: "diameter (seen)",
            points: reports.map((x) => [x.round, x.snapshot.diameter]),
            dashed: true,
          },
        ],
      }),
    );
  }
  return reports;
}

/** `value:count` pairs of a histogram, skipping empty bins. */
export function histogram(h: readonly number[], from: number): string {
  const parts: string[] = [];
  for (let i = from; i < h.length; i++) if (h[i]) parts.push(`${i}:${h[i]}`);
  return parts.join(" ");
}
