import assert from "node:assert/strict";
import { EMPTY_VIEW } from "../../lib/node/babel/view.ts";
import type { Command, OpenTunnel } from "../../lib/node/tunnel/commands.ts";
import type { TunnelManager } from "../../lib/node/tunnel/manager.ts";
import { RemoteGateways } from "../../lib/node/tunnel/remote_gateways.ts";
import { growingBackoff } from "../../lib/node/tunnel/backoff.ts";
import { addr, makeManager, only, p, StaticView } from "./helpers.ts";

/** Brings every openTunnel of `cmds` up with serial = peer number. */
function upAll(m: TunnelManager, now: number, cmds: Command[]): OpenTunnel[] {
  const opened = only(cmds, "openTunnel");
  for (const o of opened) m.tunnelUp(now, o.id, BigInt(parseInt(o.peer, 2)));
  return opened;
}

/** A view where each client tunnel's peer is identified on its TAP with the given score. */
function viewFor(
  m: TunnelManager,
  routed: string[],
  scores: Record<string, number> = {},
  drained: ReadonlySet<string> = new Set(),
) {
  const neighbours: Record<string, { ifname: string; address: string; score: number }> = {};
  const via: Record<string, number> = {};
  for (const c of m.status().clients) {
    if (drained.has(c.ifname)) continue;
    const score = scores[c.peer] ?? 1;
    neighbours[c.peer] = { ifname: c.ifname, address: "fe80::1", score };
    via[c.ifname] = score;
  }
  return new StaticView(routed, neighbours, via);
}

const many = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => p(from + i));

Deno.test("statement 47: a fresh node bootstraps from the registry, then reaches client_count tunnels among distant peers", () => {
  const { m, cache } = makeManager({ prefix: p(5), clientCount: 3 });
  let cmds = m.tick(0);
  assert.deepEqual(cmds, [{ type: "requestDump" }]);
  cmds = m.babelDump(0, EMPTY_VIEW);
  assert.deepEqual(cmds, [{ type: "requestBootstrapPeer" }]);
  cmds = m.bootstrapPeer(1, { prefix: p(0), address: addr(0) });
  const [first] = upAll(m, 2, cmds);
  assert.equal(first.peer, p(0));
  assert.equal(first.ifname, "re6stnet1");
  // babel learns the network through the registry node
  const routed = many(0, 20).filter((x) => x !== p(5));
  cmds = m.babelDump(5, viewFor(m, routed));
  assert.deepEqual(only(cmds, "ensureSession"), [{ type: "ensureSession", peer: p(0) }]);
  // nobody is served yet: capped at 2 tunnels, so one address request
  const asked = only(cmds, "send");
  assert.equal(asked.length, 1);
  assert.equal(asked[0].code, 1);
  cmds = m.addressReceived(6, asked[0].peer, addr(parseInt(asked[0].peer, 2)));
  upAll(m, 7, cmds);
  assert.equal(m.status().clients.length, 2);
  assert.equal(cache.getAddress(asked[0].peer), addr(parseInt(asked[0].peer, 2)));
  // someone connects to us: the cap is lifted and the third tunnel comes
  m.clientConnected(8, p(19), "re6stnet-tcp", 19n);
  for (let t = 10; m.status().clients.length < 3 && t < 60; t += 5) {
    cmds = [...m.tick(t), ...m.babelDump(t, viewFor(m, routed))];
    for (const s of only(cmds, "send")) {
      upAll(m, t, m.addressReceived(t, s.peer, addr(parseInt(s.peer, 2))));
    }
    upAll(m, t, cmds);
  }
  const peers = m.clientPeers();
  assert.equal(peers.length, 3);
  assert.ok(!peers.includes(p(19)), "never a tunnel to a peer we already serve");
});

