/**
 * The node's Prometheus metrics (`GET /metrics` on the control socket): figures read from the
 * status document at each scrape (tunnels, peers, sessions, routes, babeld restarts, tunnel
 * attempts/failures kept by the tunnel manager core) and the counters only the shell sees
 * (dropped peer-protocol input, parameter fetches).
 */
import type { Counter } from "../../metrics/metrics.ts";
import { MetricsRegistry } from "../../metrics/registry.ts";
import { canonicalProto } from "../../wire/address.ts";
import type { DropKind } from "../peer/actions.ts";
import type { StatusDocument } from "./document.ts";
import type { NodeSnapshot } from "./snapshot.ts";

/** Per-protocol counts with `udp4`/`tcp4` folded into `udp`/`tcp`. */
function byProtocol(counts: Record<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [proto, n] of Object.entries(counts)) {
    const p = canonicalProto(proto);
    out.set(p, (out.get(p) ?? 0) + n);
  }
  return out;
}

/** Makes a counter show `value` (a count kept elsewhere), starting again if it went down. */
function follow(c: Counter, labels: Record<string, string>, value: number): void {
  const was = c.get(labels);
  if (value < was) {
    c.reset();
    c.inc(labels, value);
  } else c.inc(labels, value - was);
}

/** Metrics of one daemon life. */
export class NodeMetrics {
  readonly #m = new MetricsRegistry();
  readonly #handshake: Counter;
  readonly #dropped: Counter;
  readonly #fetches: Counter;
  /** the scrape being rendered */
  #scrape?: { doc: StatusDocument; snapshot: NodeSnapshot };

  constructor() {
    const m = this.#m;
    const each = (fn: (s: { doc: StatusDocument; snapshot: NodeSnapshot }) => void) => () => {
      if (this.#scrape) fn(this.#scrape);
    };
    const info = m.gauge({
      name: "re6st_node_info",
      help: "Always 1: software version, our CN and subnet",
      labels: ["version", "cn", "subnet"],
      collect: each(({ doc }) => {
        info.reset();
        info.set({ version: doc.software.version, cn: doc.node.cn, subnet: doc.node.subnet }, 1);
      }),
    });
    const uptime = m.gauge({
      name: "re6st_node_uptime_seconds",
      help: "Seconds since the daemon started",
      collect: each(({ doc }) => uptime.set({}, doc.node.uptime)),
    });
    const version = m.gauge({
      name: "re6st_node_network_version",
      help: "Version number of the network parameters in use",
      collect: each(({ doc }) => version.set({}, doc.parameters.version ?? 0)),
    });
    const tunnels = m.gauge({
      name: "re6st_node_tunnels",
      help: "Tunnels by direction (client: we connect; server: we serve) and state",
      labels: ["direction", "state"],
      collect: each(({ doc }) => {
        for (const direction of ["client", "server"]) {
          for (const state of ["connecting", "up", "draining"]) {
            tunnels.set({ direction, state }, 0);
          }
        }
        for (const t of doc.tunnels) tunnels.inc({ direction: t.direction, state: t.state });
      }),
    });
    const attempts = m.counter({
      name: "re6st_node_tunnel_attempts_total",
      help: "OpenVPN client tunnels started (one per endpoint tried), by protocol",
      labels: ["protocol"],
      collect: each(({ snapshot }) => {
        for (const [protocol, n] of byProtocol(snapshot.tunnelCounters.attempts)) {
          follow(attempts, { protocol }, n);
        }
      }),
    });
    const failures = m.counter({
      name: "re6st_node_tunnel_failures_total",
      help: "Client tunnel attempts that ended before the tunnel came up, by protocol",
      labels: ["protocol"],
      collect: each(({ snapshot }) => {
        for (const [protocol, n] of byProtocol(snapshot.tunnelCounters.failures)) {
          follow(failures, { protocol }, n);
        }
      }),
    });
    for (const protocol of ["udp", "tcp", "udp6", "tcp6"]) {
      attempts.inc({ protocol }, 0);
      failures.inc({ protocol }, 0);
    }
    const lost = m.counter({
      name: "re6st_node_tunnels_lost_total",
      help: "Established client tunnels that went down without being destroyed by us",
      collect: each(({ snapshot }) => follow(lost, {}, snapshot.tunnelCounters.lost)),
    });
    const peers = m.gauge({
      name: "re6st_node_peers_cached",
      help: "Peers in the peer cache",
      collect: each(({ doc }) => peers.set({}, doc.peers.cached)),
    });
    const blacklisted = m.gauge({
      name: "re6st_node_peers_blacklisted",
      help: "Cached peers whose last connection attempt failed",
      collect: each(({ doc }) => blacklisted.set({}, doc.peers.blacklisted)),
    });
    const sessions = m.gauge({
      name: "re6st_node_peer_sessions",
      help: "UDP 326 peer sessions, connected or not",
      labels: ["state"],
      collect: each(({ doc }) => {
        const up = doc.peers.sessions.filter((s) => s.connected).length;
        sessions.set({ state: "connected" }, up);
        sessions.set({ state: "disconnected" }, doc.peers.sessions.length - up);
      }),
    });
    const routed = m.gauge({
      name: "re6st_node_routed_nodes",
      help: "Node prefixes babel has an installed route to",
      collect: each(({ doc }) => routed.set({}, doc.babel.routedNodes)),
    });
    const installed = m.gauge({
      name: "re6st_node_babel_installed_routes",
      help: "Installed IPv6 babel routes (node prefixes, default route …)",
      collect: each(({ doc }) => installed.set({}, doc.babel.installedRoutes ?? 0)),
    });
    const neighbours = m.gauge({
      name: "re6st_node_babel_neighbours",
      help: "Babel neighbours we have installed routes through",
      collect: each(({ doc }) => neighbours.set({}, doc.babel.neighbours.length)),
    });
    const restarts = m.counter({
      name: "re6st_node_babeld_restarts_total",
      help: "Times babeld was started again after an unexpected exit",
      collect: each(({ doc }) => follow(restarts, {}, doc.babel.restarts)),
    });
    this.#handshake = m.counter({
      name: "re6st_node_handshake_errors_total",
      help: "Peer-protocol hello0/hello packets rejected (bad certificate, signature or key)",
    });
    this.#dropped = m.counter({
      name: "re6st_node_dropped_packets_total",
      help: "Peer-protocol datagrams dropped (malformed, foreign, unknown session, bad MAC)",
    });
    this.#fetches = m.counter({
      name: "re6st_node_parameter_fetches_total",
      help: "Network parameter fetches from the registry, by result",
      labels: ["result"],
    });
    for (const result of ["ok", "failed"]) this.#fetches.inc({ result }, 0);
    const upnp = m.gauge({
      name: "re6st_node_upnp_mappings",
      help: "UPnP port mappings kept on the IGD",
      collect: each(({ doc }) => upnp.set({}, doc.upnp?.length ?? 0)),
    });
  }

  /** Counts dropped peer-protocol input (`PeerSocket` `onDrop`). */
  readonly dropped = (kind: DropKind): void => {
    (kind === "handshake" ? this.#handshake : this.#dropped).inc();
  };

  /** Counts a parameter fetch (`fetchParams` observer). */
  readonly fetched = (ok: boolean): void => {
    this.#fetches.inc({ result: ok ? "ok" : "failed" });
  };

  /** The Prometheus text page; without a snapshot (node starting) only the counters move. */
  render(current?: { doc: StatusDocument; snapshot: NodeSnapshot }): string {
    this.#scrape = current;
    try {
      return this.#m.render();
    } finally {
      this.#scrape = undefined;
    }
  }
}
