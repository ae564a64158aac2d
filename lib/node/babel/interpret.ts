/**
 * Dump interpretation (spec §11.4), adapted to stock babeld 1.12's text dump: neighbours are keyed
 * by (link-local address, interface name) instead of (address, ifindex).
 *
 * Only installed routes count; IPv4 routes are skipped (but still counted by `routesVia`, since
 * draining a tunnel must move them too). A route whose destination lies in the network N carries
 * the node prefix = destination bits after N; when its `refmetric` is 0 the neighbour it goes
 * through originates it, so that neighbour is *identified* as the node owning the prefix. A
 * neighbour claiming several prefixes is logged as buggy and the last claim wins. Routes outside
 * N (e.g. the source-specific default route) are kept per neighbour under `outside`. All routes of
 * unidentified neighbours are merged under `none`.
 *
 * Beyond the spec: a neighbour on a LAN interface (`-i`) that announces a node prefix with
 * refmetric 0 and a finite metric is a *LAN neighbour* even if that route is not installed —
 * e.g. while a tunnel opened before babel acquired the LAN neighbour still carries the route.
 * The tunnel manager closes such redundant tunnels.
 */
import { logger } from "../../log.ts";
import { type Bits, cidrToBits } from "../../wire/prefix.ts";
import type { BabelDump, BabelRoute } from "./types.ts";
import type { IdentifiedNeighbour, RoutingView } from "./view.ts";

const log = logger("babel");

/** Routes that go through one neighbour (or through all unidentified ones, for `none`). */
export interface NeighbourRoutes {
  /** `address%ifname` of the neighbour(s) */
  keys: string[];
  /** node prefix → installed route to it */
  routes: Map<Bits, BabelRoute>;
  /** installed IPv6 routes whose destination is outside N */
  outside: BabelRoute[];
}

/** An identified neighbour with the routes through it. */
export interface NeighbourEntry extends NeighbourRoutes {
  address: string;
  ifname: string;
}

/** The full result of interpreting one dump; usable as the tunnel manager's `RoutingView`. */
export class BabelRoutes implements RoutingView {
  readonly #routedSet: Set<Bits>;

  constructor(
    /** node prefix → identified neighbour and the routes through it */
    readonly byPrefix: ReadonlyMap<Bits, NeighbourEntry>,
    /** routes through neighbours that could not be identified */
    readonly none: NeighbourRoutes,
    /** every node prefix with an installed route, dump order */
    readonly routed: readonly Bits[],
    private readonly perInterface: ReadonlyMap<string, number>,
    /** prefixes originated by a neighbour on a LAN interface */
    private readonly lan: ReadonlySet<Bits> = new Set(),
    /** prefixes originated by any direct neighbour, installed or not */
    private readonly announced: ReadonlySet<Bits> = new Set(),
  ) {
    this.#routedSet = new Set(routed);
  }

  hasRoute(prefix: Bits): boolean {
    return this.#routedSet.has(prefix);
  }

  neighbour(prefix: Bits): IdentifiedNeighbour | undefined {
    const e = this.byPrefix.get(prefix);
    return e && { ifname: e.ifname, address: e.address, score: e.routes.size };
  }

  neighbourPrefixes(): Iterable<Bits> {
    return this.byPrefix.keys();
  }

  lanNeighbours(): Iterable<Bits> {
    return this.lan;
  }

  /** Prefixes that a direct neighbour announces as its own, whether babel installed them or not. */
  announcing(): Iterable<Bits> {
    return this.announced;
  }

  routesVia(ifname: string): number {
    return this.perInterface.get(ifname) ?? 0;
  }

  /** Tunnel score of the neighbour owning `prefix` (statement 63); 0 if not identified. */
  score(prefix: Bits): number {
    return this.byPrefix.get(prefix)?.routes.size ?? 0;
  }
}

function isIPv4Prefix(cidr: string): boolean {
  return cidr.includes(".");
}

/** Metric babel uses for a retracted (unreachable) route. */
const INFINITY = 0xffff;

/**
 * Interprets a babeld dump for network `network` (the bits of N); `lanInterfaces` are the `-i`
 * interfaces. Never throws.
 */
