/**
 * What the simulator measures on a tunnel graph: hop distances (mean, distribution, largest
 * eccentricity seen — the diameter when every node is a source), tunnels per node, and the share
 * of live node pairs that can communicate. Distances are BFS hop counts over established tunnels
 * from every live node, or from a seeded random sample of `sources` nodes at large n (the output
 * says which), 32 sources per pass.
 */
import type { TunnelGraph } from "./graph.ts";
import { seededRandom } from "../node/tunnel/random.ts";
import { components } from "./search.ts";
import { MAX_SOURCES, MultiSearch } from "./multi_search.ts";

/** One measurement of the network. */
export interface Snapshot {
  live: number;
  /** mean hop distance over reachable ordered pairs of distinct live nodes (measured ones) */
  hopsMean: number;
  /** hopsHistogram[d] = measured pairs at distance d (index 0 unused) */
  hopsHistogram: number[];
  /** largest distance seen from the sources (the diameter when all nodes are sources) */
  diameter: number;
  /** number of BFS sources, and whether that is every live node */
  sources: number;
  allSources: boolean;
  /** share of ordered pairs of distinct live nodes that reach each other */
  pairsConnected: number;
  components: number;
  /** established tunnels per live node */
  degreeMean: number;
  degreeMin: number;
  degreeMax: number;
  /** degreeHistogram[d] = live nodes with d tunnels */
  degreeHistogram: number[];
}

/** Measures `g` over the nodes flagged in `alive`; `seed` picks the sampled sources. */
export function measure(
  g: TunnelGraph,
  alive: Uint8Array,
  sources: number,
  seed: number,
): Snapshot {
  const n = g.n;
  const liveNodes: number[] = [];
  for (let i = 0; i < n; i++) if (alive[i]) liveNodes.push(i);
  const live = liveNodes.length;

  const label = new Int32Array(n), size = new Int32Array(n), queue = new Int32Array(n);
  components(g, label, size, queue);
  let pairs = 0, comps = 0;
  const liveIn = new Map<number, number>();
  for (const i of liveNodes) liveIn.set(label[i], (liveIn.get(label[i]) ?? 0) + 1);
  for (const c of liveIn.values()) {
    pairs += c * (c - 1);
    comps++;
  }

  const degreeHistogram: number[] = [];
  let degreeSum = 0, degreeMin = Infinity, degreeMax = 0;
  for (const i of liveNodes) {
    const d = g.degree[i];
    degreeHistogram[d] = (degreeHistogram[d] ?? 0) + 1;
    degreeSum += d;
    degreeMin = Math.min(degreeMin, d);
    degreeMax = Math.max(degreeMax, d);
  }
  for (let d = 0; d < degreeHistogram.length; d++) degreeHistogram[d] ??= 0;

  const allSources = sources >= live;
  let chosen = liveNodes;
  if (!allSources) {
    const random = seededRandom(seed);
    chosen = liveNodes.slice();
    for (let x = 0; x < sources; x++) {
      const y = x + Math.floor(random() * (chosen.length - x));
      [chosen[x], chosen[y]] = [chosen[y], chosen[x]];
    }
    chosen = chosen.slice(0, sources);
  }
  const hopsHistogram: number[] = [0];
  const search = new MultiSearch(n);
  let sum = 0, count = 0, diameter = 0;
  for (let x = 0; x < chosen.length; x += MAX_SOURCES) {
    search.run(g, chosen.slice(x, x + MAX_SOURCES), false, false);
    const levels = search.levels;
    for (let d = 1; d < levels.length; d++) {
      hopsHistogram[d] = (hopsHistogram[d] ?? 0) + levels[d];
      sum += d * levels[d];
      count += levels[d];
      if (d > diameter) diameter = d;
    }
  }
  for (let d = 0; d < hopsHistogram.length; d++) hopsHistogram[d] ??= 0;
  return {
    live,
    hopsMean: count > 0 ? sum / count : 0,
    hopsHistogram,
    diameter,
    sources: chosen.length,
    allSources,
    pairsConnected: live > 1 ? pairs / (live * (live - 1)) : 1,
    components: comps,
    degreeMean: live > 0 ? degreeSum / live : 0,
    degreeMin: live > 0 ? degreeMin : 0,
    degreeMax,
    degreeHistogram,
  };
}

/**
 * Ordered pairs of distinct nodes flagged in `mask` that reach each other through flagged nodes
 * only (the network as it would be if only those nodes were alive), and all such pairs.
 */
export function pairsAmong(g: TunnelGraph, mask: Uint8Array): { connected: number; total: number } {
  const seen = new Uint8Array(g.n);
  const queue = new Int32Array(g.n);
  let connected = 0, members = 0;
  for (let r = 0; r < g.n; r++) {
    if (!mask[r] || seen[r]) continue;
    let head = 0, tail = 0;
    seen[r] = 1;
    queue[tail++] = r;
    while (head < tail) {
      const u = queue[head++];
      for (let x = u * g.cap; x < u * g.cap + g.degree[u]; x++) {
        const v = g.adjNode[x];
        if (mask[v] && !seen[v]) {
          seen[v] = 1;
          queue[tail++] = v;
        }
      }
    }
    connected += tail * (tail - 1);
    members += tail;
  }
  return { connected, total: members * (members - 1) };
}
