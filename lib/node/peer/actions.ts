/**
 * Outputs of the pure peer-protocol machine (spec §9): what the socket adapter and the
 * daemon must do. The machine itself performs no I/O.
 */
import type { Bits } from "../../wire/prefix.ts";

/** Where a datagram goes: a peer's subnet-router anycast address (port 326), or an address. */
export type SendTarget = { prefix: Bits } | { address: string; port: number };

/** Log levels of log actions (methods of lib/log.ts Logger). */
export type PeerLogLevel = "error" | "warn" | "info" | "debug" | "trace";

/**
 * Why a log action dropped input, for counters: a datagram that is not a valid packet of a
 * known session (`packet`), or a hello0/hello that failed verification (`handshake`).
 */
export type DropKind = "packet" | "handshake";

/** One thing to do. */
export type PeerAction =
  /** Send a UDP datagram. */
  | { type: "send"; to: SendTarget; data: Uint8Array }
  /** For the daemon: code 1 address list, 2, 3, or an answer to our code 4/5 request. */
  | { type: "message"; peer: Bits; code: number; data: Uint8Array }
  /** Fetch network parameters from the registry after `delayMs` (spec §9.6 newVersion). */
  | { type: "newVersion"; delayMs: number }
  /** A log line; `drop` says the line reports dropped input. */
  | { type: "log"; level: PeerLogLevel; msg: string; drop?: DropKind };
