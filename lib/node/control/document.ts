/**
 * The status document of a running node (`GET /status`, `re6st status --json`): a pure function
 * of a `NodeSnapshot` and the time. Prefixes are shown as CN (`5/16`) and as CIDR; times as ages
 * in seconds. `format` changes only when a field changes meaning or disappears.
 */
import { PROTOCOL, VERSION } from "../../version.ts";
import { unpackInteger } from "../../wire/pack_integer.ts";
import { canonicalProto } from "../../wire/address.ts";
import { type Bits, bitsToCidr, bitsToCn } from "../../wire/prefix.ts";
import { BabelRoutes } from "../babel/interpret.ts";
import type { RoutingView } from "../babel/view.ts";
import type { NodeSnapshot, UpnpMapping } from "./snapshot.ts";

/** Version of the document layout. */
export const STATUS_FORMAT = 1;

/** Where a tunnel goes: we are the OpenVPN client, or we serve the peer. */
export type TunnelDirection = "client" | "server";
/** `connecting`: OpenVPN started, not up yet; `draining`: being destroyed (spec §10.6). */
export type TunnelState = "connecting" | "up" | "draining";

/** One tunnel. */
export interface TunnelEntry {
  peer: string;
  subnet: string;
  direction: TunnelDirection;
  /** `udp`, `tcp`, `udp6`, `tcp6` (null: unknown server interface) */
  protocol: string | null;
  interface: string;
  state: TunnelState;
  /** seconds since the OpenVPN attempt started (client) or the client connected (server) */
  age: number;
  /** node prefixes babel routes through this peer on this interface */
  routes: number;
  /** CNs of those node prefixes */
  routed: string[];
}

/** One UDP 326 session. */
export interface SessionEntry {
  peer: string;
  subnet: string;
  connected: boolean;
  /** peer's protocol, once known */
  protocol: number | null;
  /** seconds since its last authenticated packet (null: none yet) */
  lastSeen: number | null;
  /** its certificate's expiry (ISO 8601), once known */
  certificateExpires: string | null;
}

/** A babel neighbour; `peer` is null when no node prefix identifies it. */
export interface NeighbourEntry {
  peer: string | null;
  address: string;
  interface: string;
  routes: number;
}

/** An installed babel route to a node prefix. */
export interface RouteEntry {
  destination: string;
  subnet: string;
  /** CN of the neighbour it goes through (null: unidentified neighbour) */
  via: string | null;
  interface: string;
  metric: number | null;
}

/** Everything `re6st status` shows. */
export interface StatusDocument {
  format: typeof STATUS_FORMAT;
  software: { version: string; protocol: number };
  node: {
    cn: string;
    subnet: string;
    address: string;
    network: string;
    advertised: string;
    /** seconds since the daemon started */
    uptime: number;
  };
  registry: { url: string; cn: string };
  parameters: {
    /** the network version number (null if the blob cannot be decoded) */
    version: number | null;
    protocol: number;
    minProtocol: number;
    clientCount: number;
    maxClients: number;
    hello: number;
    tunnelRefresh: number;
    encrypt: boolean;
    revoked: number;
  };
  servers: Array<{ protocol: string; port: number; interface: string }>;
  tunnels: TunnelEntry[];
  tunnelCounters: { attempts: number; failures: number; lost: number };
  peers: { cached: number; blacklisted: number; sessions: SessionEntry[] };
  babel: {
    pid: number | null;
    restarts: number;
    routedNodes: number;
    /** installed IPv6 routes (null: babeld could not be asked yet) */
    installedRoutes: number | null;
    neighbours: NeighbourEntry[];
    routes: RouteEntry[];
  };
  /** null: this node does not map ports with UPnP */
  upnp: UpnpMapping[] | null;
}

/** The network version number of a version blob (`packInteger ‖ signature`). */
export function versionNumber(blob: Uint8Array): number | null {
  try {
    return Number(unpackInteger(blob).value);
  } catch {
    return null;
  }
}

function seconds(ms: number): number {
  return Math.max(0, Math.round(ms / 100) / 10);
}

function sum(record: Record<string, number>): number {
  return Object.values(record).reduce((a, b) => a + b, 0);
}

/** Node prefixes routed through the neighbour owning `peer`, if it is reached on `ifname`. */
function carried(view: RoutingView, peer: Bits, ifname: string): string[] {
  const n = view.neighbour(peer);
  if (!n || n.ifname !== ifname) return [];
  if (view instanceof BabelRoutes) {
    return [...view.byPrefix.get(peer)!.routes.keys()].map(bitsToCn);
  }
  return Array(n.score).fill("?");
}