Deno.test("cold start: an empty bootstrap answer is retried on the back-off policy's schedule", () => {
  const { m } = makeManager({ prefix: p(5), bootstrapBackoff: growingBackoff(1, 2) });
  m.tick(0);
  assert.deepEqual(m.babelDump(0, EMPTY_VIEW), [{ type: "requestBootstrapPeer" }]);
  m.bootstrapPeer(0, null);
  const asks: number[] = [0];
  for (let t = 0.5; t < 20; t += 0.5) {
    let cmds = m.tick(t);
    if (only(cmds, "requestDump").length) cmds = m.babelDump(t, EMPTY_VIEW);
    if (only(cmds, "requestBootstrapPeer").length) asks.push(t);
    if (asks.length && asks[asks.length - 1] === t) m.bootstrapPeer(t, null);
  }
  m.bootstrapPeer(20, null); // a stray answer is harmless
  assert.deepEqual(asks.slice(0, 5), [0, 1, 3, 7, 15], "asks spaced by 1, 2, 4, 8 s");
});

Deno.test("statement 48: a node nobody connects to keeps at most 2 client tunnels and replaces one every tunnel_refresh", () => {
  const { m, cache } = makeManager({ prefix: p(5), clientCount: 10, tunnelRefresh: 100 });
  const routed = many(0, 40).filter((x) => x !== p(5));
  for (const x of routed) cache.addPeer(x, addr(parseInt(x, 2)));
  const replaced: string[] = [];
  let peersAtStart: string[] = [];
  const drained = new Set<string>();
  for (let t = 0; t < 1000; t += 5) {
    let cmds = m.tick(t);
    if (only(cmds, "requestDump").length) {
      cmds = m.babelDump(t, viewFor(m, routed, {}, drained));
    }
    for (const c of cmds) {
      if (c.type === "drainInterface") drained.add(c.ifname);
      if (c.type === "restoreInterface") drained.delete(c.ifname);
    }
    upAll(m, t, cmds);
    for (const s of only(cmds, "send").filter((s) => s.code === 2)) {
      replaced.push(s.peer);
      const after = m.messageReceived(t, s.peer, 3);
      for (const c of only(after, "restoreInterface")) drained.delete(c.ifname);
    }
    assert.ok(m.status().clients.length <= 2, `at most 2 tunnels at t=${t}`);
    if (t === 50) peersAtStart = m.clientPeers();
  }
  assert.equal(peersAtStart.length, 2);
  assert.ok(replaced.length >= 8 && replaced.length <= 10, `replaced ${replaced.length}`);
  assert.equal(m.status().clients.length, 2);
});

Deno.test("statement 49: no tunnel to a peer already reached as a direct babel neighbour", () => {
  const { m, cache } = makeManager({ prefix: p(5), clientCount: 4 });
  const lan = p(3);
  cache.addPeer(lan, addr(3));
  cache.addPeer(p(4), addr(4));
  m.clientConnected(0, p(9), "re6stnet-tcp", 9n);
  for (let t = 0; t < 200; t += 5) {
    let cmds = m.tick(t);
    if (only(cmds, "requestDump").length) {
      const v = viewFor(m, [p(0), lan, p(4), p(9)]);
      v.neighbours[lan] = { ifname: "eth0", address: "fe80::3", score: 1 };
      v.neighbours[p(9)] = { ifname: "re6stnet-tcp", address: "fe80::9", score: 1 };
      cmds = m.babelDump(t, v);
    }
    for (const c of cmds) {
      assert.ok(!("peer" in c && c.peer === lan && c.type !== "ensureSession"), JSON.stringify(c));
    }
    upAll(m, t, cmds);
  }
  assert.ok(m.clientPeers().includes(p(4)), "the distant cached peer got a tunnel");
  assert.ok(!m.clientPeers().includes(lan));
});

