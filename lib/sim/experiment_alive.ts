/**
 * Experiment (b): the probability that two machines cannot communicate when only x% of the
 * network is alive (re6stnet's `results/connectivity.png`, spec §15), for several k. For each k a
 * network settles for `rounds` refresh rounds; then
 * * at once: random x% subsets of its nodes (`trials` of them) are kept alive and the share of
 *   their ordered pairs without a path through live nodes is counted (the static model's figure);
 * * healed: the same seed is replayed, (100 − x)% of the nodes are killed, the registry is down,
 *   and the survivors' cores rebuild tunnels for `heal` rounds before counting again.
 */
import { toCsv } from "./csv.ts";
import { pairsAmong } from "./metrics.ts";
import { defaultOptions, SimNetwork, type SimOptions } from "./network.ts";
import { roundTime } from "./rounds.ts";
import { linePlot, type Series } from "./svg.ts";
import { TextTable } from "./table.ts";
import { seededRandom } from "../node/tunnel/random.ts";

/** What the alive experiment is asked for. */
export interface AliveRun {
  ks: number[];
  n: number;
  /** percentages of live nodes */
  alive: number[];
  trials: number;
  rounds: number;
  heal: number;
  model: Partial<SimOptions>;
  csv?: string;
  svg?: string;
  command: string;
}

/** One (k, x%) result. */
export interface AliveRow {
  k: number;
  alive_pct: number;
  /** share of disconnected ordered pairs right after the failure */
  p_disconnected: number;
  pairs_counted: number;
  /** the same after `heal` rounds of the survivors' cores without registry (-1: not run) */
  p_disconnected_healed: number;
  heal_rounds: number;
}

const COLUMNS = [
  "k",
  "alive_pct",
  "p_disconnected",
  "pairs_counted",
  "p_disconnected_healed",
  "heal_rounds",
];

function sci(x: number): string {
  return x < 0 ? "-" : x === 0 ? "0" : x.toExponential(2);
}

/** Runs the experiment and prints a row per (k, x). */
export function aliveExperiment(
  r: AliveRun,
  print: (line: string) => void = console.log,
): AliveRow[] {
  print(`# ${r.command}`);
  print(
    `share of live node pairs that cannot communicate, n=${r.n}, after ${r.rounds} settle rounds; ` +
      `"healed": after ${r.heal} rounds of the survivors' cores with the registry down`,
  );
  const table = new TextTable([
    { name: "k", width: 3 },
    { name: "alive%", width: 6 },
    { name: "P(disconnected)", width: 15 },
    { name: "pairs", width: 12 },
    { name: "healed", width: 10 },
  ], print);
  table.header();
  const rows: AliveRow[] = [];
  for (const k of r.ks) {
    const o = defaultOptions({ ...r.model, nodes: r.n, clientCount: k });
    const settle = roundTime(o.tunnelRefresh, r.rounds);
    const net = new SimNetwork(o);
    net.runUntil(settle);
    const random = seededRandom(o.seed * 104729 + k);
    for (const pct of r.alive) {
      let connected = 0, total = 0;
      const live: number[] = [];
      for (let i = 0; i < r.n; i++) if (net.alive[i]) live.push(i);
      const keep = Math.round(live.length * pct / 100);
      for (let t = 0; t < r.trials; t++) {
        const mask = new Uint8Array(r.n);
        for (let x = 0; x < keep; x++) {
          const y = x + Math.floor(random() * (live.length - x));
          [live[x], live[y]] = [live[y], live[x]];
          mask[live[x]] = 1;
        }
        const p = pairsAmong(net.graph, mask);
        connected += p.connected;
        total += p.total;
      }
      let healed = -1;
      if (r.heal > 0) {
        const replay = new SimNetwork(o);
        replay.runUntil(settle);
        replay.killShare(1 - pct / 100);
        replay.registryUp = false;
        replay.runUntil(settle + r.heal * o.tunnelRefresh);
        const p = pairsAmong(replay.graph, replay.alive);
        healed = p.total > 0 ? 1 - p.connected / p.total : 0;
      }
      const row: AliveRow = {
        k,
        alive_pct: pct,
        p_disconnected: total > 0 ? 1 - connected / total : 0,
        pairs_counted: total,
        p_disconnected_healed: healed,
        heal_rounds: r.heal,
      };
      rows.push(row);
      table.row([
        String(k),
        String(pct),
        sci(row.p_disconnected),
        String(total),
        sci(healed),
      ]);
      if (r.csv) {
        Deno.writeTextFileSync(r.csv, toCsv(COLUMNS, rows as unknown as Record<string, unknown>[]));
      }
    }
  }
  if (r.svg) Deno.writeTextFileSync(r.svg, alivePlot(rows, r.n));
  print("(0 means no disconnected pair among the pairs counted: below 1/pairs)");
  return rows;
}

/** P(disconnected) vs % alive, log scale; one colour per k, dashed after healing. */
export function alivePlot(rows: readonly AliveRow[], n: number): string {
  const ks = [...new Set(rows.map((x) => x.k))];
  const series: Series[] = [];
  ks.forEach((k, i) => {
    const mine = rows.filter((x) => x.k === k).sort((a, b) => a.alive_pct - b.alive_pct);
    series.push({
      name: `k=${k} at once`,
      points: mine.map((x) => [x.alive_pct, x.p_disconnected]),
      colour: i,
    });
    if (mine.some((x) => x.p_disconnected_healed >= 0)) {
      series.push({
        name: `k=${k} healed`,
        points: mine.map((x) => [x.alive_pct, x.p_disconnected_healed]),
        dashed: true,
        colour: i,
      });
    }
  });
  return linePlot({
    title: `${n} nodes: P(two live machines cannot communicate) vs share alive`,
    xLabel: "% of nodes alive",
    yLabel: "P(disconnected) (log; 0 not drawn)",
    yScale: "log10",
    series,
  });
}
