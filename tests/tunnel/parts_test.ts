import assert from "node:assert/strict";
import { DistantPeers } from "../../lib/node/tunnel/distant_peers.ts";
import { InterfacePool } from "../../lib/node/tunnel/interface_pool.ts";
import { filterEndpoints } from "../../lib/node/tunnel/endpoint_filter.ts";
import { seededRandom } from "../../lib/node/tunnel/random.ts";
import { addr, makeManager, only, p, StaticView } from "./helpers.ts";

Deno.test("distant peers: --neighbour peers first, then every other routed peer once; self and direct neighbours never", () => {
  const routed = Array.from({ length: 200 }, (_, i) => p(i));
  const view = new StaticView(routed, {
    [p(1)]: { ifname: "re6stnet1", address: "fe80::1", score: 3 },
    [p(2)]: { ifname: "eth0", address: "fe80::2", score: 1 },
  });
  const d = new DistantPeers(view, p(0), new Set([p(50), p(60), p(2), p(999)]), seededRandom(3));
  assert.equal(d.remaining, 197);
  const first = [d.next(), d.next()].sort();
  assert.deepEqual(first, [p(50), p(60)]);
  const seen = new Set(first);
  for (let x = d.next(); x !== undefined; x = d.next()) {
    assert.ok(!seen.has(x), `${x} drawn twice`);
    seen.add(x);
  }
  assert.equal(seen.size, 197);
  assert.ok(![p(0), p(1), p(2)].some((x) => seen.has(x)));
  assert.equal(d.remaining, 0);
});

Deno.test("client TAP names: the lowest free one is reused", () => {
  const pool = new InterfacePool();
  assert.deepEqual([pool.take(), pool.take(), pool.take()], [
    "re6stnet1",
    "re6stnet2",
    "re6stnet3",
  ]);
  pool.release("re6stnet3");
  pool.release("re6stnet1");
  pool.release("re6stnet1");
  pool.release("eth0");
  assert.deepEqual([pool.take(), pool.take(), pool.take()], [
    "re6stnet1",
    "re6stnet3",
    "re6stnet4",
  ]);
  assert.deepEqual(pool.created(), ["re6stnet1", "re6stnet2", "re6stnet3", "re6stnet4"]);
});

Deno.test("statement 58: outside the listed countries, endpoints located in them are forbidden", () => {
  const policy = {
    disabledProtocols: new Set<string>(),
    sameCountry: ["FR"],
    ourCountry: { ipv4: "DE" },
    geo: (ip: string) => (ip === "198.18.0.2" ? "FR" : undefined),
  };
  const kept = filterEndpoints([
    { ip: "198.18.0.1", port: 1, proto: "tcp", country: "FR" },
    { ip: "198.18.0.2", port: 1, proto: "tcp" },
    { ip: "198.18.0.3", port: 1, proto: "tcp4" },
    { ip: "198.18.0.4", port: 1, proto: "sctp" },
  ], policy);
  assert.deepEqual(kept.map((e) => e.ip), ["198.18.0.3"]);
});

Deno.test("light refresh: with enough distant peers known, tunnels are opened without a new dump", () => {
  const { m, cache } = makeManager({ prefix: p(5), clientCount: 4, tunnelRefresh: 1000 });
  const routed = Array.from({ length: 30 }, (_, i) => p(i)).filter((x) => x !== p(5));
  for (const x of routed) cache.addPeer(x, addr(parseInt(x, 2)));
  m.clientConnected(0, p(29), "re6stnet-tcp", 29n);
  m.tick(0);
  const opened = only(m.babelDump(0, new StaticView(routed)), "openTunnel");
  assert.equal(opened.length, 4);
  const lost = opened[0];
  m.tunnelUp(1, lost.id, 1n);
  m.tunnelExited(2, lost.id); // established tunnel lost: the next refresh wants a dump
  assert.deepEqual(m.tick(5), [{ type: "requestDump" }]);
  const again = only(m.babelDump(5, new StaticView(routed)), "openTunnel");
  assert.equal(again.length, 1);
  // a never-established attempt that fails does not require a dump: the light attempt refills
  m.tunnelExited(6, again[0].id);
  const cmds = m.tick(10);
  assert.equal(only(cmds, "requestDump").length, 0);
  assert.equal(only(cmds, "openTunnel").length, 1);
});

Deno.test("lost answers do not stall the core: dump and bootstrap requests are repeated", () => {
  const { m } = makeManager({ prefix: p(5), hello: 4 });
  assert.deepEqual(m.tick(0), [{ type: "requestDump" }]);
  assert.deepEqual(m.tick(5), [], "coalesced while the dump is pending");
  assert.equal(m.nextWake(), 10);
  assert.deepEqual(m.tick(10), [{ type: "requestDump" }]);
  assert.deepEqual(m.babelDump(10, new StaticView([])), [{ type: "requestBootstrapPeer" }]);
  // the registry answer never comes: asked again once `timeout` (16 s) has passed
  const asks: number[] = [];
  for (let t = 11; t <= 40; t++) {
    let cmds = m.tick(t);
    if (only(cmds, "requestDump").length) cmds = m.babelDump(t, new StaticView([]));
    if (only(cmds, "requestBootstrapPeer").length) asks.push(t);
  }
  assert.ok(asks.length >= 1 && asks[0] >= 26, `asks at ${asks}`);
});
