/**
 * Statement 46 on live nodes (TESTNET.md `router` topology): the real registry and 4 real
 * `re6st node`s (OpenVPN 2.6, babeld 1.12) on one switch. Once all pairs ping, one call of the
 * registry's private `topology` method (curl from the registry's own namespace) lists every node
 * under `""` and, for each node, exactly the client tunnels its `re6st status --json` shows.
 */
import assert from "node:assert/strict";
import { matrixTable, watchConvergence } from "../../lib/demo/reachability.ts";
import { type OverlayNode, re6stCommand } from "../../lib/demo/overlay.ts";
import type { StatusDocument } from "../../lib/node/control/document.ts";
import { run } from "../../lib/netns/exec.ts";
import { canRunNetTests, withNet } from "./harness.ts";
import { routerNetwork, startAll, targetsOf } from "./router_network.ts";

/** The node's status document, from the real `re6st status --json` in its namespace. */
async function statusOf(n: OverlayNode): Promise<StatusDocument> {
  const out = await run([...re6stCommand(), "status", "--run", `${n.dir}/run`, "--json"], {
    ns: n.host.ns,
  });
  return JSON.parse(out);
}

/** Peers of the node's client tunnels; `up` keeps only those that are up. */
function clientPeers(d: StatusDocument, up: boolean): Set<string> {
  return new Set(
    d.tunnels.filter((t) => t.direction === "client" && (!up || t.state === "up"))
      .map((t) => t.peer),
  );
}

Deno.test('statement 46: topology lists every node under "" and its client-tunnel peers', async () => {
  if (!canRunNetTests("topology")) return;
  await withNet("topology", async (net) => {
    const { nodes } = await routerNetwork(net, 4);
    const names = nodes.map((n) => n.host.name);
    await startAll(nodes);
    const all = await watchConvergence(targetsOf(nodes), 60_000);
    assert.ok(all.complete, `all pairs:\n${matrixTable(names, all.matrix)}`);
    console.log(`all pairs ping after ${all.ms} ms`);

    // tunnels may change while the crawl runs: compare with status before and after it
    const before = await Promise.all(nodes.map(statusOf));
    const t0 = Date.now();
    const topology: Record<string, string[]> = JSON.parse(
      await run(["curl", "-sf", "--max-time", "30", "http://127.0.0.1/topology"], {
        ns: nodes[0].host.ns,
      }),
    );
    console.log(`topology crawled in ${Date.now() - t0} ms: ${JSON.stringify(topology)}`);
    const after = await Promise.all(nodes.map(statusOf));

    assert.deepEqual([...topology[""]].sort(), nodes.map((n) => n.cn).sort(), "every node");
    const edges = nodes.reduce((sum, n) => sum + (topology[n.cn]?.length ?? 0), 0);
    assert.ok(edges >= nodes.length - 1, "the client tunnels connect the network");
    nodes.forEach((n, i) => {
      const listed = new Set(topology[n.cn] ?? []);
      const stable = clientPeers(before[i], true).intersection(clientPeers(after[i], true));
      const possible = clientPeers(before[i], false).union(clientPeers(after[i], false));
      for (const p of stable) assert.ok(listed.has(p), `${n.cn}: client tunnel to ${p} listed`);
      for (const p of listed) assert.ok(possible.has(p), `${n.cn}: ${p} is a client tunnel`);
    });
  });
});
