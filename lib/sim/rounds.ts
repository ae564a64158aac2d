/**
 * Drives a `SimNetwork` round by round. Snapshot r is taken at virtual time R/2 + r·R
 * (R = tunnel_refresh): r = 0 is the graph the cores built at start, before any refresh.
 */
import { measure, type Snapshot } from "./metrics.ts";
import type { SimCounters, SimNetwork } from "./network.ts";

/** One measured round. */
export interface RoundReport {
  round: number;
  /** virtual seconds */
  time: number;
  snapshot: Snapshot;
  /** tunnels replaced by the refresh rule during the round, per live node */
  replacedPerNode: number;
  counters: SimCounters;
  /** wall-clock seconds since the network was built */
  wall: number;
}

/** Virtual time of snapshot `round`. */
export function roundTime(tunnelRefresh: number, round: number): number {
  return Math.ceil(tunnelRefresh / 2) + round * tunnelRefresh;
}

/**
 * Runs rounds 0…`rounds`, measuring with `sources` BFS sources, and reports each. `before(r)` runs
 * just before the network is advanced to snapshot r (to schedule churn, registry outages…).
 */
export function runRounds(
  net: SimNetwork,
  rounds: number,
  sources: number,
  report: (r: RoundReport) => void,
  before: (round: number) => void = () => {},
): void {
  const start = performance.now();
  let replaced = net.counters.replaced;
  for (let round = 0; round <= rounds; round++) {
    before(round);
    const time = roundTime(net.o.tunnelRefresh, round);
    net.runUntil(time);
    const snapshot = measure(net.graph, net.alive, sources, net.o.seed * 7919 + round);
    const counters = { ...net.counters };
    report({
      round,
      time,
      snapshot,
      replacedPerNode: snapshot.live > 0 ? (counters.replaced - replaced) / snapshot.live : 0,
      counters,
      wall: (performance.now() - start) / 1000,
    });
    replaced = counters.replaced;
  }
}