Deno.test("statement 50: the next address is tried after a failure and becomes first in the cache on success", () => {
  const { m, cache } = makeManager({ prefix: p(5), clientCount: 1 });
  const a1 = "198.18.1.1,1194,tcp", a2 = "198.18.1.2,443,tcp";
  cache.addPeer(p(7), `${a1};${a2}`);
  m.tick(0);
  let cmds = m.babelDump(0, EMPTY_VIEW);
  const [o1] = only(cmds, "openTunnel");
  assert.equal(o1.peer, p(7));
  assert.equal(o1.index, 0);
  assert.equal(cache.getAddress(p(7)), undefined, "blacklisted while connecting");
  cmds = m.tunnelExited(3, o1.id);
  const [o2] = only(cmds, "openTunnel");
  assert.equal(o2.index, 1);
  assert.equal(o2.ifname, o1.ifname);
  assert.notEqual(o2.id, o1.id);
  assert.deepEqual(m.tunnelUp(4, o1.id, 7n), [], "a report from the dead process is ignored");
  m.tunnelUp(4, o2.id, 7n);
  assert.equal(cache.getAddress(p(7)), `${a2};${a1}`);
  // all addresses failing leaves the peer blacklisted
  cache.addPeer(p(8), a1);
  const { m: m2, cache: c2 } = makeManager({ prefix: p(5), clientCount: 1 });
  c2.addPeer(p(8), a1);
  m2.tick(0);
  const [o3] = only(m2.babelDump(0, EMPTY_VIEW), "openTunnel");
  assert.deepEqual(only(m2.tunnelExited(2, o3.id), "openTunnel"), []);
  assert.equal(c2.getAddress(p(8)), undefined);
  assert.equal(m2.clientPeers().length, 0);
});

Deno.test("statement 51: simultaneous tunnels: the smaller prefix drops its client tunnel, one tunnel remains", () => {
  const a = makeManager({ prefix: p(2), clientCount: 1 });
  const b = makeManager({ prefix: p(9), clientCount: 1 });
  a.cache.addPeer(p(9), addr(9));
  b.cache.addPeer(p(2), addr(2));
  a.m.tick(0);
  b.m.tick(0);
  const [ao] = only(a.m.babelDump(0, EMPTY_VIEW), "openTunnel");
  const [bo] = only(b.m.babelDump(0, EMPTY_VIEW), "openTunnel");
  // each one's client reaches the other's server
  const onB = b.m.clientConnected(1, p(2), "re6stnet-tcp", 2n);
  const onA = a.m.clientConnected(1, p(9), "re6stnet-tcp", 9n);
  assert.ok(onA.accept && onB.accept);
  assert.deepEqual(only(onB.commands, "killTunnel"), [], "the larger node keeps its tunnel");
  assert.deepEqual(only(onA.commands, "killTunnel"), [
    { type: "killTunnel", id: ao.id, peer: p(9), ifname: ao.ifname },
  ]);
  b.m.clientDisconnected(2, p(2), "re6stnet-tcp");
  b.m.tunnelUp(2, bo.id, 2n);
  assert.deepEqual(a.m.clientPeers(), []);
  assert.deepEqual(b.m.clientPeers(), [p(2)]);
  assert.deepEqual(a.m.servedPeers(), [p(9)]);
});

