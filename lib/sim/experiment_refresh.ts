/**
 * Experiment (c): what the route-count refresh rule (spec §10.5: replace the tunnel babel routes
 * the fewest nodes through) does compared with replacing a random tunnel, and with no refresh.
 * Same seed, same start; only the rule differs. When route counts are exact, a variant with the
 * landmark estimate shows what the estimate used at large n costs.
 */
import { toCsv } from "./csv.ts";
import { type SimOptions } from "./network.ts";
import { type RoundReport } from "./rounds.ts";
import { histogram, plainRun } from "./plain_run.ts";
import { linePlot } from "./svg.ts";
import { fixed, TextTable } from "./table.ts";

/** What the refresh-rule experiment is asked for. */
export interface RefreshRun {
  options: SimOptions;
  rounds: number;
  sources?: number;
  csv?: string;
  svg?: string;
  command: string;
}

/** Runs every variant, then prints hops per round side by side. */
export function refreshRuleExperiment(
  r: RefreshRun,
  print: (line: string) => void = console.log,
): Map<string, RoundReport[]> {
  print(`# ${r.command}`);
  const variants: Array<[string, Partial<SimOptions>]> = [
    ["routes", { refreshRule: "routes" }],
    ["random", { refreshRule: "random" }],
    ["off", { refreshRule: "off" }],
  ];
  if (r.options.routeCounts === "exact") {
    variants.splice(1, 0, ["routes-64-landmarks", { refreshRule: "routes", routeCounts: 64 }]);
  }
  const results = new Map<string, RoundReport[]>();
  for (const [name, change] of variants) {
    print(`\n## variant ${name}`);
    results.set(
      name,
      plainRun(
        { options: { ...r.options, ...change }, rounds: r.rounds, sources: r.sources },
        print,
      ),
    );
  }
  print("\n## average hops per round");
  const names = [...results.keys()];
  const table = new TextTable([{ name: "round" }, ...names.map((name) => ({ name }))], print);
  table.header();
  const rows: Record<string, unknown>[] = [];
  for (let round = 0; round <= r.rounds; round++) {
    const row: Record<string, unknown> = { round };
    for (const name of names) row[name] = results.get(name)![round].snapshot.hopsMean.toFixed(4);
    rows.push(row);
    table.row([String(round), ...names.map((name) => fixed(Number(row[name]), 3))]);
  }
  for (const name of names) {
    const last = results.get(name)![r.rounds].snapshot;
    print(`${name}: tunnels per node at the end ${histogram(last.degreeHistogram, 0)}`);
  }
  if (r.csv) Deno.writeTextFileSync(r.csv, toCsv(["round", ...names], rows));
  if (r.svg) {
    Deno.writeTextFileSync(
      r.svg,
      linePlot({
        title:
          `${r.options.nodes} nodes, k=${r.options.clientCount}: refresh rule vs random replacement`,
        xLabel: `round (tunnel_refresh = ${r.options.tunnelRefresh} s)`,
        yLabel: "average hops",
        series: names.map((name) => ({
          name,
          points: results.get(name)!.map((x) => [x.round, x.snapshot.hopsMean] as [number, number]),
        })),
      }),
    );
  }
  return results;
}
