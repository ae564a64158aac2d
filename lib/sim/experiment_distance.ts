/**
 * Experiment (a): average hop distance for n nodes with k tunnels each, next to re6stnet's
 * published random-graph table (spec §15). For every (n, k): warm start, the cores build the
 * initial graph (round 0), then `rounds` refresh rounds. Cells run cheapest first (n·k), so that a
 * time budget cuts the most expensive ones; the CSV is rewritten after every result so that a
 * stopped run keeps what it measured.
 */
import { toCsv } from "./csv.ts";
import { mib, peakRss } from "./memory.ts";
import type { Snapshot } from "./metrics.ts";
import { defaultOptions, SimNetwork, type SimOptions } from "./network.ts";
import { publishedDistance } from "./published.ts";
import { runRounds } from "./rounds.ts";
import { linePlot, type Series } from "./svg.ts";
import { fixed, TextTable } from "./table.ts";

/** What the distance experiment is asked for. */
export interface DistanceRun {
  ns: number[];
  ks: number[];
  rounds: number;
  /** model parameters other than n and k */
  model: Partial<SimOptions>;
  sources?: number;
  /** this k's cells run first (e.g. the headline k = 10); the rest by increasing n·k */
  firstK?: number;
  /** stop starting new (n, k) runs after this many wall seconds */
  budget?: number;
  csv?: string;
  svg?: string;
  /** the command line, recorded in the output */
  command: string;
}

/** One measured (n, k). */
export interface DistanceRow {
  n: number;
  k: number;
  rounds: number;
  hops_initial: number;
  hops_final: number;
  hops_best: number;
  published?: number;
  diameter: number;
  pairs_connected: number;
  degree_mean: number;
  sources: string;
  route_counts: string;
  wall_s: number;
  peak_rss_mib: string;
}

const COLUMNS = [
  "n",
  "k",
  "rounds",
  "hops_initial",
  "hops_final",
  "hops_best",
  "published",
  "diameter",
  "pairs_connected",
  "degree_mean",
  "sources",
  "route_counts",
  "wall_s",
  "peak_rss_mib",
];

/** Runs the grid (n outer, k inner) and prints a row per result. */
export function distanceExperiment(
  r: DistanceRun,
  print: (line: string) => void = console.log,
): DistanceRow[] {
  const start = performance.now();
  print(`# ${r.command}`);
  print(
    `average hop distance after ${r.rounds} refresh rounds of the real tunnel manager, ` +
      `vs re6stnet's published random-graph model (spec §15)`,
  );
  const table = new TextTable([
    { name: "n" },
    { name: "k", width: 3 },
    { name: "initial" },
    { name: "final" },
    { name: "best" },
    { name: "published", width: 9 },
    { name: "diam", width: 4 },
    { name: "pairs_ok" },
    { name: "deg" },
    { name: "wall_s" },
    { name: "rss_MiB" },
  ], print);
  table.header();
  const rows: DistanceRow[] = [];
  const cells = r.ns.flatMap((n) => r.ks.map((k) => [n, k] as const))
    .sort((a, b) =>
      Number(b[1] === r.firstK) - Number(a[1] === r.firstK) || a[0] * a[1] - b[0] * b[1] ||
      a[0] - b[0]
    );
  {
    for (const [n, k] of cells) {
      if (r.budget !== undefined && (performance.now() - start) / 1000 > r.budget) {
        print(`time budget of ${r.budget} s used up: stopping before n=${n} k=${k}`);
        break;
      }
      const o = defaultOptions({ ...r.model, nodes: n, clientCount: k });
      if (o.clientCount >= n) continue;
      const t0 = performance.now();
      const net = new SimNetwork(o);
      const sources = r.sources ?? (n <= 2048 ? n : 64);
      const hops: number[] = [];
      const snapshots: Snapshot[] = [];
      runRounds(net, r.rounds, sources, (rep) => {
        hops.push(rep.snapshot.hopsMean);
        snapshots.push(rep.snapshot);
      });
      const s = snapshots[snapshots.length - 1];
      const row: DistanceRow = {
        n,
        k,
        rounds: r.rounds,
        hops_initial: Number(hops[0].toFixed(4)),
        hops_final: Number(hops[hops.length - 1].toFixed(4)),
        hops_best: Number(Math.min(...hops).toFixed(4)),
        published: publishedDistance(n, k),
        diameter: s.diameter,
        pairs_connected: Number(s.pairsConnected.toFixed(6)),
        degree_mean: Number(s.degreeMean.toFixed(3)),
        sources: s.allSources ? "all" : String(s.sources),
        route_counts: o.routeCounts === "exact" ? "exact" : `${o.routeCounts} landmarks`,
        wall_s: Number(((performance.now() - t0) / 1000).toFixed(1)),
        peak_rss_mib: mib(peakRss()),
      };
      rows.push(row);
      table.row([
        String(n),
        String(k),
        fixed(row.hops_initial, 3),
        fixed(row.hops_final, 3),
        fixed(row.hops_best, 3),
        fixed(row.published, 2),
        String(row.diameter),
        fixed(row.pairs_connected, 4),
        fixed(row.degree_mean, 1),
        fixed(row.wall_s, 1),
        row.peak_rss_mib,
      ]);
      if (r.csv) {
        Deno.writeTextFileSync(r.csv, toCsv(COLUMNS, rows as unknown as Record<string, unknown>[]));
      }
      if (r.svg) Deno.writeTextFileSync(r.svg, distancePlot(rows, r.rounds));
    }
  }
  return rows;
}

/** Hops vs n, one colour per k: measured (solid) and published (dashed). */
export function distancePlot(rows: readonly DistanceRow[], rounds: number): string {
  const ks = [...new Set(rows.map((x) => x.k))].sort((a, b) => a - b);
  const series: Series[] = [];
  ks.forEach((k, i) => {
    const mine = rows.filter((x) => x.k === k).sort((a, b) => a.n - b.n);
    series.push({
      name: `k=${k} simulated`,
      points: mine.map((x) => [x.n, x.hops_final]),
      colour: i,
    });
    const pub = mine.filter((x) => x.published !== undefined);
    if (pub.length) {
      series.push({
        name: `k=${k} published`,
        points: pub.map((x) => [x.n, x.published!]),
        dashed: true,
        colour: i,
      });
    }
  });
  return linePlot({
    title:
      `Average hop distance after ${rounds} refresh rounds (dashed: re6stnet's published model)`,
    xLabel: "nodes (n)",
    yLabel: "average hops",
    xScale: "log2",
    series,
    height: Math.max(500, 60 + series.length * 18),
  });
}
