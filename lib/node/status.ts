/**
 * What a running node knows, as plain data, queryable in-process (`readNodeStatus()`): the hook
 * for a later control socket and `re6st status`. The daemon registers its snapshot function at
 * start and removes it at exit.
 */
import type { Bits } from "../wire/prefix.ts";
import type { TunnelStatus } from "./tunnel/manager.ts";

/** Snapshot of a running node. */
export interface NodeStatus {
  /** our prefix (bits) and CN */
  prefix: Bits;
  cn: string;
  /** our re6st address */
  address: string;
  /** our advertised address string (code 1 answer) */
  advertised: string;
  /** hex of our network version blob */
  version: string;
  /** babeld PID, if it runs */
  babeldPid?: number;
  /** running OpenVPN servers by interface */
  servers: string[];
  tunnels: TunnelStatus;
  /** node prefixes babel routes (last dump) */
  routed: Bits[];
  /** peers with a UDP 326 session */
  peers: Array<{ prefix: Bits; connected: boolean }>;
  /** seconds since the daemon started */
  uptime: number;
}

let source: (() => NodeStatus) | undefined;

/** Registers (or clears, with undefined) the running daemon's snapshot function. */
export function setNodeStatusSource(fn: (() => NodeStatus) | undefined): void {
  source = fn;
}

/** The running node's status, or undefined when no daemon runs in this process. */
export function readNodeStatus(): NodeStatus | undefined {
  return source?.();
}
