/**
 * Shortest-path searches over the tunnel graph as babel would route: every established tunnel
 * costs 1, a drained one costs `DRAINED_COST` (more than any path of normal tunnels, so a drained
 * tunnel only carries what has no other way). Among equal-cost choices the tunnel with the
 * smallest edge id wins — babel's own tie-break is arbitrary; this one is deterministic and easy
 * to state for the brute-force tests.
 *
 * The search is Dijkstra specialised to two weights: a FIFO per "number of drained tunnels used"
 * phase, merged with the sorted seeds that drained tunnels hand to the next phase. Distances are
 * int32: fine while a path crosses fewer than 2³¹ / (n + 1) drained tunnels (16 000 at n = 131072).
 */
import type { TunnelGraph } from "./graph.ts";

/** Reusable arrays for searches over a graph of `n` nodes. */
export class SearchSpace {
  /** distance from the source (`UNREACHED` if not reached) */
  readonly dist: Int32Array;
  /** per node: first-hop edge (source searches) or next-hop edge (destination searches) */
  readonly key: Int32Array;
  /** visited nodes in order of increasing distance; `count` of them */
  readonly order: Int32Array;
  count = 0;
  readonly #queue: Int32Array;
  /** (node, distance) pairs handed to the next phase by drained tunnels, in order */
  #seeds: number[] = [];
  #nextSeeds: number[] = [];

  constructor(readonly n: number) {
    this.dist = new Int32Array(n);
    this.key = new Int32Array(n);
    this.order = new Int32Array(n);
    this.#queue = new Int32Array(n);
  }

  /**
   * Shortest paths from `src`. With `firstHop`, `key[v]` is the tunnel of `src` that its route to
   * `v` leaves by; without, `key[v]` is the tunnel `v` forwards by towards `src` (its next hop to
   * `src`, as the graph is undirected).
   */
  run(g: TunnelGraph, src: number, firstHop: boolean): void {
    const { dist, key, order } = this;
    const queue = this.#queue;
    const cap = g.cap, adjNode = g.adjNode, adjEdge = g.adjEdge, degree = g.degree;
    const drained = g.drained, drainedAt = g.drainedAt;
    const heavy = drainedCost(g.n);
    dist.fill(UNREACHED);
    let count = 0;
    dist[src] = 0;
    key[src] = -1;
    let head = 0, tail = 0;
    queue[tail++] = src;
    let seeds = this.#seeds, nextSeeds = this.#nextSeeds;
    seeds.length = 0;
    nextSeeds.length = 0;
    let s = 0;
    for (;;) {
      let u: number;
      if (seeds.length === 0) {
        // phase 0 (no drained tunnel used yet): a plain FIFO
        if (head === tail) {
          if (nextSeeds.length === 0) break;
          [seeds, nextSeeds] = [nextSeeds, seeds];
          continue;
        }
        u = queue[head++];
      } else if (head < tail && (s >= seeds.length || dist[queue[head]] <= seeds[s + 1])) {
        // later phases: merge the FIFO with the sorted seeds
        u = queue[head++];
      } else if (s < seeds.length) {
        u = seeds[s];
        const stale = dist[u] !== seeds[s + 1];
        s += 2;
        if (stale) continue; // improved since, through a normal tunnel
      } else if (nextSeeds.length > 0) {
        [seeds, nextSeeds] = [nextSeeds, seeds];
        nextSeeds.length = 0;
        s = 0;
        head = tail = 0;
        continue;
      } else break;
      order[count++] = u;
      const du = dist[u];
      const next = du + 1;
      const ku = firstHop && u !== src ? key[u] : -1;
      const clean = drainedAt[u] === 0;
      const base = u * cap, end = base + degree[u];
      for (let x = base; x < end; x++) {
        const v = adjNode[x];
        const dv = dist[v];
        if (dv < next) continue; // settled, or as close as u
        const e = adjEdge[x];
        const k = ku >= 0 ? ku : e;
        if (!clean && drained[e] === 1) {
          const nd = du + heavy;
          if (nd < dv) {
            dist[v] = nd;
            key[v] = k;
            nextSeeds.push(v, nd);
          } else if (nd === dv && k < key[v]) key[v] = k;
        } else if (next < dv) {
          dist[v] = next;
          key[v] = k;
          queue[tail++] = v;
        } else if (k < key[v]) key[v] = k;
      }
    }
    this.#seeds = seeds;
    this.#nextSeeds = nextSeeds;
    this.count = count;
  }
}

