/**
 * `re6st status` against live nodes (TESTNET.md `router` topology): the real registry and three
 * real `re6st node`s (OpenVPN, babeld) on one switch. Once the tunnels are up, the real
 * `re6st status` program, run in each node's namespace, lists the node's tunnels with their
 * peers' CNs and the routes they carry; `--json` agrees with the other ends (every client
 * tunnel is a served tunnel at its peer); `--metrics` parses with the reference Prometheus
 * parser and counts garbage sent to UDP 326; the socket is 0600 in a 0700 run directory and
 * `curl --unix-socket` reads it too; a stopped node leaves no socket and `re6st status` says so.
 */
import assert from "node:assert/strict";
import type { StatusDocument } from "../../lib/node/control/document.ts";
import { controlSocketPath } from "../../lib/node/control/socket_path.ts";
import type { OverlayNode } from "../../lib/demo/overlay.ts";
import { re6stCommand } from "../../lib/demo/overlay.ts";
import { tryRun } from "../../lib/netns/exec.ts";
import { NodeQueryError, parseStatusDocument, queryNode } from "../../lib/status/client.ts";
import { parseMetrics } from "../status/prometheus.ts";
import { canRunNetTests, type Host, waitFor, withNet } from "./harness.ts";
import { routerNetwork, startAll } from "./router_network.ts";

const UDP_SEND = new URL("./udp_send.ts", import.meta.url).pathname;

const runDir = (n: OverlayNode) => `${n.dir}/run`;

/** The node's status document, or undefined while it does not answer yet. */
async function docOf(n: OverlayNode): Promise<StatusDocument | undefined> {
  try {
    return parseStatusDocument(await queryNode(controlSocketPath(runDir(n)), "/status"));
  } catch (e) {
    if (e instanceof NodeQueryError) return undefined;
    throw e;
  }
}

/** Runs the real `re6st status` in the node's namespace. */
function re6stStatus(n: OverlayNode, ...args: string[]) {
  return tryRun([...re6stCommand(), "status", "--run", runDir(n), ...args], { ns: n.host.ns });
}

/**
 * Every node routes every other node, each up tunnel carries routes, tunnels pair up, and every
 * node has a UDP 326 session.
 */
function converged(nodes: OverlayNode[], docs: Array<StatusDocument | undefined>): boolean {
  if (docs.some((d) => !d)) return false;
  const byCn = new Map(nodes.map((n, i) => [n.cn, docs[i]!]));
  for (const d of docs as StatusDocument[]) {
    if (d.babel.routedNodes !== nodes.length - 1) return false;
    const up = d.tunnels.filter((t) => t.state === "up");
    if (up.length === 0 || up.some((t) => t.routes === 0)) return false;
    if (!d.peers.sessions.some((s) => s.connected)) return false;
    for (const t of d.tunnels.filter((t) => t.direction === "client")) {
      if (t.state !== "up") return false;
      const other = byCn.get(t.peer);
      const back = other?.tunnels.find((x) => x.peer === d.node.cn && x.direction === "server");
      if (!back) return false;
    }
  }
  return true;
}