Deno.test("statement 52: with all tunnels up and a served client, the tunnel routing fewest nodes is replaced each tunnel_refresh, --neighbour last", () => {
  const { m, cache } = makeManager({
    prefix: p(5),
    registryPrefix: p(10),
    clientCount: 3,
    tunnelRefresh: 100,
    neighbours: [p(11)],
  });
  for (const i of [10, 11, 12]) cache.addPeer(p(i), addr(i));
  m.clientConnected(0, p(30), "re6stnet-tcp", 30n);
  m.tick(0);
  upAll(m, 1, m.babelDump(0, new StaticView([p(10), p(11), p(12)])));
  assert.deepEqual(m.clientPeers().sort(), [p(10), p(11), p(12)]);
  const routed = many(0, 40).filter((x) => x !== p(5));
  const scores = { [p(10)]: 9, [p(11)]: 1, [p(12)]: 4 };
  let cmds: Command[] = [];
  for (let t = 5; t < 100; t += 5) {
    cmds = m.tick(t);
    if (only(cmds, "requestDump").length) cmds = m.babelDump(t, viewFor(m, routed, scores));
    assert.deepEqual(only(cmds, "drainInterface"), [], `nothing destroyed before the deadline`);
  }
  cmds = m.tick(101);
  cmds = m.babelDump(101, viewFor(m, routed, scores));
  const tunnel12 = m.status().clients.find((c) => c.peer === p(12))!;
  assert.deepEqual(only(cmds, "drainInterface"), [
    { type: "drainInterface", ifname: tunnel12.ifname },
  ]);
  // an unidentified tunnel (no route through it) ranks lowest of all
  const { m: m2, cache: c2 } = makeManager({
    prefix: p(5),
    registryPrefix: p(10),
    clientCount: 2,
    tunnelRefresh: 100,
  });
  for (const i of [10, 11]) c2.addPeer(p(i), addr(i));
  m2.clientConnected(0, p(30), "re6stnet-tcp", 30n);
  m2.tick(0);
  upAll(m2, 1, m2.babelDump(0, new StaticView([p(10), p(11)])));
  m2.tick(101);
  const v = viewFor(m2, routed, { [p(10)]: 0, [p(11)]: 7 });
  delete v.neighbours[p(11)];
  const drained = only(m2.babelDump(101, v), "drainInterface");
  assert.equal(drained[0].ifname, m2.status().clients.find((c) => c.peer === p(11))!.ifname);
});

Deno.test("refresh choice: nothing is destroyed when the tunnels are exactly the --neighbour set", () => {
  const { m, cache } = makeManager({
    prefix: p(5),
    registryPrefix: p(10),
    clientCount: 2,
    neighbours: [p(10), p(11)],
  });
  for (const i of [10, 11]) cache.addPeer(p(i), addr(i));
  m.clientConnected(0, p(30), "re6stnet-tcp", 30n);
  m.tick(0);
  upAll(m, 1, m.babelDump(0, new StaticView([p(10), p(11)])));
  m.tick(150);
  assert.deepEqual(only(m.babelDump(150, viewFor(m, [p(10), p(11)])), "drainInterface"), []);
});

/** A node with 2 established tunnels (p10, p11), one served client, refresh due at t=100. */
function destroying() {
  const { m, cache } = makeManager({
    prefix: p(5),
    registryPrefix: p(10),
    clientCount: 2,
    hello: 4,
    tunnelRefresh: 100,
  });
  for (const i of [10, 11]) cache.addPeer(p(i), addr(i));
  m.clientConnected(0, p(30), "re6stnet-tcp", 30n);
  m.tick(0);
  upAll(m, 1, m.babelDump(0, new StaticView([p(10), p(11)])));
  const routed = [p(10), p(11), p(12), p(30)];
  m.tick(100);
  const cmds = m.babelDump(100, viewFor(m, routed, { [p(10)]: 1, [p(11)]: 3 }));
  const victim = m.status().clients.find((c) => c.peer === p(10))!;
  assert.deepEqual(only(cmds, "drainInterface"), [{
    type: "drainInterface",
    ifname: victim.ifname,
  }]);
  return { m, routed, victim };
}

Deno.test("statement 53: destruction drains the TAP, waits for routes to move, exchanges code 2/3, then kills", () => {
  const { m, routed, victim } = destroying();
  // routes have moved off the TAP, but the settle time (2 hellos = 8 s) is not over
  const moved = () => {
    const v = viewFor(m, routed, { [p(11)]: 4 });
    delete v.neighbours[p(10)];
    v.via[victim.ifname] = 0;
    return v;
  };
  m.tick(105);
  assert.deepEqual(only(m.babelDump(105, moved()), "send"), []);
  // still routes via the TAP: keep waiting
  m.tick(110);
  assert.deepEqual(only(m.babelDump(110, viewFor(m, routed)), "send"), []);
  m.tick(115);
  let cmds = m.babelDump(115, moved());
  assert.deepEqual(only(cmds, "send"), [{ type: "send", peer: p(10), code: 2 }]);
  // a confirmation for another peer, or a code 3 before our request, does nothing
  assert.deepEqual(m.messageReceived(116, p(11), 3), []);
  m.tick(120);
  assert.deepEqual(only(m.babelDump(120, moved()), "send"), [{
    type: "send",
    peer: p(10),
    code: 2,
  }]);
  cmds = m.messageReceived(121, p(10), 3);
  assert.deepEqual(cmds.map((c) => [c.type, "ifname" in c ? c.ifname : ""]), [
    ["killTunnel", victim.ifname],
    ["restoreInterface", victim.ifname],
  ]);
  assert.ok(!m.clientPeers().includes(p(10)));
  assert.ok(!m.status().clients.some((c) => c.destroying));
});

