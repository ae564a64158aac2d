/**
 * Breadth-first searches from up to 32 sources at once: each node holds one bit per source in an
 * int32 mask, and one pass over a level's frontier advances every search that reached it. A node's
 * tunnels are read once per distinct distance of the node from the sources (a handful), instead
 * of once per source: the route counts' landmark searches and the measurement BFS use it.
 *
 * Hop distances, and optionally for every (node, source) the tunnel the node forwards by towards
 * the source: the smallest edge id among its tunnels to nodes one hop closer — the same tie-break
 * as `SearchSpace` when no drained tunnel is involved.
 */
import type { TunnelGraph } from "./graph.ts";

/** Largest number of sources of one `MultiSearch.run`. */
export const MAX_SOURCES = 32;

/** Number of set bits of a 32-bit mask. */
export function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
}

/** Reusable arrays for multi-source searches over a graph of `n` nodes. */
export class MultiSearch {
  /** per node: bit s set if source s reached it */
  readonly seen: Int32Array;
  /** with keys: `key[v * 32 + s]` = tunnel v forwards by towards source s (v ≠ source, reached) */
  readonly key: Int32Array;
  /** nodes reached per source, the source included */
  readonly reached = new Int32Array(MAX_SOURCES);
  /** newly reached (node, source) pairs per distance (index 0: the sources) */
  readonly levels: number[] = [];
  readonly #frontier: Int32Array;
  readonly #next: Int32Array;
  #list: Int32Array;
  #nextList: Int32Array;

  constructor(readonly n: number) {
    this.seen = new Int32Array(n);
    this.key = new Int32Array(n * MAX_SOURCES);
    this.#frontier = new Int32Array(n);
    this.#next = new Int32Array(n);
    this.#list = new Int32Array(n);
    this.#nextList = new Int32Array(n);
  }

  /**
   * Searches from `sources` (at most 32 distinct nodes) over established tunnels, only normal
   * ones with `clean`; with `keys`, fills `key` for every reached (node, source) but the sources.
   */
  run(g: TunnelGraph, sources: ArrayLike<number>, clean: boolean, keys: boolean): void {
    const count = sources.length;
    if (count > MAX_SOURCES) throw new Error(`at most ${MAX_SOURCES} sources`);
    const { seen, key, reached, levels } = this;
    const frontier = this.#frontier, next = this.#next;
    const cap = g.cap, adjNode = g.adjNode, adjEdge = g.adjEdge, degree = g.degree;
    const drained = g.drained, drainedAt = g.drainedAt;
    seen.fill(0);
    reached.fill(0);
    levels.length = 0;
    let list = this.#list, nextList = this.#nextList;
    let size = 0;
    for (let s = 0; s < count; s++) {
      const src = sources[s];
      if (seen[src] === 0) list[size++] = src;
      seen[src] |= 1 << s;
      frontier[src] = seen[src];
      reached[s] = 1;
    }
    levels.push(count);
    while (size > 0) {
      let nextSize = 0;
      for (let i = 0; i < size; i++) {
        const u = list[i];
        const f = frontier[u];
        const checkDrained = clean && drainedAt[u] > 0;
        for (let x = u * cap, end = x + degree[u]; x < end; x++) {
          const v = adjNode[x];
          const m = f & ~seen[v];
          if (m === 0) continue;
          const e = adjEdge[x];
          if (checkDrained && drained[e] === 1) continue;
          const nv = next[v];
          if (nv === 0) nextList[nextSize++] = v;
          if (keys) {
            const base = v * MAX_SOURCES;
            // sources that reach v first through this tunnel, then those that already did (ties)
            for (let b = m & ~nv; b !== 0; b &= b - 1) key[base + 31 - Math.clz32(b & -b)] = e;
            for (let b = m & nv; b !== 0; b &= b - 1) {
              const k = base + 31 - Math.clz32(b & -b);
              if (e < key[k]) key[k] = e;
            }
          }
          next[v] = nv | m;
        }
      }
      let fresh = 0;
      for (let i = 0; i < nextSize; i++) {
        const v = nextList[i];
        const bits = next[v];
        next[v] = 0;
        seen[v] |= bits;
        frontier[v] = bits;
        fresh += popcount(bits);
        for (let b = bits; b !== 0; b &= b - 1) reached[31 - Math.clz32(b & -b)]++;
      }
      if (nextSize > 0) levels.push(fresh);
      const t = list;
      list = nextList;
      nextList = t;
      size = nextSize;
    }
    this.#list = list;
    this.#nextList = nextList;
  }
}