/** Distance of a node a search did not reach. */
export const UNREACHED = 0x7fffffff;

/** Cost of a drained tunnel in a graph of `n` nodes: more than any path of normal tunnels. */
export function drainedCost(n: number): number {
  return n + 1;
}

/**
 * Connected components over established tunnels: `label[v]` = smallest node index of v's
 * component, `size[label]` = its number of nodes. `queue` is scratch space of `n` entries.
 */
export function components(
  g: TunnelGraph,
  label: Int32Array,
  size: Int32Array,
  queue: Int32Array,
): void {
  label.fill(-1);
  size.fill(0);
  const cap = g.cap, adjNode = g.adjNode, degree = g.degree;
  for (let r = 0; r < g.n; r++) {
    if (label[r] >= 0) continue;
    let head = 0, tail = 0;
    label[r] = r;
    queue[tail++] = r;
    while (head < tail) {
      const u = queue[head++];
      const base = u * cap, end = base + degree[u];
      for (let x = base; x < end; x++) {
        const v = adjNode[x];
        if (label[v] < 0) {
          label[v] = r;
          queue[tail++] = v;
        }
      }
    }
    size[r] = tail;
  }
}

/** Slots of `Reach`'s table of answers for the current graph version. */
const MEMO_SLOTS = 4096;

/** Witness paths per generation: `Reach` keeps the last 8192 to 16384 it found. */
const WITNESS_GENERATION = 8192;

/**
 * Bidirectional search: true if `a` reaches `b` over established tunnels (only normal ones with
 * `clean`). In a well-meshed graph both sides meet after a few hundred nodes. Answers are kept
 * until the graph's `version` changes (the graph is undirected: (a, b) and (b, a) share one), and
 * the path behind each "yes" is kept as a witness: while its tunnels are all still there (and
 * normal, with `clean`), the same question is answered by checking them instead of searching.
 */
export class Reach {
  readonly #mark: Int32Array;
  readonly #parent: Int32Array;
  readonly #qa: Int32Array;
  readonly #qb: Int32Array;
  #stamp = 0;
  /**
   * Answers for the graph version they were computed at (one dump asks the same pair often): a
   * direct-mapped table, slot = question mod its size, valid while its stamp is the current one
   * (no allocation per answer, and a new version only bumps the stamp).
   */
  readonly #memoKey = new Float64Array(MEMO_SLOTS);
  readonly #memoStamp = new Int32Array(MEMO_SLOTS);
  readonly #memoAnswer = new Uint8Array(MEMO_SLOTS);
  #memoCurrent = 0;
  #memoGraph: TunnelGraph | undefined;
  #memoVersion = -1;
  /** per question: the nodes of a path that answered it "yes" */
  #witness = new Map<number, number[]>();
  /** the generation before (looked up too; dropped when the current one is full) */
  #olderWitness = new Map<number, number[]>();

  constructor(n: number) {
    this.#mark = new Int32Array(n);
    this.#parent = new Int32Array(n);
    this.#qa = new Int32Array(n);
    this.#qb = new Int32Array(n);
  }

