/**
 * Route counts per tunnel: how many node prefixes a node routes through each of its tunnels —
 * the score babel's dump gives the tunnel manager (spec §10.5). Two ways to get them:
 *
 * * `ExactRouteCounts`: one shortest-path search from the asking node (O(n + m) per decision) —
 *   exactly what babel would report under the model's routing; fine up to a few thousand nodes.
 * * `SampledRouteCounts`: every node's count is estimated from the routes towards `L` random
 *   destinations ("landmarks"): one search per landmark gives every node its next hop towards
 *   it, and a tunnel carrying `x` of the `L` samples is credited `x × (reachable − 1) / L'`
 *   routes (L' = landmarks the node reaches). The samples are refreshed when older than `maxAge`
 *   seconds or when the asked tunnel is newer than them. Cost: L searches per refresh, shared by
 *   all nodes — this is what lets 10⁴–10⁵ nodes run; they run 32 at a time (multi_search.ts)
 *   over normal tunnels, with a full search for a landmark that needs a drained tunnel.
 *
 * Drained tunnels are always answered exactly: zero when the two ends still reach each other over
 * normal tunnels (then every route has a cheaper way), else a full search.
 */
import type { TunnelGraph } from "./graph.ts";
import { components, Reach, SearchSpace } from "./search.ts";
import { MAX_SOURCES, MultiSearch } from "./multi_search.ts";
import type { Random } from "../node/tunnel/random.ts";

/** Source of tunnel scores for the simulated babel views. */
export interface RouteCounts {
  /** Node prefixes `node` routes through its established tunnel `e`, at virtual time `now`. */
  routesThrough(node: number, e: number, now: number): number;
  /** One line for the output header. */
  readonly description: string;
}

/** Exact counts for one node: `counts[e]` for each tunnel e of `node` (others untouched). */
function countFrom(g: TunnelGraph, space: SearchSpace, node: number, counts: Int32Array): void {
  const base = node * g.cap;
  for (let x = base; x < base + g.degree[node]; x++) counts[g.adjEdge[x]] = 0;
  space.run(g, node, true);
  const { order, key } = space;
  for (let x = 1; x < space.count; x++) counts[key[order[x]]]++;
}

/** Growable per-edge scratch array. */
function fit(a: Int32Array<ArrayBuffer>, size: number): Int32Array<ArrayBuffer> {
  return a.length >= size ? a : new Int32Array(Math.max(size, a.length * 2));
}

/** Exact route counts (one search per asking node and topology version). */
export class ExactRouteCounts implements RouteCounts {
  readonly description = "exact (one shortest-path search per scoring node)";
  readonly #space: SearchSpace;
  #counts = new Int32Array(0);
  #node = -1;
  #version = -1;

  constructor(private readonly g: TunnelGraph) {
    this.#space = new SearchSpace(g.n);
  }

  routesThrough(node: number, e: number): number {
    const g = this.g;
    if (!g.up[e] || (g.client[e] !== node && g.server[e] !== node)) return 0;
    if (node !== this.#node || g.version !== this.#version) {
      this.#counts = fit(this.#counts, g.edgeCapacity);
      countFrom(g, this.#space, node, this.#counts);
      this.#node = node;
      this.#version = g.version;
    }
    return this.#counts[e];
  }
}

/** Route counts estimated from landmark destinations; see the module header. */
export class SampledRouteCounts implements RouteCounts {
  readonly description: string;
  readonly #space: SearchSpace;
  readonly #reach: Reach;
  /** samples per (edge, end): index 2e for the client end, 2e+1 for the server end */
  #tally = new Int32Array(0);
  readonly #reached: Int32Array;
  readonly #componentSize: Int32Array;
  readonly #multi: MultiSearch;
  /** component labels and sizes (by label) at the last refresh, and scratch space */
  readonly #label: Int32Array;
  readonly #labelSize: Int32Array;
  readonly #queue: Int32Array;
  #scratch = new Int32Array(0);
  #epochTime = -Infinity;
  #epochStamp = 0;
  /** number of landmark refreshes so far */
  refreshes = 0;

