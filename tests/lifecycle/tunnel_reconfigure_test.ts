/**
 * Tunnel-manager settings applied live (reaction plan `tunnels`): client_count up and down,
 * tunnel_refresh, same_country — no restart (statement 32 adapted).
 */
import assert from "node:assert/strict";
import type { Command, OpenTunnel } from "../../lib/node/tunnel/commands.ts";
import type { TunnelManager } from "../../lib/node/tunnel/manager.ts";
import { addr, makeManager, only, p, StaticView } from "../tunnel/helpers.ts";

function upAll(m: TunnelManager, now: number, cmds: Command[]): OpenTunnel[] {
  const opened = only(cmds, "openTunnel");
  for (const o of opened) m.tunnelUp(now, o.id, BigInt(parseInt(o.peer, 2)));
  return opened;
}

/** Every client tunnel's peer identified on its TAP, routing one node. */
function viewFor(m: TunnelManager, routed: string[], drained: ReadonlySet<string>) {
  const neighbours: Record<string, { ifname: string; address: string; score: number }> = {};
  const via: Record<string, number> = {};
  for (const c of m.status().clients) {
    if (drained.has(c.ifname)) continue;
    neighbours[c.peer] = { ifname: c.ifname, address: "fe80::1", score: 1 };
    via[c.ifname] = 1;
  }
  return new StaticView(routed, neighbours, via);
}

/** Runs the node from `from` to `to` seconds (peers confirm destructions at once). */
function runFor(
  m: TunnelManager,
  routed: string[],
  from: number,
  to: number,
  replaced: string[] = [],
): void {
  const drained = new Set<string>();
  for (let t = from; t < to; t += 5) {
    let cmds = m.tick(t);
    if (only(cmds, "requestDump").length) cmds = m.babelDump(t, viewFor(m, routed, drained));
    for (const c of cmds) {
      if (c.type === "drainInterface") drained.add(c.ifname);
      if (c.type === "restoreInterface") drained.delete(c.ifname);
    }
    upAll(m, t, cmds);
    for (const s of only(cmds, "send").filter((s) => s.code === 2)) {
      replaced.push(s.peer);
      for (const c of only(m.messageReceived(t, s.peer, 3), "restoreInterface")) {
        drained.delete(c.ifname);
      }
    }
  }
}

const many = (n: number) => Array.from({ length: n }, (_, i) => p(i));

function served(clientCount: number, tunnelRefresh = 100) {
  const { m, cache } = makeManager({ prefix: p(99), clientCount, tunnelRefresh });
  const routed = many(40);
  for (const x of routed) cache.addPeer(x, addr(parseInt(x, 2)));
  m.clientConnected(0, p(98), "re6stnet-tcp", 98n); // lifts the 2-tunnel cap
  return { m, routed };
}

Deno.test("reconfigure: a larger client_count opens more tunnels at once", () => {
  const { m, routed } = served(3);
  runFor(m, routed, 0, 30);
  assert.equal(m.status().clients.length, 3);
  m.reconfigure(30, { clientCount: 6, tunnelRefresh: 100 });
  runFor(m, routed, 30, 60);
  assert.equal(m.status().clients.length, 6);
  assert.equal(m.clientCount, 6);
});

Deno.test("reconfigure: a smaller client_count sheds one tunnel per tunnel_refresh round", () => {
  const { m, routed } = served(5, 50);
  runFor(m, routed, 0, 30);
  assert.equal(m.status().clients.length, 5);
  m.reconfigure(30, { clientCount: 2, tunnelRefresh: 50 });
  runFor(m, routed, 30, 300);
  assert.equal(m.status().clients.length, 2);
});

Deno.test("reconfigure: a shorter tunnel_refresh brings the next replacement forward", () => {
  const { m, routed } = served(2, 1000);
  runFor(m, routed, 0, 30);
  const replaced: string[] = [];
  runFor(m, routed, 30, 200, replaced);
  assert.deepEqual(replaced, [], "no round before t = 1000");
  m.reconfigure(200, { clientCount: 2, tunnelRefresh: 20 });
  runFor(m, routed, 200, 260, replaced);
  assert.ok(replaced.length >= 1, `replaced ${replaced.length} within 60 s`);
});

Deno.test("reconfigure: same_country filters the tunnels opened afterwards", () => {
  const { m, cache } = makeManager({ prefix: p(99), clientCount: 3, tunnelRefresh: 100 });
  m.clientConnected(0, p(98), "re6stnet-tcp", 98n);
  const routed = many(10);
  for (const x of routed) cache.addPeer(x, `${addr(parseInt(x, 2))},DE`);
  m.reconfigure(0, { clientCount: 3, tunnelRefresh: 100, sameCountry: ["DE"] });
  runFor(m, routed, 0, 30);
  assert.equal(m.status().clients.length, 0, "a node outside DE never tunnels to DE");
  m.reconfigure(30, { clientCount: 3, tunnelRefresh: 100 });
  // refused peers stay blacklisted until re-learnt (§10.4); learning them again clears that
  for (const x of routed) cache.addPeer(x, `${addr(parseInt(x, 2))},DE`);
  runFor(m, routed, 30, 90);
  assert.equal(m.status().clients.length, 3);
});

Deno.test("reconfigure: hello sets the timeout; a new registry prefix changes who asks the registry", () => {
  const { m } = makeManager({ prefix: p(99), clientCount: 3, hello: 4 });
  assert.equal(m.timeout, 16);
  m.reconfigure(0, { clientCount: 3, tunnelRefresh: 100, hello: 10 });
  assert.equal(m.timeout, 40, "4 × the new hello");
  // cold start with an empty cache: an ordinary node asks the registry for a bootstrap peer…
  const asks = (x: TunnelManager, now: number) => {
    const cmds = x.tick(now);
    const dumped = only(cmds, "requestDump").length ? x.babelDump(now, new StaticView([])) : [];
    return only([...cmds, ...dumped], "requestBootstrapPeer").length;
  };
  assert.equal(asks(m, 0), 1);
  // …the registry node never does; the same node made the registry by a parameter change stops
  const { m: other } = makeManager({ prefix: p(99), clientCount: 3 });
  other.reconfigure(0, { clientCount: 3, tunnelRefresh: 100, registryPrefix: p(99) });
  assert.equal(asks(other, 0), 0);
  other.reconfigure(0, { clientCount: 3, tunnelRefresh: 100, registryPrefix: p(0) });
  assert.equal(asks(other, 10), 1);
});
