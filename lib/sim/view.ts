/**
 * What babel would show one simulated node (the `RoutingView` the real tunnel manager reads):
 * `routed` = every node prefix of its connected component (shared array, ours included — the
 * core excludes it itself), the identified neighbours (direct tunnels whose route to the peer's
 * prefix goes through them) with score = routes through that tunnel, and routes per interface.
 * Built per babel dump; scores are computed lazily, only when the core reads them (the route
 * counts keep their own answers per topology version, so the view keeps none).
 */
import type { IdentifiedNeighbour, RoutingView } from "../node/babel/view.ts";
import type { Bits } from "../wire/prefix.ts";
import { SERVER_IFNAME, type TunnelGraph } from "./graph.ts";

/** What a view needs from the modelled network. */
export interface RoutingModel {
  readonly graph: TunnelGraph;
  /** index of a node prefix, -1 if unknown */
  indexOf(prefix: Bits): number;
  prefixOf(node: number): Bits;
  /** node prefixes of `node`'s component, `node` included; empty when it is alone */
  routedBy(node: number): readonly Bits[];
  /** true if `a` and `b` are in the same component of at least two nodes */
  connected(a: number, b: number): boolean;
  /** true if `a` reaches `b` without drained tunnels */
  reachesClean(a: number, b: number): boolean;
  /** node prefixes `node` routes through its tunnel `e` */
  routes(node: number, e: number): number;
  /** tunnel score of `node`'s tunnel `e`: `routes`, or a random draw for the baseline rule */
  score(node: number, e: number): number;
}

/** The LAN neighbours of every simulated node (one shared empty list; asked at every dump). */
const NO_LAN: readonly Bits[] = Object.freeze([]);

/** The babel view of one node at one dump. */
export class SimRoutingView implements RoutingView {
  #routed: readonly Bits[] | undefined;

  constructor(private readonly model: RoutingModel, private readonly node: number) {}

  get routed(): readonly Bits[] {
    return this.#routed ??= this.model.routedBy(this.node);
  }

  hasRoute(prefix: Bits): boolean {
    const j = this.model.indexOf(prefix);
    return j >= 0 && this.model.connected(this.node, j);
  }

  neighbour(prefix: Bits): IdentifiedNeighbour | undefined {
    const j = this.model.indexOf(prefix);
    if (j < 0) return undefined;
    const e = this.#routeEdge(j);
    return e < 0 ? undefined : new SimNeighbour(this.model, this.node, j, e);
  }

  /** The model has no LAN: every neighbour is a tunnel peer. */
  lanNeighbours(): Iterable<Bits> {
    return NO_LAN;
  }

  neighbourPrefixes(): Iterable<Bits> {
    const g = this.model.graph;
    const base = this.node * g.cap;
    const out: Bits[] = [];
    for (let x = base; x < base + g.degree[this.node]; x++) {
      const j = g.adjNode[x];
      let repeated = false;
      for (let y = base; y < x && !repeated; y++) repeated = g.adjNode[y] === j;
      if (!repeated && this.#routeEdge(j) >= 0) out.push(this.model.prefixOf(j));
    }
    return out;
  }

  routesVia(ifname: string): number {
    const g = this.model.graph;
    const base = this.node * g.cap;
    const server = ifname === SERVER_IFNAME;
    const tap = server ? -1 : g.tapId(ifname);
    let total = 0;
    for (let x = base; x < base + g.degree[this.node]; x++) {
      const e = g.adjEdge[x];
      const mine = g.client[e] === this.node;
      if (server ? !mine : mine && g.tap[e] === tap) total += this.model.routes(this.node, e);
    }
    return total;
  }

  /**
   * The tunnel our route to neighbour `j`'s prefix takes when it goes directly to `j` (smallest
   * edge id among normal tunnels; a drained one only if `j` has no other way), else -1.
   */
  #routeEdge(j: number): number {
    const g = this.model.graph;
    const base = this.node * g.cap;
    let normal = -1, drained = -1;
    for (let x = base; x < base + g.degree[this.node]; x++) {
      if (g.adjNode[x] !== j) continue;
      const e = g.adjEdge[x];
      if (g.drained[e]) {
        if (drained < 0 || e < drained) drained = e;
      } else if (normal < 0 || e < normal) normal = e;
    }
    if (normal >= 0) return normal;
    if (drained >= 0 && !this.model.reachesClean(this.node, j)) return drained;
    return -1;
  }
}

/** An identified neighbour whose score is only computed when read. */
class SimNeighbour implements IdentifiedNeighbour {
  readonly ifname: string;

  constructor(
    private readonly model: RoutingModel,
    private readonly node: number,
    private readonly peer: number,
    private readonly edge: number,
  ) {
    this.ifname = model.graph.ifnameAt(edge, node);
  }

  get address(): string {
    return `fe80::${this.peer.toString(16)}`;
  }

  get score(): number {
    return this.model.score(this.node, this.edge);
  }
}