function babelPart(s: NodeSnapshot): StatusDocument["babel"] {
  const view = s.view;
  const part: StatusDocument["babel"] = {
    pid: s.babeld.pid ?? null,
    restarts: s.babeld.restarts,
    routedNodes: view.routed.length,
    installedRoutes: null,
    neighbours: [],
    routes: [],
  };
  if (!(view instanceof BabelRoutes)) {
    for (const p of view.neighbourPrefixes()) {
      const n = view.neighbour(p)!;
      part.neighbours.push({
        peer: bitsToCn(p),
        address: n.address,
        interface: n.ifname,
        routes: n.score,
      });
    }
    part.routes = view.routed.map((p) => ({
      destination: bitsToCn(p),
      subnet: bitsToCidr(s.network + p),
      via: null,
      interface: "",
      metric: null,
    }));
    return part;
  }
  let installed = view.none.routes.size + view.none.outside.length;
  const byDest: Array<[Bits, RouteEntry]> = [];
  for (const [peer, e] of view.byPrefix) {
    installed += e.routes.size + e.outside.length;
    part.neighbours.push({
      peer: bitsToCn(peer),
      address: e.address,
      interface: e.ifname,
      routes: e.routes.size,
    });
    for (const [dest, r] of e.routes) {
      byDest.push([dest, {
        destination: bitsToCn(dest),
        subnet: bitsToCidr(s.network + dest),
        via: bitsToCn(peer),
        interface: r.ifname,
        metric: r.metric,
      }]);
    }
  }
  for (const key of view.none.keys) {
    const at = key.lastIndexOf("%");
    const [address, ifname] = [key.slice(0, at), key.slice(at + 1)];
    const routes = [...view.none.routes.values()].filter((r) =>
      r.via === address && r.ifname === ifname
    ).length;
    part.neighbours.push({ peer: null, address, interface: ifname, routes });
  }
  for (const [dest, r] of view.none.routes) {
    byDest.push([dest, {
      destination: bitsToCn(dest),
      subnet: bitsToCidr(s.network + dest),
      via: null,
      interface: r.ifname,
      metric: r.metric,
    }]);
  }
  part.installedRoutes = installed;
  part.routes = byDest.sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0).map(([, r]) => r);
  return part;
}

/** Builds the status document of `s` at `now` (ms since the epoch). */
export function statusDocument(s: NodeSnapshot, now: number): StatusDocument {
  const p = s.params;
  const serverProto = new Map(s.servers.map((x) => [x.ifname, x.proto]));
  const tunnel = (
    c: { peer: string; ifname: string; since: number },
    direction: TunnelDirection,
    protocol: string | null,
    state: TunnelState,
  ): TunnelEntry => {
    const routed = carried(s.view, c.peer, c.ifname);
    return {
      peer: bitsToCn(c.peer),
      subnet: bitsToCidr(s.network + c.peer),
      direction,
      protocol,
      interface: c.ifname,
      state,
      age: seconds(now - c.since * 1000),
      routes: routed.length,
      routed,
    };
  };
  const tunnels = [
    ...s.tunnels.clients.map((c) =>
      tunnel(
        c,
        "client",
        canonicalProto(c.proto),
        c.destroying ? "draining" : c.established ? "up" : "connecting",
      )
    ),
    ...s.tunnels.served.map((c) =>
      tunnel(c, "server", serverProto.get(c.ifname) ?? null, c.destroying ? "draining" : "up")
    ),
  ];
  const counters = s.tunnelCounters;
  return {
    format: STATUS_FORMAT,
    software: { version: VERSION, protocol: PROTOCOL },
    node: {
      cn: s.cn,
      subnet: bitsToCidr(s.network + s.prefix),
      address: s.address,
      network: bitsToCidr(s.network),
      advertised: s.advertised,
      uptime: seconds(now - s.startedAt),
    },
    registry: { url: s.registry, cn: bitsToCn(p.registryPrefix) },
    parameters: {
      version: versionNumber(p.version),
      protocol: p.protocol,
      minProtocol: p.minProtocol,
      clientCount: p.clientCount,
      maxClients: p.maxClients,
      hello: p.hello,
      tunnelRefresh: p.tunnelRefresh,
      encrypt: p.encrypt,
      revoked: p.crl.length,
    },
    servers: s.servers.map((x) => ({ protocol: x.proto, port: x.port, interface: x.ifname })),
    tunnels,
    tunnelCounters: {
      attempts: sum(counters.attempts),
      failures: sum(counters.failures),
      lost: counters.lost,
    },
    peers: {
      cached: s.cache.length,
      blacklisted: s.cache.filter((r) => r.failed).length,
      sessions: s.sessions.map((x) => ({
        peer: bitsToCn(x.prefix),
        subnet: bitsToCidr(s.network + x.prefix),
        connected: x.connected,
        protocol: x.protocol ?? null,
        lastSeen: x.lastSeen === undefined ? null : seconds(now - x.lastSeen),
        certificateExpires: x.notAfter === undefined ? null : new Date(x.notAfter).toISOString(),
      })),
    },
    babel: babelPart(s),
    upnp: s.upnp ?? null,
  };
}
