/** Test helpers for the tunnel manager core: scripted routing views and quiet managers. */
import type { IdentifiedNeighbour, RoutingView } from "../../lib/node/babel/view.ts";
import { MemoryPeerCache } from "../../lib/node/cache/memory_cache.ts";
import type { Command } from "../../lib/node/tunnel/commands.ts";
import { TunnelManager, type TunnelManagerOptions } from "../../lib/node/tunnel/manager.ts";
import { seededRandom } from "../../lib/node/tunnel/random.ts";
import type { Logger } from "../../lib/log.ts";

/** Node prefix number i as 16 bits. */
export const p = (i: number) => i.toString(2).padStart(16, "0");
/** A TCP address string for node i. */
export const addr = (i: number) => `198.18.${i >> 8}.${i & 255},1194,tcp`;

/** A logger that prints nothing. */
export const quiet: Logger = {
  error() {},
  warn() {},
  info() {},
  debug() {},
  trace() {},
};

/** A RoutingView built from plain data. */
export class StaticView implements RoutingView {
  readonly routed: string[];
  readonly #set: Set<string>;
  constructor(
    routed: string[],
    readonly neighbours: Record<string, IdentifiedNeighbour> = {},
    readonly via: Record<string, number> = {},
    readonly lan: string[] = [],
  ) {
    this.routed = routed;
    this.#set = new Set(routed);
  }
  hasRoute(prefix: string): boolean {
    return this.#set.has(prefix);
  }
  neighbour(prefix: string): IdentifiedNeighbour | undefined {
    return this.neighbours[prefix];
  }
  neighbourPrefixes(): Iterable<string> {
    return Object.keys(this.neighbours);
  }
  routesVia(ifname: string): number {
    return this.via[ifname] ?? 0;
  }
  lanNeighbours(): Iterable<string> {
    return this.lan;
  }
}

/** A manager with an in-memory cache and a seeded random source. */
export function makeManager(
  o: Partial<TunnelManagerOptions> & { prefix: string; seed?: number },
): { m: TunnelManager; cache: MemoryPeerCache } {
  const random = seededRandom(o.seed ?? 1);
  const cache = (o.cache as MemoryPeerCache | undefined) ?? new MemoryPeerCache(o.prefix, random);
  const m = new TunnelManager({
    registryPrefix: p(0),
    clientCount: 3,
    hello: 4,
    tunnelRefresh: 100,
    now: 0,
    log: quiet,
    ...o,
    cache,
    random,
  });
  return { m, cache };
}

/** Commands of one type. */
export function only<T extends Command["type"]>(
  cmds: Command[],
  type: T,
): Extract<Command, { type: T }>[] {
  return cmds.filter((c): c is Extract<Command, { type: T }> => c.type === type);
}
