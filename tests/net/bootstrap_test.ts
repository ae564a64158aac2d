/**
 * Cold start where a node asks for a bootstrap peer while the registry's own node is still
 * starting (spec §3.5, §9.7): registry + 1 node on one switch; the node is started first and the
 * registry node only once the node has logged that it has no route to the registry (its
 * `getBootstrapPeer` is then on its way). The registry's address query to its node must reach
 * that node once it has bound UDP 326 — the first answer is a peer (200), not 204 — and the two
 * nodes ping each other.
 */
import assert from "node:assert/strict";
import { matrixTable, watchConvergence } from "../../lib/demo/reachability.ts";
import { canRunNetTests, waitFor, withNet } from "./harness.ts";
import { routerNetwork, targetsOf } from "./router_network.ts";

const read = (path: string) => Deno.readTextFile(path).catch(() => "");

Deno.test("cold start: a bootstrap request made while the registry node starts gets a peer", async () => {
  if (!canRunNetTests("bootstrap")) return;
  await withNet("bootstrap", async (net) => {
    const { nodes } = await routerNetwork(net, 1);
    const [registryNode, node] = nodes;
    await node.start();
    await waitFor(
      async () => (await read(`${node.logDir}/re6stnet.log`)).includes("No route to registry"),
      { timeoutMs: 30_000, what: "the node asking for a bootstrap peer" },
    );
    await registryNode.start();
    const registryLog = `${registryNode.logDir}/registry.log`;
    const first = await waitFor(
      async () => /GET \/getBootstrapPeer\S* (\d+)/.exec(await read(registryLog))?.[1],
      { timeoutMs: 30_000, what: "the registry answering getBootstrapPeer" },
    );
    assert.equal(first, "200", "first getBootstrapPeer answer");
    const targets = targetsOf(nodes);
    const done = await watchConvergence(targets, 60_000);
    assert.ok(done.complete, matrixTable(nodes.map((n) => n.host.name), done.matrix));
    console.log(`registry node started late: both ping after ${done.ms} ms`);
  });
});
