/**
 * Brute-force reference for the simulator's routing model: Floyd–Warshall over the established
 * tunnels (drained ones cost `drainedCost(n)`), babel's first hop = the smallest edge id among the
 * tunnels on a shortest path, route counts by enumerating every destination.
 */
import type { TunnelGraph } from "../../lib/sim/graph.ts";
import { drainedCost } from "../../lib/sim/search.ts";

/** Established edges as plain triples. */
export function edgeList(g: TunnelGraph): Array<{ e: number; a: number; b: number; w: number }> {
  const out = [];
  for (let e = 0; e < g.edgeCapacity; e++) {
    if (g.exists(e) && g.up[e]) {
      out.push({ e, a: g.client[e], b: g.server[e], w: g.drained[e] ? drainedCost(g.n) : 1 });
    }
  }
  return out;
}

/** Brute force: Floyd–Warshall distances and, per (i, t), babel's first hop (smallest edge id). */
export function bruteForce(g: TunnelGraph) {
  const n = g.n;
  const edges = edgeList(g);
  const d = Array.from(
    { length: n },
    (_, i) => Array.from({ length: n }, (_, j) => i === j ? 0 : Infinity),
  );
  for (const { a, b, w } of edges) {
    d[a][b] = Math.min(d[a][b], w);
    d[b][a] = Math.min(d[b][a], w);
  }
  for (let k = 0; k < n; k++) {
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) if (d[i][k] + d[k][j] < d[i][j]) d[i][j] = d[i][k] + d[k][j];
    }
  }
  const firstHop = (i: number, t: number): number => {
    let best = -1;
    for (const { e, a, b, w } of edges) {
      if (a !== i && b !== i) continue;
      const j = a === i ? b : a;
      if (w + d[j][t] === d[i][t] && (best < 0 || e < best)) best = e;
    }
    return best;
  };
  const routes = (i: number, e: number): number => {
    let c = 0;
    for (let t = 0; t < n; t++) if (t !== i && d[i][t] < Infinity && firstHop(i, t) === e) c++;
    return c;
  };
  return { d, edges, firstHop, routes };
}