export function interpretDump(
  dump: BabelDump,
  network: Bits,
  lanInterfaces: readonly string[] = [],
): BabelRoutes {
  interface Pending extends NeighbourEntry {
    prefix?: Bits;
  }
  const byKey = new Map<string, Pending>();
  const perInterface = new Map<string, number>();
  const origins = directOrigins(dump, network);
  const lan = new Set<Bits>();
  for (const [prefix, ifnames] of origins) {
    if (ifnames.some((i) => lanInterfaces.includes(i))) lan.add(prefix);
  }
  for (const route of dump.routes) {
    if (!route.installed) continue;
    perInterface.set(route.ifname, (perInterface.get(route.ifname) ?? 0) + 1);
    if (isIPv4Prefix(route.prefix)) continue;
    let dest: Bits;
    try {
      dest = cidrToBits(route.prefix);
    } catch (e) {
      log.warn(`dropping babel route with bad prefix: ${(e as Error).message}`);
      continue;
    }
    const key = `${route.via}%${route.ifname}`;
    let n = byKey.get(key);
    if (!n) {
      n = { keys: [key], address: route.via, ifname: route.ifname, routes: new Map(), outside: [] };
      byKey.set(key, n);
    }
    if (!dest.startsWith(network) || dest.length === network.length) {
      n.outside.push(route);
      continue;
    }
    const prefix = dest.slice(network.length);
    if (route.refmetric === 0) {
      if (n.prefix !== undefined && n.prefix !== prefix) {
        log.warn(`buggy neighbour ${key} announces several subnets (${n.prefix}, ${prefix})`);
      }
      n.prefix = prefix;
    }
    n.routes.set(prefix, route);
  }
  const byPrefix = new Map<Bits, NeighbourEntry>();
  const none: NeighbourRoutes = { keys: [], routes: new Map(), outside: [] };
  const routed: Bits[] = [];
  const seen = new Set<Bits>();
  for (const n of byKey.values()) {
    if (n.prefix !== undefined) {
      if (byPrefix.has(n.prefix)) {
        log.warn(`several neighbours originate ${n.prefix}; keeping ${n.keys[0]}`);
      }
      const { address, ifname, keys, routes, outside } = n;
      byPrefix.set(n.prefix, { address, ifname, keys, routes, outside });
      continue;
    }
    none.keys.push(...n.keys);
    for (const [p, r] of n.routes) none.routes.set(p, r);
    none.outside.push(...n.outside);
  }
  for (const n of byKey.values()) {
    for (const p of n.routes.keys()) {
      if (!seen.has(p)) {
        seen.add(p);
        routed.push(p);
      }
    }
  }
  return new BabelRoutes(byPrefix, none, routed, perInterface, lan, new Set(origins.keys()));
}

/**
 * Node prefixes announced with refmetric 0 (and a finite metric) by a direct neighbour, installed
 * or not, with the interfaces they are announced on.
 */
function directOrigins(dump: BabelDump, network: Bits): Map<Bits, string[]> {
  const out = new Map<Bits, string[]>();
  for (const r of dump.routes) {
    if (r.refmetric !== 0 || r.metric >= INFINITY || isIPv4Prefix(r.prefix)) continue;
    let dest: Bits;
    try {
      dest = cidrToBits(r.prefix);
    } catch {
      continue; // logged by the main loop when installed; a bad prefix identifies nobody
    }
    if (!dest.startsWith(network) || dest.length === network.length) continue;
    const prefix = dest.slice(network.length);
    const ifnames = out.get(prefix);
    if (ifnames) ifnames.push(r.ifname);
    else out.set(prefix, [r.ifname]);
  }
  return out;
}

/**
 * Whom to tell about a new network version (§9.6): the identified neighbours, plus — from a real
 * dump — every direct neighbour announcing its own prefix even where babel installed another
 * route (right after a babeld restart the 2-hop routes may win for a while).
 */
export function gossipTargets(view: RoutingView): Bits[] {
  const out = new Set(view.neighbourPrefixes());
  if (view instanceof BabelRoutes) { for (const p of view.announcing()) out.add(p); }
  return [...out];
}