Deno.test("statement 53: without confirmation within 2 × timeout the drain is undone and the tunnel kept", () => {
  const { m, routed, victim } = destroying();
  let restored: Command[] = [];
  for (let t = 105; t <= 100 + 2 * 16 + 5; t += 5) {
    m.tick(t);
    const v = viewFor(m, routed);
    restored = restored.concat(only(m.babelDump(t, v), "restoreInterface"));
  }
  assert.deepEqual(restored, [{ type: "restoreInterface", ifname: victim.ifname }]);
  assert.ok(m.clientPeers().includes(p(10)));
  assert.ok(!m.status().clients.some((c) => c.destroying));
  // the tunnel dying during a destruction also ends it cleanly
  const d = destroying();
  const id = only(d.m.shutdown(), "killTunnel").map((k) => k.id);
  assert.equal(id.length, 2);
});

Deno.test("statement 54: the server side degrades gracefully: it cannot drain a shared TAP but still confirms with code 3", () => {
  const { m } = makeManager({ prefix: p(5), clientCount: 2, hello: 4 });
  m.clientConnected(0, p(20), "re6stnet-tcp", 20n);
  // code 2 from a peer we do not serve is ignored
  assert.deepEqual(m.messageReceived(1, p(21), 2), []);
  assert.deepEqual(m.messageReceived(1, p(20), 2), []);
  const identified = new StaticView([p(20)], {
    [p(20)]: { ifname: "re6stnet-tcp", address: "fe80::20", score: 1 },
  });
  const moved = new StaticView([p(20)]);
  assert.deepEqual(m.tick(5), [{ type: "requestDump" }], "a pending destruction asks for dumps");
  assert.deepEqual(only(m.babelDump(5, identified), "send"), [], "routes still on our TAP");
  m.tick(10);
  assert.deepEqual(only(m.babelDump(10, moved), "send"), [{ type: "send", peer: p(20), code: 3 }]);
  assert.deepEqual(m.messageReceived(11, p(20), 2), [{ type: "send", peer: p(20), code: 3 }]);
  m.clientDisconnected(12, p(20), "re6stnet-tcp");
  assert.deepEqual(m.servedPeers(), []);
  // a fork client never moves our routes: we confirm after timeout / 2 anyway
  m.clientConnected(20, p(20), "re6stnet-tcp", 20n);
  m.messageReceived(21, p(20), 2);
  m.tick(25);
  assert.deepEqual(only(m.babelDump(25, identified), "send"), []);
  m.tick(30);
  assert.deepEqual(only(m.babelDump(30, identified), "send"), [
    { type: "send", peer: p(20), code: 3 },
  ]);
});

