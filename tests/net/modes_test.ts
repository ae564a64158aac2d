/**
 * Node modes on the `router` topology (TESTNET.md): the registry node, a normal node with `-i`
 * on the LAN, a `--client` node whose single OpenVPN client goes to the registry node
 * (`<registry ip>,1194,tcp`), and a LAN-only node (`-i`, `--client-count 0 --max-clients 0`:
 * no tunnel, no server) whose only way in is the normal node, its babel neighbour on the LAN.
 * Every node must ping6 every other node's re6st address; the client node runs exactly one
 * OpenVPN (on `re6stnet`), the LAN-only node none; all exit 0 on SIGTERM.
 */
import assert from "node:assert/strict";
import { matrixTable, watchConvergence } from "../../lib/demo/reachability.ts";
import type { OverlayNode } from "../../lib/demo/overlay.ts";
import { run } from "../../lib/netns/exec.ts";
import { canRunNetTests, withNet } from "./harness.ts";
import { routerNetwork, targetsOf } from "./router_network.ts";

async function start(node: OverlayNode, extra: string[]): Promise<void> {
  node.proc = await node.overlay.spawn(node.host, [...node.args(), ...extra], {
    name: "node",
    logFile: `${node.logDir}/node.out`,
  });
}

async function openvpnCount(node: OverlayNode): Promise<number> {
  const out = await run(["ip", "netns", "pids", node.host.ns]);
  let n = 0;
  for (const pid of out.split("\n").filter((l) => /^\d+$/.test(l))) {
    const comm = await Deno.readTextFile(`/proc/${pid}/comm`).catch(() => "");
    if (comm.trim() === "openvpn") n++;
  }
  return n;
}

Deno.test("modes: --client node and LAN-only node (client-count 0, max-clients 0) reach everyone", async () => {
  if (!canRunNetTests("modes")) return;
  await withNet("modes", async (net) => {
    const { nodes, overlay } = await routerNetwork(net, 3);
    const [registry, normal, client, lanOnly] = nodes;
    const registryIp = new URL(overlay.registryUrl).hostname;
    await Promise.all([
      registry.start(),
      start(normal, ["-i", "eth0"]),
      start(client, ["--client", `${registryIp},1194,tcp`]),
      start(lanOnly, ["-i", "eth0", "--client-count", "0", "--max-clients", "0"]),
    ]);
    const names = nodes.map((n) => n.host.name);
    const all = await watchConvergence(targetsOf(nodes), 120_000);
    assert.ok(all.complete, `all pairs:\n${matrixTable(names, all.matrix)}`);
    console.log(`all pairs ping after ${all.ms} ms`);

    assert.equal(await openvpnCount(client), 1, "client mode runs one OpenVPN");
    assert.match(await run(["ip", "-o", "link"], { ns: client.host.ns }), /: re6stnet[:@]/);
    assert.equal(await openvpnCount(lanOnly), 0, "LAN-only node runs no OpenVPN");

    for (const node of nodes) {
      const status = await node.stop("SIGTERM", 20_000);
      assert.equal(status.code, 0, `${node.host.name} exit status`);
    }
    assert.equal(await openvpnCount(client), 0, "client OpenVPN stopped");
    assert.doesNotMatch(await run(["ip", "-o", "link"], { ns: client.host.ns }), /re6stnet/);
  });
});
