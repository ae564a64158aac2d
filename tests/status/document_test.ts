import assert from "node:assert/strict";
import { EMPTY_VIEW } from "../../lib/node/babel/view.ts";
import { statusDocument, versionNumber } from "../../lib/node/control/document.ts";
import { PROTOCOL, VERSION } from "../../lib/version.ts";
import { NOW, snapshot } from "./fixtures.ts";

Deno.test("status document: node, parameters version, registry, uptime", () => {
  const doc = statusDocument(snapshot(), NOW);
  assert.equal(doc.format, 1);
  assert.deepEqual(doc.software, { version: VERSION, protocol: PROTOCOL });
  assert.deepEqual(doc.node, {
    cn: "1/16",
    subnet: "2001:db8:42:1::/64",
    address: "2001:db8:42:1::1",
    network: "2001:db8:42::/48",
    advertised: "198.18.1.1,1194,tcp",
    uptime: 3723,
  });
  assert.deepEqual(doc.registry, { url: "http://198.18.1.100/", cn: "0/16" });
  assert.equal(doc.parameters.version, 7);
  assert.equal(doc.parameters.revoked, 2);
  assert.deepEqual(doc.servers, [{ protocol: "tcp", port: 1194, interface: "re6stnet-tcp" }]);
  assert.equal(doc.upnp, null);
});

Deno.test("status document: tunnels with direction, protocol, state, age and routes carried", () => {
  const doc = statusDocument(snapshot(), NOW);
  assert.deepEqual(doc.tunnels, [
    {
      peer: "2/16",
      subnet: "2001:db8:42:2::/64",
      direction: "client",
      protocol: "tcp",
      interface: "re6stnet1",
      state: "up",
      age: 300,
      routes: 2,
      routed: ["2/16", "3/16"],
    },
    {
      peer: "9/16",
      subnet: "2001:db8:42:9::/64",
      direction: "client",
      protocol: "udp",
      interface: "re6stnet2",
      state: "connecting",
      age: 2,
      routes: 0,
      routed: [],
    },
    {
      peer: "5/16",
      subnet: "2001:db8:42:5::/64",
      direction: "server",
      protocol: "tcp",
      interface: "re6stnet-tcp",
      state: "draining",
      age: 90,
      routes: 1,
      routed: ["5/16"],
    },
  ]);
  assert.deepEqual(doc.tunnelCounters, { attempts: 5, failures: 1, lost: 1 });
});

Deno.test("status document: peers, sessions and babel routes from the interpreted dump", () => {
  const doc = statusDocument(snapshot(), NOW);
  assert.equal(doc.peers.cached, 3);
  assert.equal(doc.peers.blacklisted, 1);
  assert.deepEqual(doc.peers.sessions, [
    {
      peer: "2/16",
      subnet: "2001:db8:42:2::/64",
      connected: true,
      protocol: 10,
      lastSeen: 4,
      certificateExpires: "2027-01-01T00:00:00.000Z",
    },
    {
      peer: "9/16",
      subnet: "2001:db8:42:9::/64",
      connected: false,
      protocol: null,
      lastSeen: null,
      certificateExpires: null,
    },
  ]);
  const b = doc.babel;
  assert.equal(b.pid, 4242);
  assert.equal(b.restarts, 2);
  assert.equal(b.routedNodes, 4);
  // 4 node routes and the source-specific default route; the uninstalled one is not counted
  assert.equal(b.installedRoutes, 5);
  assert.deepEqual(b.neighbours, [
    { peer: "2/16", address: "fe80::2", interface: "re6stnet1", routes: 2 },
    { peer: "5/16", address: "fe80::5", interface: "re6stnet-tcp", routes: 1 },
    { peer: null, address: "fe80::9", interface: "eth0", routes: 1 },
  ]);
  assert.deepEqual(b.routes.map((r) => [r.destination, r.via, r.interface, r.metric]), [
    ["2/16", "2/16", "re6stnet1", 96],
    ["3/16", "2/16", "re6stnet1", 352],
    ["4/16", null, "eth0", 200],
    ["5/16", "5/16", "re6stnet-tcp", 96],
  ]);
});

Deno.test("status document: before the first dump, and with UPnP mappings", () => {
  const s = { ...snapshot(), view: EMPTY_VIEW };
  s.upnp = [{ proto: "tcp", externalIp: "198.18.0.1", externalPort: 40001, internalPort: 1194 }];
  const doc = statusDocument(s, NOW);
  assert.equal(doc.babel.routedNodes, 0);
  assert.equal(doc.babel.installedRoutes, null);
  assert.deepEqual(doc.babel.routes, []);
  assert.equal(doc.tunnels[0].routes, 0);
  assert.deepEqual(doc.upnp, s.upnp);
  // the document is plain JSON
  assert.deepEqual(JSON.parse(JSON.stringify(doc)), doc);
});

Deno.test("status document: undecodable version blobs give null, not a crash", () => {
  assert.equal(versionNumber(new Uint8Array()), null);
  assert.equal(versionNumber(new Uint8Array([0xe0])), null);
  const s = snapshot();
  s.params.version = new Uint8Array([0xff]);
  assert.equal(statusDocument(s, NOW).parameters.version, null);
});