Deno.test("re6st status: live nodes list their tunnels, peers and routes; metrics parse", async () => {
  if (!canRunNetTests("status")) return;
  await withNet("status", async (net) => {
    const { nodes } = await routerNetwork(net, 2);
    await startAll(nodes);
    let docs: Array<StatusDocument | undefined> = [];
    const summary = () =>
      nodes.map((n, i) => {
        const d = docs[i];
        if (!d) return `${n.cn}: no answer`;
        const tunnels = d.tunnels.map((t) =>
          `${t.direction} ${t.peer} ${t.state} ${t.routes} routes`
        );
        const sessions = d.peers.sessions.map((x) => `${x.peer}${x.connected ? "" : " (idle)"}`);
        return `${n.cn}: routed ${d.babel.routedNodes}; ${tunnels.join(", ")}; sessions ${
          sessions.join(", ")
        }`;
      }).join("\n");
    await waitFor(async () => {
      docs = await Promise.all(nodes.map(docOf));
      return converged(nodes, docs);
    }, { timeoutMs: 180_000, intervalMs: 1000, what: "tunnels up and routes in every status" })
      .catch((e) => {
        throw new Error(`${e.message}; last statuses:\n${summary()}`);
      });
    const cns = new Set(nodes.map((n) => n.cn));
    console.log(summary());

    for (const [i, node] of nodes.entries()) {
      // permissions
      const socket = controlSocketPath(runDir(node));
      assert.equal((await Deno.stat(socket)).mode! & 0o777, 0o600, "socket is 0600");
      assert.equal((await Deno.stat(runDir(node))).mode! & 0o777, 0o700, "run dir is 0700");

      // tables
      const table = await re6stStatus(node);
      assert.equal(table.code, 0, table.stderr);
      assert.ok(table.stdout.startsWith(`node ${node.cn}  `), table.stdout);
      if (i === 0) console.log(table.stdout);
      assert.match(table.stdout, new RegExp(`address ${node.address}\\n`));
      const tunnelLines = table.stdout.split("\n\n").find((b) => b.startsWith("TUNNELS"))!
        .split("\n").slice(2);
      const doc = docs[i]!;
      for (const t of doc.tunnels.filter((t) => t.state === "up")) {
        const line = tunnelLines.find((l) => l.startsWith(`${t.peer} `));
        assert.ok(line, `${node.cn}: tunnel to ${t.peer} listed in\n${table.stdout}`);
        assert.match(line, new RegExp(` ${t.direction} +${t.protocol} +${t.interface} +up `));
        assert.ok(Number(line.split(/ +/).at(-1)) >= 1, `routes carried: ${line}`);
      }
      const routeLines = table.stdout.split("\n\n").find((b) => b.startsWith("ROUTES"))!;
      for (const cn of cns) {
        if (cn !== node.cn) assert.match(routeLines, new RegExp(`^${cn} `, "m"));
      }

      // --json: the same view, and the peers are the network's nodes
      const json = await re6stStatus(node, "--json");
      assert.equal(json.code, 0, json.stderr);
      const live = JSON.parse(json.stdout) as StatusDocument;
      assert.equal(live.node.cn, node.cn);
      assert.equal(live.node.address, node.address);
      assert.ok(live.parameters.version! >= 1, "decoded parameters version");
      assert.equal(live.parameters.hello, 4);
      assert.equal(live.babel.routedNodes, nodes.length - 1);
      assert.ok(live.babel.pid! > 0);
      for (const t of live.tunnels) assert.ok(cns.has(t.peer) && t.peer !== node.cn, t.peer);
      // the other nodes learnt at least the registry node's address (bootstrap)
      if (i > 0) assert.ok(live.peers.cached >= 1, "peers in the cache");
      assert.ok(
        live.peers.sessions.some((s) => s.connected && cns.has(s.peer)),
        "a UDP 326 session with another node",
      );

      // --metrics
      const metrics = await re6stStatus(node, "--metrics");
      assert.equal(metrics.code, 0, metrics.stderr);
      const m = await parseMetrics(metrics.stdout);
      const clientsUp = live.tunnels.filter((t) => t.direction === "client" && t.state === "up");
      assert.equal(m.get("re6st_node_tunnels{direction=client,state=up}"), clientsUp.length);
      assert.equal(m.get("re6st_node_routed_nodes"), nodes.length - 1);
      assert.ok(m.get("re6st_node_tunnel_attempts_total{protocol=tcp}")! >= clientsUp.length);
      assert.ok(m.get("re6st_node_parameter_fetches_total{result=ok}")! >= 1);
      assert.equal(m.get("re6st_node_babeld_restarts_total"), 0);
    }

    // garbage sent to a node's UDP 326 is counted
    const [target, sender] = [nodes[1], nodes[2]];
    const before = await parseMetrics(
      await queryNode(
        controlSocketPath(runDir(target)),
        "/metrics",
      ),
    );
    const file = `${net.tmpDir}/garbage.hex`;
    await Deno.writeTextFile(file, "0000000700112233445566778899\n01\n");
    const sent = await tryRun(
      [Deno.execPath(), "run", "-A", UDP_SEND, sender.address, target.address, "326", file],
      { ns: (sender.host as Host).ns },
    );
    assert.equal(sent.code, 0, sent.stderr);
    const dropped = "re6st_node_dropped_packets_total";
    await waitFor(async () => {
      const now = await parseMetrics(
        await queryNode(
          controlSocketPath(runDir(target)),
          "/metrics",
        ),
      );
      return now.get(dropped)! >= before.get(dropped)! + 4;
    }, { timeoutMs: 10_000, what: "4 dropped datagrams counted" });

    // operators' way in: curl over the unix socket
    const curl = await tryRun([
      "curl",
      "-sf",
      "--unix-socket",
      controlSocketPath(runDir(target)),
      "http://re6st/status",
    ]);
    assert.equal(curl.code, 0, curl.stderr);
    assert.equal(JSON.parse(curl.stdout).node.cn, target.cn);

    // a stopped node: no socket left, a clear error
    const status = await target.stop("SIGTERM", 20_000);
    assert.equal(status.code, 0);
    const gone = await re6stStatus(target);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /^re6st status: no node answers on .*re6st\.sock/);
  });
});
