/**
 * What the tunnel manager core asks its shell to do (spec §10). Every event method of
 * `TunnelManager` returns a list of these; the shell (daemon or simulator) executes them in order.
 */
import type { Endpoint } from "../../wire/address.ts";
import type { Bits } from "../../wire/prefix.ts";

/** Spawn an OpenVPN client to `endpoints[index]` on TAP `ifname` (create the TAP if missing). */
export interface OpenTunnel {
  type: "openTunnel";
  /** identifies this OpenVPN process in `tunnelUp` / `tunnelExited` */
  id: number;
  peer: Bits;
  ifname: string;
  endpoints: Endpoint[];
  index: number;
}

/** Stop the OpenVPN client `id` (TERM, KILL after 5 s); its TAP goes back to the free pool. */
export interface KillTunnel {
  type: "killTunnel";
  id: number;
  peer: Bits;
  ifname: string;
}

/**
 * Drain a client TAP before closing it (stock babeld): `flush interface <ifname>`, then
 * `interface <ifname> type tunnel rxcost 4000` — routes move to alternatives at once.
 */
export interface DrainInterface {
  type: "drainInterface";
  ifname: string;
}

/** Undo a drain: `flush interface <ifname>`, then re-declare it with its normal options. */
export interface RestoreInterface {
  type: "restoreInterface";
  ifname: string;
}

/**
 * Send `code` with empty data to a peer over UDP 326 (subject to the session rules of §9.3):
 * 1 = "what are your addresses?", 2 = tunnel-destruction request, 3 = its confirmation.
 */
export interface SendMessage {
  type: "send";
  peer: Bits;
  code: 1 | 2 | 3;
}

/** Make sure a UDP 326 session with `peer` exists (start a handshake if needed). */
export interface EnsureSession {
  type: "ensureSession";
  peer: Bits;
}

/** Ask babeld for a dump; answer with `TunnelManager.babelDump` (an empty view on failure). */
export interface RequestDump {
  type: "requestDump";
}

/** Call the registry's `getBootstrapPeer`; answer with `TunnelManager.bootstrapPeer`. */
export interface RequestBootstrapPeer {
  type: "requestBootstrapPeer";
}

/** `ip -4 route add <ip>/32 via <gateway>` (§10.9). */
export interface AddHostRoute {
  type: "addHostRoute";
  ip: string;
  gateway: string;
}

/** `ip -4 route del <ip>/32 via <gateway>` (§10.9). */
export interface DelHostRoute {
  type: "delHostRoute";
  ip: string;
  gateway: string;
}

/** Any command of the tunnel manager core. */
export type Command =
  | OpenTunnel
  | KillTunnel
  | DrainInterface
  | RestoreInterface
  | SendMessage
  | EnsureSession
  | RequestDump
  | RequestBootstrapPeer
  | AddHostRoute
  | DelHostRoute;

/**
 * The empty command list every event without commands returns (frozen, shared: the cores run
 * thousands of idle events per second in the simulator; shells only read the lists).
 */
export const NO_COMMANDS: Command[] = Object.freeze([]) as unknown as Command[];
