import assert from "node:assert/strict";
import { FakeNetwork } from "./fake_network.ts";

Deno.test("several cores wired through a modelled network converge to client_count tunnels each and keep rewiring", () => {
  const k = 3;
  const net = new FakeNetwork({
    nodes: 12,
    clientCount: k,
    maxClients: 2 * k,
    tunnelRefresh: 60,
    hello: 4,
    seed: 7,
  });
  net.run(300);
  assert.ok(net.connected(), "every node reaches every other one");
  let full = 0;
  net.managers.forEach((m, i) => {
    const tunnels = net.clientTunnels(i).length;
    const want = net.served(i).length > 0 ? k : Math.min(2, k);
    assert.equal(
      tunnels,
      want,
      `node ${i}: ${tunnels} client tunnels, served ${net.served(i).length}`,
    );
    assert.equal(m.clientPeers().length, tunnels, `node ${i}: core and network agree`);
    if (tunnels === k) full++;
  });
  assert.ok(full >= 10, `${full} nodes have all ${k} tunnels`);
  // tunnels are being replaced every tunnel_refresh, and the network stays whole meanwhile
  const before = net.destructionRequests;
  for (let t = 300; t < 600; t += 10) {
    net.run(t + 10);
    assert.ok(net.connected(), `connected at t=${t + 10}`);
  }
  assert.ok(net.destructionRequests > before, "refresh rounds replace tunnels");
  net.managers.forEach((m, i) => {
    assert.ok(net.clientTunnels(i).length <= k);
    assert.ok(m.clientPeers().length <= k);
  });
});
