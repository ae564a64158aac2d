/**
 * Graceful tunnel destruction (spec §10.6) adapted to stock babeld 1.12, which has no
 * per-neighbour cost multiplier. Evaluated at every babel dump.
 *
 * Client side (the node that opened the tunnel and decided to replace it):
 * 1. *draining*: the shell drained the TAP (`flush interface`, re-added with `rxcost 4000`, so
 *    both ends see the link as expensive). After a settle time of `timeout / 2` (= 2 hellos, so
 *    that babel had time to re-learn what only this link can carry), once no installed route
 *    uses the TAP and the peer is still routed (through another path, so that our message can
 *    reach it), send code 2 ⇒ *confirming*.
 * 2. *confirming*: code 2 is re-sent at each dump (a message may be dropped while a UDP session
 *    is re-established; the server treats repeats as idempotent). Code 3 from the peer ⇒ kill.
 *
 * Server side (degraded, statement 54): a server TAP carries many clients, so one neighbour
 * cannot be drained there. On code 2 from a served peer we only wait — for the client's drain to
 * move the peer's routes off our server TAP, or at most `timeout / 2` (a fork-babeld client only
 * raises its own cost, so its routes may never move on our side) — then answer code 3
 * ⇒ *confirmed*, and simply wait for the client to disconnect. A repeated code 2 in that state is
 * answered with code 3 again.
 *
 * Every state times out after 2 × timeout: the client restores its TAP ("abort"); the server
 * forgets the destruction.
 */
import type { RoutingView } from "../babel/view.ts";
import type { Bits } from "../../wire/prefix.ts";

/** A destruction of one of our client tunnels. */
export interface ClientDestruction {
  peer: Bits;
  ifname: string;
  state: "draining" | "confirming";
  /** when the current state was entered */
  since: number;
}

/** A destruction requested (code 2) by a client we serve. */
export interface ServerDestruction {
  peer: Bits;
  ifname: string;
  state: "waiting" | "confirmed";
  since: number;
}

/** What to do with a client destruction after a dump. */
export type ClientStep = "wait" | "abort" | "request";

/** What to do with a server destruction after a dump. */
export type ServerStep = "wait" | "forget" | "confirm";

/** Advances a client destruction; `timeout` = 4 × hello in seconds. */
export function stepClient(
  d: ClientDestruction,
  view: RoutingView,
  now: number,
  timeout: number,
): ClientStep {
  if (now >= d.since + 2 * timeout) return "abort";
  if (d.state === "confirming") return "request";
  if (now < d.since + timeout / 2) return "wait";
  if (view.routesVia(d.ifname) > 0 || !view.hasRoute(d.peer)) return "wait";
  d.state = "confirming";
  d.since = now;
  return "request";
}

/** Advances a server destruction. */
export function stepServer(
  d: ServerDestruction,
  view: RoutingView,
  now: number,
  timeout: number,
): ServerStep {
  if (now >= d.since + 2 * timeout) return "forget";
  if (d.state === "confirmed") return "wait";
  const moved = view.neighbour(d.peer)?.ifname !== d.ifname;
  if (!moved && now < d.since + timeout / 2) return "wait";
  d.state = "confirmed";
  d.since = now;
  return "confirm";
}
