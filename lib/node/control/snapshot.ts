/**
 * What the daemon lets the control server see: its live state, gathered at each request from
 * the objects that already keep it (tunnel manager core, peer protocol, peer cache, last babel
 * view, babeld supervisor, parameters). Plain data, no bookkeeping of its own.
 */
import type { Bits } from "../../wire/prefix.ts";
import type { RoutingView } from "../babel/view.ts";
import type { PeerRow } from "../cache/peer_cache.ts";
import type { NetworkParams } from "../params.ts";
import type { PeerInfo } from "../peer/protocol.ts";
import type { TunnelCounters, TunnelStatus } from "../tunnel/manager.ts";

/** One UPnP port mapping kept on the IGD for one of our OpenVPN servers. */
export interface UpnpMapping {
  proto: "tcp" | "udp";
  externalIp: string;
  externalPort: number;
  internalPort: number;
}

/** One of our OpenVPN servers. */
export interface ServerSnapshot {
  proto: string;
  port: number;
  ifname: string;
}

/** A running node's state at one instant. */
export interface NodeSnapshot {
  cn: string;
  /** our prefix (bits after the network) */
  prefix: Bits;
  /** network prefix N (bits) */
  network: Bits;
  /** our re6st address */
  address: string;
  /** our advertised address string (code 1 answer; empty while unknown) */
  advertised: string;
  /** registry URL */
  registry: string;
  /** network parameters in use */
  params: NetworkParams;
  /** when the daemon started (ms since the epoch) */
  startedAt: number;
  servers: ServerSnapshot[];
  tunnels: TunnelStatus;
  tunnelCounters: TunnelCounters;
  /** babel's routing state as of the last dump */
  view: RoutingView;
  /** UDP 326 sessions */
  sessions: PeerInfo[];
  /** peer cache rows */
  cache: PeerRow[];
  babeld: { pid?: number; restarts: number };
  /** UPnP mappings, when this node maps ports on an IGD (absent: UPnP not in use) */
  upnp?: UpnpMapping[];
}