Deno.test("statement 57: remote gateways alternate and host routes go with the last tunnel to an IP", () => {
  const g = new RemoteGateways(["198.18.255.1", "198.18.255.2"]);
  assert.deepEqual(g.add("198.18.0.10", true), [
    { type: "addHostRoute", ip: "198.18.0.10", gateway: "198.18.255.1" },
  ]);
  assert.deepEqual(g.add("198.18.0.11", true), [
    { type: "addHostRoute", ip: "198.18.0.11", gateway: "198.18.255.2" },
  ]);
  assert.deepEqual(g.add("198.18.0.10", true), [], "shared route");
  assert.deepEqual(g.add("198.18.0.12", false), [], "served clients are only counted");
  assert.deepEqual(g.remove("198.18.0.10"), []);
  assert.deepEqual(g.remove("198.18.0.10"), [
    { type: "delHostRoute", ip: "198.18.0.10", gateway: "198.18.255.1" },
  ]);
  assert.deepEqual(g.remove("198.18.0.12"), []);
  assert.deepEqual(g.remove("198.18.0.99"), [], "unknown IP is harmless");
  assert.deepEqual(new RemoteGateways([]).add("198.18.0.1", true), [], "no gateway: no route");
  // through the manager: a client tunnel's IPv4 endpoint gets a host route, removed on kill
  const { m, cache } = makeManager({
    prefix: p(5),
    clientCount: 1,
    remoteGateways: ["198.18.255.1", "198.18.255.2"],
  });
  cache.addPeer(p(7), "198.18.0.7,1194,tcp;2001:db8::7,1194,tcp6");
  m.tick(0);
  const cmds = m.babelDump(0, EMPTY_VIEW);
  assert.deepEqual(only(cmds, "addHostRoute"), [
    { type: "addHostRoute", ip: "198.18.0.7", gateway: "198.18.255.1" },
  ]);
  assert.deepEqual(only(m.shutdown(), "delHostRoute"), [
    { type: "delHostRoute", ip: "198.18.0.7", gateway: "198.18.255.1" },
  ]);
});

Deno.test("revoked certificates: a revoked client is refused, a revoked server's tunnel is killed", () => {
  const { m, cache } = makeManager({ prefix: p(5), clientCount: 1, crl: [13n] });
  assert.equal(m.clientConnected(0, p(13), "re6stnet-tcp", 13n).accept, false);
  assert.equal(m.clientConnected(0, p(14), "re6stnet-tcp", 14n).accept, true);
  assert.equal(m.servesRevokedClient(), false);
  cache.addPeer(p(13), addr(13));
  m.tick(0);
  const [o] = only(m.babelDump(0, EMPTY_VIEW), "openTunnel");
  assert.equal(only(m.tunnelUp(1, o.id, 13n), "killTunnel").length, 1);
  m.updateCrl(2, [13n, 14n]);
  assert.equal(m.servesRevokedClient(), true);
});

Deno.test("statement 58: disabled protocols and same_country filter endpoints; nothing left means no tunnel", () => {
  const { m, cache } = makeManager({
    prefix: p(5),
    clientCount: 3,
    disabledProtocols: ["udp", "udp6"],
    sameCountry: ["FR"],
    ourCountry: { ipv4: "FR" },
  });
  cache.addPeer(p(7), "198.18.0.7,1194,udp,FR;198.18.0.8,1194,tcp,DE;198.18.0.9,1194,tcp,FR");
  cache.addPeer(p(8), "198.18.0.10,1194,udp,FR");
  m.tick(0);
  const opened = only(m.babelDump(0, EMPTY_VIEW), "openTunnel");
  assert.equal(opened.length, 1);
  assert.deepEqual(opened[0].endpoints, [
    { ip: "198.18.0.9", port: 1194, proto: "tcp", country: "FR" },
  ]);
  assert.equal(cache.getAddress(p(8)), undefined, "blacklisted during the (impossible) attempt");
});

Deno.test("malformed address strings from peers are dropped, never thrown", () => {
  const { m, cache } = makeManager({ prefix: p(5), clientCount: 2 });
  assert.deepEqual(m.addressReceived(0, p(7), "garbage;;,,,;x,y,z"), []);
  assert.equal(cache.getAddress(p(7)), "garbage;;,,,;x,y,z");
  assert.deepEqual(m.addressReceived(0, p(5), addr(5)), [], "our own prefix is ignored");
  assert.deepEqual(m.tunnelUp(0, 999, 1n), [], "unknown tunnel id");
  assert.deepEqual(m.tunnelExited(0, 999), []);
  assert.deepEqual(m.clientDisconnected(0, p(9), "re6stnet-tcp"), []);
});