  reaches(g: TunnelGraph, a: number, b: number, clean: boolean): boolean {
    if (a === b) return true;
    if (g !== this.#memoGraph || g.version !== this.#memoVersion) {
      if (++this.#memoCurrent > 0x3ffffff0) {
        this.#memoStamp.fill(0);
        this.#memoCurrent = 1;
      }
      if (g !== this.#memoGraph) this.#witness = this.#olderWitness = new Map();
      this.#memoGraph = g;
      this.#memoVersion = g.version;
    }
    const pair = (a < b ? a * g.n + b : b * g.n + a) * 2;
    const key = pair + (clean ? 1 : 0);
    const slot = key % MEMO_SLOTS;
    let known: boolean;
    if (this.#memoStamp[slot] === this.#memoCurrent && this.#memoKey[slot] === key) {
      known = this.#memoAnswer[slot] === 1;
    } else {
      // a path of normal tunnels also answers the question over all tunnels
      known = this.#witnessed(g, key, clean) || (!clean && this.#witnessed(g, pair + 1, false));
      if (!known) {
        const found = this.#search(g, a, b, clean);
        known = found !== undefined;
        if (found) {
          if (this.#witness.size >= WITNESS_GENERATION) {
            this.#olderWitness = this.#witness;
            this.#witness = new Map();
          }
          this.#witness.set(key, found);
        }
      }
      this.#memoStamp[slot] = this.#memoCurrent;
      this.#memoKey[slot] = key;
      this.#memoAnswer[slot] = known ? 1 : 0;
    }
    return known;
  }

  /** True if the witness kept for `key` still holds (over normal tunnels only with `clean`). */
  #witnessed(g: TunnelGraph, key: number, clean: boolean): boolean {
    const path = this.#witness.get(key) ?? this.#olderWitness.get(key);
    return path !== undefined && holds(g, path, clean);
  }

  /** The nodes of a path from `a` to `b`, or undefined if there is none. */
  #search(g: TunnelGraph, a: number, b: number, clean: boolean): number[] | undefined {
    if (this.#stamp > 0x3ffffff0) {
      this.#mark.fill(0);
      this.#stamp = 0;
    }
    const sa = ++this.#stamp, sb = ++this.#stamp;
    const mark = this.#mark, parent = this.#parent, qa = this.#qa, qb = this.#qb;
    mark[a] = sa;
    mark[b] = sb;
    parent[a] = parent[b] = -1;
    let ha = 0, ta = 0, hb = 0, tb = 0;
    qa[ta++] = a;
    qb[tb++] = b;
    const cap = g.cap, adjNode = g.adjNode, adjEdge = g.adjEdge, degree = g.degree;
    const drained = g.drained, drainedAt = g.drainedAt;
    while (ha < ta && hb < tb) {
      // expand one whole level of the smaller frontier
      const fromA = ta - ha <= tb - hb;
      const q = fromA ? qa : qb;
      const mine = fromA ? sa : sb, theirs = fromA ? sb : sa;
      let h = fromA ? ha : hb, t = fromA ? ta : tb;
      const levelEnd = t;
      while (h < levelEnd) {
        const u = q[h++];
        const base = u * cap, end = base + degree[u];
        const checkDrained = clean && drainedAt[u] > 0;
        for (let x = base; x < end; x++) {
          if (checkDrained && drained[adjEdge[x]]) continue;
          const v = adjNode[x];
          const m = mark[v];
          if (m === theirs) return fromA ? this.#path(u, v) : this.#path(v, u);
          if (m !== mine) {
            mark[v] = mine;
            parent[v] = u;
            q[t++] = v;
          }
        }
      }
      if (fromA) {
        ha = h;
        ta = t;
      } else {
        hb = h;
        tb = t;
      }
    }
    return undefined;
  }

  /** The path a … u, v … b of a search whose two sides met on the tunnel u–v. */
  #path(u: number, v: number): number[] {
    const parent = this.#parent;
    const path: number[] = [];
    for (let x = u; x >= 0; x = parent[x]) path.push(x);
    path.reverse();
    for (let x = v; x >= 0; x = parent[x]) path.push(x);
    return path;
  }
}

/** True if every step of `path` is still an established tunnel (a normal one with `clean`). */
function holds(g: TunnelGraph, path: readonly number[], clean: boolean): boolean {
  const cap = g.cap, adjNode = g.adjNode, adjEdge = g.adjEdge, degree = g.degree;
  const drained = g.drained;
  for (let i = 1; i < path.length; i++) {
    const u = path[i - 1], v = path[i];
    let linked = false;
    for (let x = u * cap, end = u * cap + degree[u]; x < end && !linked; x++) {
      linked = adjNode[x] === v && !(clean && drained[adjEdge[x]] === 1);
    }
    if (!linked) return false;
  }
  return true;
}
