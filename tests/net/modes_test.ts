/**
 * Node modes on the `router` topology (TESTNET.md): the registry node, a normal node with `-i`
 * on the LAN, a `--client` node whose single OpenVPN client goes to the registry node
 * (`<registry ip>,1194,tcp`), and a LAN-only node (`-i`, `--client-count 0 --max-clients 0`:
 * no tunnel, no server) whose only way in is the normal node, its babel neighbour on the LAN.
 * Every node must ping6 every other node's re6st address; the client node runs exactly one
 * OpenVPN (on `re6stnet`) and answers the registry's code 5 and code 4 crawls through it; the
 * LAN-only node runs no OpenVPN; all exit 0 on SIGTERM.
 */
import assert from "node:assert/strict";
import { matrixTable, watchConvergence } from "../../lib/demo/reachability.ts";
import type { OverlayNode } from "../../lib/demo/overlay.ts";
import { run } from "../../lib/netns/exec.ts";
import { cnToBits } from "../../lib/wire/prefix.ts";
import { canRunNetTests, waitFor, withNet } from "./harness.ts";
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

    // the peer protocol runs in client mode: the registry's crawls reach the node through its
    // single tunnel (code 5: "1 <registry node>", code 4: its software version)
    const ask = async (method: string) =>
      JSON.parse(
        await run(["curl", "-sf", "--max-time", "20", `http://127.0.0.1/${method}`], {
          ns: registry.host.ns,
        }),
      );
    let topology: Record<string, string[]> = {};
    await waitFor(async () => {
      topology = await ask("topology").catch(() => ({}));
      return topology[""]?.includes(client.cn);
    }, { timeoutMs: 90_000, intervalMs: 2000, what: "the client node to answer code 5" });
    assert.deepEqual(topology[client.cn], [registry.cn], "client tunnel to the registry node");
    const versions: Record<string, string | null> = await ask("versions");
    assert.match(versions[cnToBits(client.cn)] ?? "", /, /, "code 4 answered");

    for (const node of nodes) {
      const status = await node.stop("SIGTERM", 20_000);
      assert.equal(status.code, 0, `${node.host.name} exit status`);
    }
    assert.equal(await openvpnCount(client), 0, "client OpenVPN stopped");
    assert.doesNotMatch(await run(["ip", "-o", "link"], { ns: client.host.ns }), /re6stnet/);
  });
});