function scenario(seed: number): string {
  const { m, cache } = makeManager({ prefix: p(5), clientCount: 4, seed });
  for (let i = 6; i < 60; i++) cache.addPeer(p(i), addr(i));
  const routed = many(0, 60).filter((x) => x !== p(5));
  const log: Command[] = [];
  m.clientConnected(0, p(40), "re6stnet-tcp", 40n);
  for (let t = 0; t < 600; t += 5) {
    let cmds = m.tick(t);
    if (only(cmds, "requestDump").length) cmds = m.babelDump(t, viewFor(m, routed));
    log.push(...cmds);
    upAll(m, t, cmds);
    for (const s of only(cmds, "send")) {
      if (s.code === 1) upAll(m, t, m.addressReceived(t, s.peer, addr(parseInt(s.peer, 2))));
      if (s.code === 2) log.push(...m.messageReceived(t, s.peer, 3));
    }
  }
  return JSON.stringify(log, (_k, v) => typeof v === "bigint" ? `${v}` : v);
}

Deno.test("determinism: the same seed gives the same commands", () => {
  const a = scenario(42), b = scenario(42), c = scenario(43);
  assert.equal(a, b);
  assert.notEqual(a, c);
  assert.ok(a.includes("drainInterface"));
});

Deno.test("statement 49: a tunnel opened before babel found the peer on the LAN is closed gracefully; an attempt is killed", () => {
  const { m, cache } = makeManager({ prefix: p(5), clientCount: 3, watchLan: true });
  cache.addPeer(p(3), addr(3));
  cache.addPeer(p(4), addr(4));
  m.clientConnected(0, p(9), "re6stnet-tcp", 9n);
  m.tick(0);
  const opened = only(m.babelDump(0, viewFor(m, [p(0), p(3), p(4), p(9)])), "openTunnel");
  assert.deepEqual(opened.map((o) => o.peer).sort(), [p(3), p(4)]);
  const to3 = opened.find((o) => o.peer === p(3))!;
  m.tunnelUp(1, to3.id, 3n); // p(4)'s attempt is still connecting

  // young tunnels: with watchLan the manager dumps at every refresh although it has its tunnels
  assert.equal(only(m.tick(5), "requestDump").length, 1);
  const v = viewFor(m, [p(0), p(3), p(4), p(9)]);
  v.lan.push(p(3), p(4));
  const cmds = m.babelDump(5, v);
  assert.deepEqual(only(cmds, "drainInterface").map((c) => c.ifname), [to3.ifname]);
  assert.deepEqual(only(cmds, "killTunnel").map((c) => c.peer), [p(4)]);
  assert.deepEqual(only(cmds, "openTunnel"), [], "no new tunnel to a LAN neighbour");
  assert.deepEqual(m.clientPeers(), [p(3)]);
  // the drained TAP carries nothing any more and the peer is still routed (over the LAN): code 2
  const later = new StaticView([p(0), p(3), p(4), p(9)], {}, {}, [p(3), p(4)]);
  m.tick(14);
  const asked = only(m.babelDump(14, later), "send").filter((s) => s.code === 2);
  assert.deepEqual(asked.map((s) => s.peer), [p(3)]);
  assert.deepEqual(only(m.messageReceived(15, p(3), 3), "killTunnel").map((c) => c.peer), [p(3)]);
  assert.deepEqual(m.clientPeers(), []);
});

Deno.test("statement 49: without -i the manager does not dump for young tunnels", () => {
  const { m, cache } = makeManager({ prefix: p(5), clientCount: 1 });
  cache.addPeer(p(3), addr(3));
  m.tick(0);
  const [o] = only(m.babelDump(0, viewFor(m, [p(0), p(3)])), "openTunnel");
  m.tunnelUp(1, o.id, 3n);
  assert.deepEqual(only(m.tick(5), "requestDump"), []);
});
