/**
 * `re6st status` on a terminal: a header about the node, then aligned tables of tunnels, peer
 * sessions, babel routes and (if any) UPnP mappings, rendered from a status document.
 */
import type { StatusDocument } from "../node/control/document.ts";
import { formatAge, renderTable } from "./table.ts";

function section(title: string, body: string): string {
  return `${title}\n${body}`;
}

/** The human-readable status page of `doc`. */
export function renderStatus(doc: StatusDocument): string {
  const n = doc.node;
  const p = doc.parameters;
  const b = doc.babel;
  const up = doc.tunnels.filter((t) => t.state === "up").length;
  const header = [
    `node ${n.cn}  ${n.subnet}  address ${n.address}`,
    `network ${n.network}  parameters version ${p.version ?? "?"}  protocol ${p.protocol}` +
    `  registry ${doc.registry.url} (node ${doc.registry.cn})`,
    `up ${formatAge(n.uptime)}  re6st ${doc.software.version} (protocol ` +
    `${doc.software.protocol})  babeld ${b.pid === null ? "not running" : `pid ${b.pid}`}` +
    `, ${b.restarts} restart${b.restarts === 1 ? "" : "s"}`,
    `advertised: ${n.advertised || "-"}`,
    `servers: ${
      doc.servers.map((s) => `${s.protocol}/${s.port} (${s.interface})`).join(", ") || "none"
    }`,
  ].join("\n");

  const tunnels = section(
    `TUNNELS (${up} up of ${doc.tunnels.length}; ${doc.tunnelCounters.attempts} attempts, ` +
      `${doc.tunnelCounters.failures} failed, ${doc.tunnelCounters.lost} lost)`,
    doc.tunnels.length === 0 ? "  none" : renderTable(
      ["PEER", "SUBNET", "DIRECTION", "PROTO", "IFACE", "STATE", "AGE", "ROUTES"],
      doc.tunnels.map((t) => [
        t.peer,
        t.subnet,
        t.direction,
        t.protocol,
        t.interface,
        t.state,
        formatAge(t.age),
        t.routes,
      ]),
    ),
  );

  const sessions = doc.peers.sessions;
  const peers = section(
    `PEERS (cache: ${doc.peers.cached} known, ${doc.peers.blacklisted} blacklisted; ` +
      `${sessions.filter((s) => s.connected).length} of ${sessions.length} sessions connected)`,
    sessions.length === 0 ? "  none" : renderTable(
      ["PEER", "SUBNET", "SESSION", "PROTOCOL", "LAST SEEN"],
      sessions.map((s) => [
        s.peer,
        s.subnet,
        s.connected ? "connected" : s.lastSeen === null ? "handshake" : "idle",
        s.protocol,
        s.lastSeen === null ? "never" : `${formatAge(s.lastSeen)} ago`,
      ]),
    ),
  );

  const routes = section(
    `ROUTES (${b.routedNodes} nodes routed, ${b.installedRoutes ?? "?"} routes installed, ` +
      `${b.neighbours.length} neighbours)`,
    b.routes.length === 0 ? "  none" : renderTable(
      ["DESTINATION", "SUBNET", "VIA", "IFACE", "METRIC"],
      b.routes.map((r) => [r.destination, r.subnet, r.via ?? "?", r.interface, r.metric]),
    ),
  );

  const parts = [header, tunnels, peers, routes];
  if (doc.upnp) {
    parts.push(section(
      `UPNP (${doc.upnp.length} mappings)`,
      doc.upnp.length === 0 ? "  none" : renderTable(
        ["PROTO", "EXTERNAL", "INTERNAL PORT"],
        doc.upnp.map((m) => [m.proto, `${m.externalIp}:${m.externalPort}`, m.internalPort]),
      ),
    ));
  }
  return parts.join("\n\n") + "\n";
}
