/**
 * What the tunnel manager needs to know about babel's routing state, as a narrow read-only
 * interface. `interpretDump` (interpret.ts) builds it from a real babeld dump; the simulator
 * implements it directly on its modelled network (it may compute scores lazily and share the
 * `routed` array between virtual nodes).
 */
import type { Bits } from "../../wire/prefix.ts";

/** A neighbour identified as the origin of a node prefix (spec §11.4). */
export interface IdentifiedNeighbour {
  /** interface the neighbour is reached on (a client TAP `re6stnetN`, a server TAP, a LAN) */
  ifname: string;
  /** link-local address of the neighbour */
  address: string;
  /** tunnel score: number of node prefixes routed through this neighbour (statement 63) */
  score: number;
}

/** Read-only routing state of one node. */
export interface RoutingView {
  /** Node prefixes babel has an installed route to ("peers known by babel"), dump order. */
  readonly routed: readonly Bits[];
  /** True if babel has an installed route to that node prefix. */
  hasRoute(prefix: Bits): boolean;
  /** The direct neighbour identified as owning `prefix`, if any. */
  neighbour(prefix: Bits): IdentifiedNeighbour | undefined;
  /** Prefixes of all identified direct neighbours. */
  neighbourPrefixes(): Iterable<Bits>;
  /**
   * Prefixes of nodes that are direct babel neighbours on a LAN interface (`-i`): they announce
   * their own prefix there, whether or not babel installed that route (a tunnel to the same node
   * may still carry it). A tunnel to such a node is redundant (statement 49).
   */
  lanNeighbours(): Iterable<Bits>;
  /** Number of installed routes (any destination, IPv4 included) whose next hop is on `ifname`. */
  routesVia(ifname: string): number;
}

/** The view of a node that babel tells nothing (babeld unreachable, or before the first dump). */
export const EMPTY_VIEW: RoutingView = {
  routed: [],
  hasRoute: () => false,
  neighbour: () => undefined,
  neighbourPrefixes: () => [],
  lanNeighbours: () => [],
  routesVia: () => 0,
};
