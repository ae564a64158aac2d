/**
 * Statement 33 (spec §7.5, §10.3): a node learns a parameter change it missed while off from the
 * version exchanged at session setup. A node back from its cache may open all its client tunnels
 * at once (bootstrap mode) and then never needs a peer session; it must still set up the one with
 * the registry node, at each babel dump where babel routes it.
 */
import assert from "node:assert/strict";
import { EMPTY_VIEW } from "../../lib/node/babel/view.ts";
import { addr, makeManager, only, p, StaticView } from "./helpers.ts";

const REFRESH = 100;

Deno.test("statement 33: with every client tunnel up, each dump still ensures the session with the registry node", () => {
  const { m, cache } = makeManager({ prefix: p(5), clientCount: 2, tunnelRefresh: REFRESH });
  for (const i of [0, 7]) cache.addPeer(p(i), addr(i));
  m.tick(0);
  const opened = only(m.babelDump(0, EMPTY_VIEW), "openTunnel");
  assert.equal(opened.length, 2, "both tunnels reopened from the cache");
  for (const o of opened) m.tunnelUp(1, o.id, BigInt(parseInt(o.peer, 2)));
  const routed = new StaticView([p(0), p(7)]);
  // full: no dump until the tunnel refresh is due, then one with the registry routed
  assert.deepEqual(m.tick(50), []);
  assert.deepEqual(m.tick(REFRESH), [{ type: "requestDump" }]);
  const cmds = m.babelDump(REFRESH, routed);
  assert.deepEqual(only(cmds, "ensureSession"), [{ type: "ensureSession", peer: p(0) }]);
  assert.deepEqual(only(cmds, "openTunnel"), [], "nothing else to do");
});

Deno.test("statement 33: no session asked while the registry is not routed, nor by the registry node", () => {
  const island = makeManager({ prefix: p(5), clientCount: 1, tunnelRefresh: REFRESH });
  island.cache.addPeer(p(7), addr(7));
  island.m.tick(0);
  const [o] = only(island.m.babelDump(0, EMPTY_VIEW), "openTunnel");
  island.m.tunnelUp(1, o.id, 7n);
  island.m.tick(REFRESH);
  assert.deepEqual(
    only(island.m.babelDump(REFRESH, new StaticView([p(7)])), "ensureSession"),
    [],
  );

  const registry = makeManager({ prefix: p(0), clientCount: 1, tunnelRefresh: REFRESH });
  registry.cache.addPeer(p(7), addr(7));
  registry.m.tick(0);
  const [r] = only(registry.m.babelDump(0, EMPTY_VIEW), "openTunnel");
  registry.m.tunnelUp(1, r.id, 7n);
  registry.m.tick(REFRESH);
  assert.deepEqual(
    only(registry.m.babelDump(REFRESH, new StaticView([p(0), p(7)])), "ensureSession"),
    [],
  );
});
