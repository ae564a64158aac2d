/**
 * The `router` topology (TESTNET.md): the real registry and 4 real `re6st node`s (OpenVPN 2.6,
 * babeld 1.12) on one switch, registered with the real `re6st conf`; registry parameters hello 4,
 * client-count 2, tunnel-refresh 100. Every node must ping6 every other node's re6st address;
 * then one node is killed with SIGKILL (its children left behind, as after a crash), restarted,
 * and all pairs must ping again.
 */
import assert from "node:assert/strict";
import { Overlay, type OverlayNode } from "../../lib/demo/overlay.ts";
import { canRunNetTests, type Host, type TestNet, withNet } from "./harness.ts";

/** Registry host + `n` nodes on one switch, every process started. */
export async function routerNetwork(
  net: TestNet,
  n: number,
  params: { hello?: number } = {},
): Promise<{ overlay: Overlay; nodes: OverlayNode[]; hosts: Host[] }> {
  const hosts: Host[] = [await net.host("registry")];
  for (let i = 1; i <= n; i++) hosts.push(await net.host(`node${i}`));
  const sw = await net.switch("lan", hosts);
  const overlay = await Overlay.create({
    dir: net.tmpDir,
    logDir: net.logDir,
    spawn: (host, argv, opts) => net.spawn(host as Host, argv, opts),
    hello: params.hello ?? 4,
    clientCount: 2,
    tunnelRefresh: 100,
  });
  const ip = (h: Host) => sw.members.get(h)!.ip;
  const registry = await overlay.startRegistry(hosts[0], ip(hosts[0]));
  const others = await Promise.all(hosts.slice(1).map((h) => overlay.addNode(h, [ip(h)])));
  await Promise.all(others.map((node) => node.start()));
  return { overlay, nodes: [registry, ...others], hosts };
}

function matrixText(nodes: OverlayNode[], reached: boolean[][]): string {
  return reached.map((row, i) =>
    `${nodes[i].host.name.padEnd(9)} ${row.map((x) => (x ? "+" : ".")).join("")}`
  ).join("\n");
}

Deno.test("router: registry + 4 nodes ping6 each other, also after a node is killed", async () => {
  if (!canRunNetTests("router")) return;
  await withNet("router", async (net) => {
    const { nodes } = await routerNetwork(net, 4);
    const targets = nodes.map((n) => ({ host: n.host as Host, address: n.address }));
    const cold = await net.allPairsPing6(targets, 90_000);
    assert.ok(cold.complete, `cold start:\n${matrixText(nodes, cold.reached)}`);
    console.log(`all pairs ping after ${cold.ms} ms`);

    const victim = nodes[2];
    await victim.stop("SIGKILL");
    await victim.start();
    const again = await net.allPairsPing6(targets, 90_000);
    assert.ok(again.complete, `after restart:\n${matrixText(nodes, again.reached)}`);
    console.log(`all pairs ping again ${again.ms} ms after the restart`);
    for (const n of nodes) assert.equal(n.proc?.exit, undefined, `${n.host.name} still runs`);
  });
});