  constructor(
    private readonly g: TunnelGraph,
    private readonly landmarks: number,
    private readonly maxAge: number,
    private readonly alive: Uint8Array,
    private readonly random: Random,
    /** reachability searches (shared with the network's, so that their answers are reused) */
    reach: Reach = new Reach(g.n),
  ) {
    this.#space = new SearchSpace(g.n);
    this.#reach = reach;
    this.#reached = new Int32Array(g.n);
    this.#componentSize = new Int32Array(g.n);
    this.#multi = new MultiSearch(g.n);
    this.#label = new Int32Array(g.n);
    this.#labelSize = new Int32Array(g.n);
    this.#queue = new Int32Array(g.n);
    this.description =
      `estimated from ${landmarks} random landmark destinations (refreshed every ≤ ${maxAge} s)`;
  }

  routesThrough(node: number, e: number, now: number): number {
    const g = this.g;
    if (!g.up[e] || (g.client[e] !== node && g.server[e] !== node)) return 0;
    if (g.drained[e]) return this.#drained(node, e);
    if (now - this.#epochTime >= this.maxAge || g.upStamp[e] >= this.#epochStamp) {
      this.#refresh(now);
    }
    const reached = this.#reached[node];
    if (reached === 0) return 0;
    const samples = this.#tally[2 * e + (g.client[e] === node ? 0 : 1)];
    return samples * (this.#componentSize[node] - 1) / reached;
  }

  #drained(node: number, e: number): number {
    const g = this.g;
    if (this.#reach.reaches(g, node, g.other(e, node), true)) return 0;
    this.#scratch = fit(this.#scratch, g.edgeCapacity);
    countFrom(g, this.#space, node, this.#scratch);
    return this.#scratch[e];
  }

  #refresh(now: number): void {
    const g = this.g;
    this.refreshes++;
    this.#epochTime = now;
    this.#epochStamp = g.nextStamp;
    if (this.#tally.length < 2 * g.edgeCapacity) this.#tally = new Int32Array(2 * g.edgeCapacity);
    else this.#tally.fill(0);
    this.#reached.fill(0);
    const candidates: number[] = [];
    for (let i = 0; i < g.n; i++) if (this.alive[i] && g.degree[i] > 0) candidates.push(i);
    const picks = Math.min(this.landmarks, candidates.length);
    for (let p = 0; p < picks; p++) {
      const j = p + Math.floor(this.random() * (candidates.length - p));
      const t = candidates[j];
      candidates[j] = candidates[p];
      candidates[p] = t;
    }
    components(g, this.#label, this.#labelSize, this.#queue);
    for (let p = 0; p < picks; p += MAX_SOURCES) {
      this.#tallyBatch(candidates.slice(p, Math.min(picks, p + MAX_SOURCES)));
    }
  }

  /**
   * Routes towards up to 32 landmarks from one multi-source search over normal tunnels. A landmark
   * that does not reach its whole component that way (some nodes only route to it through a
   * drained tunnel) gets a full search of its own.
   */
  #tallyBatch(batch: number[]): void {
    const g = this.g, multi = this.#multi;
    const tally = this.#tally, reached = this.#reached, size = this.#componentSize;
    const label = this.#label, labelSize = this.#labelSize, client = g.client;
    multi.run(g, batch, true, true);
    let whole = 0;
    for (let s = 0; s < batch.length; s++) {
      const t = batch[s];
      if (multi.reached[s] === labelSize[label[t]]) whole |= 1 << s;
      else this.#tallyOne(t);
    }
    const own = new Map<number, number>();
    for (let s = 0; s < batch.length; s++) own.set(batch[s], (own.get(batch[s]) ?? 0) | 1 << s);
    const seen = multi.seen, key = multi.key;
    for (let v = 0; v < g.n; v++) {
      let bits = seen[v] & whole;
      if (bits === 0) continue;
      bits &= ~(own.get(v) ?? 0);
      size[v] = labelSize[label[v]];
      for (; bits !== 0; bits &= bits - 1) {
        const edge = key[v * MAX_SOURCES + 31 - Math.clz32(bits & -bits)];
        tally[2 * edge + (client[edge] === v ? 0 : 1)]++;
        reached[v]++;
      }
    }
  }

  /** Routes towards landmark `t` from a full search (drained tunnels included). */
  #tallyOne(t: number): void {
    const g = this.g, space = this.#space;
    const tally = this.#tally, reached = this.#reached, size = this.#componentSize;
    const client = g.client;
    space.run(g, t, false);
    const { order, key, count } = space;
    size[t] = count;
    for (let x = 1; x < count; x++) {
      const v = order[x];
      const edge = key[v];
      tally[2 * edge + (client[edge] === v ? 0 : 1)]++;
      reached[v]++;
      size[v] = count;
    }
  }
}
