import assert from "node:assert/strict";
import { statusDocument } from "../../lib/node/control/document.ts";
import { renderStatus } from "../../lib/status/render.ts";
import { NOW, snapshot } from "./fixtures.ts";

/** The lines of `section` (title line to the next blank line). */
function section(text: string, title: string): string[] {
  const blocks = text.trimEnd().split("\n\n");
  const block = blocks.find((b) => b.startsWith(title));
  assert.ok(block, `section ${title} in:\n${text}`);
  return block.split("\n");
}

Deno.test("status page: header with CN, address, parameters version, uptime", () => {
  const text = renderStatus(statusDocument(snapshot(), NOW));
  const header = text.split("\n\n")[0];
  assert.equal(header.split("\n")[0], "node 1/16  2001:db8:42:1::/64  address 2001:db8:42:1::1");
  assert.match(header, /parameters version 7 {2}protocol 10/);
  assert.match(header, /up 1h02m/);
  assert.match(header, /babeld pid 4242, 2 restarts/);
  assert.match(header, /servers: tcp\/1194 \(re6stnet-tcp\)/);
});

Deno.test("status page: aligned tunnels, peers and routes tables", () => {
  const text = renderStatus(statusDocument(snapshot(), NOW));
  assert.deepEqual(section(text, "TUNNELS"), [
    "TUNNELS (1 up of 3; 5 attempts, 1 failed, 1 lost)",
    "PEER  SUBNET              DIRECTION  PROTO  IFACE         STATE       AGE    ROUTES",
    "2/16  2001:db8:42:2::/64  client     tcp    re6stnet1     up          5m00s       2",
    "9/16  2001:db8:42:9::/64  client     udp    re6stnet2     connecting  2s          0",
    "5/16  2001:db8:42:5::/64  server     tcp    re6stnet-tcp  draining    1m30s       1",
  ]);
  assert.deepEqual(section(text, "PEERS"), [
    "PEERS (cache: 3 known, 1 blacklisted; 1 of 2 sessions connected)",
    "PEER  SUBNET              SESSION    PROTOCOL  LAST SEEN",
    "2/16  2001:db8:42:2::/64  connected  10        4s ago",
    "9/16  2001:db8:42:9::/64  handshake  -         never",
  ]);
  assert.deepEqual(section(text, "ROUTES"), [
    "ROUTES (4 nodes routed, 5 routes installed, 3 neighbours)",
    "DESTINATION  SUBNET              VIA   IFACE         METRIC",
    "2/16         2001:db8:42:2::/64  2/16  re6stnet1         96",
    "3/16         2001:db8:42:3::/64  2/16  re6stnet1        352",
    "4/16         2001:db8:42:4::/64  ?     eth0             200",
    "5/16         2001:db8:42:5::/64  5/16  re6stnet-tcp      96",
  ]);
  assert.ok(!text.includes("UPNP"), "no UPnP section when the node maps no ports");
});

Deno.test("status page: empty node and UPnP mappings", () => {
  const s = snapshot();
  s.tunnels = { clients: [], served: [] };
  s.sessions = [];
  s.upnp = [{ proto: "udp", externalIp: "198.18.0.1", externalPort: 40001, internalPort: 1194 }];
  const text = renderStatus(statusDocument(s, NOW));
  assert.deepEqual(section(text, "TUNNELS").slice(1), ["  none"]);
  assert.deepEqual(section(text, "PEERS").slice(1), ["  none"]);
  assert.deepEqual(section(text, "UPNP"), [
    "UPNP (1 mappings)",
    "PROTO  EXTERNAL          INTERNAL PORT",
    "udp    198.18.0.1:40001           1194",
  ]);
});
