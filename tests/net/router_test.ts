/**
 * The `router` topology (TESTNET.md): the real registry and 4 real `re6st node`s (OpenVPN 2.6,
 * babeld 1.12) on one switch, registered with the real `re6st conf`; registry parameters hello 4,
 * client-count 2, tunnel-refresh 100. Every node must ping6 every other node's re6st address;
 * then one node's daemon is killed with SIGKILL (its babeld and OpenVPN left behind, as after a
 * crash) and restarted: it kills the leftovers and all pairs ping again; then the whole machine
 * "crashes" (every process of its namespace killed) and comes back; its babeld is killed and the
 * daemon starts another. Finally the nodes stop on SIGTERM with status 0 (SIGUSR2: 255), leaving
 * no babeld, OpenVPN or TAP device behind.
 */
import assert from "node:assert/strict";
import { matrixTable, watchConvergence } from "../../lib/demo/reachability.ts";
import type { OverlayNode } from "../../lib/demo/overlay.ts";
import { run } from "../../lib/netns/exec.ts";
import { canRunNetTests, waitFor, withNet } from "./harness.ts";
import { routerNetwork, startAll, targetsOf } from "./router_network.ts";

/** PIDs and program names of every process in a node's namespace. */
async function processesOf(node: OverlayNode): Promise<Array<{ pid: number; comm: string }>> {
  const out = await run(["ip", "netns", "pids", node.host.ns]);
  const procs = [];
  for (const line of out.split("\n").filter((l) => /^\d+$/.test(l))) {
    const comm = await Deno.readTextFile(`/proc/${line}/comm`).catch(() => "");
    if (comm) procs.push({ pid: Number(line), comm: comm.trim() });
  }
  return procs;
}

async function children(node: OverlayNode): Promise<number[]> {
  return (await processesOf(node)).filter((p) => p.comm === "babeld" || p.comm === "openvpn")
    .map((p) => p.pid);
}

function alive(pid: number): boolean {
  try {
    return !Deno.readTextFileSync(`/proc/${pid}/status`).includes("State:\tZ");
  } catch {
    return false;
  }
}

Deno.test("statements 68, 73: router: registry + 4 nodes ping6 each other, after a crash too; clean exit", async () => {
  if (!canRunNetTests("router")) return;
  await withNet("router", async (net) => {
    const { nodes } = await routerNetwork(net, 4);
    const names = nodes.map((n) => n.host.name);
    const targets = targetsOf(nodes);
    await startAll(nodes);
    const cold = await watchConvergence(targets, 90_000);
    assert.ok(cold.complete, `cold start:\n${matrixTable(names, cold.matrix)}`);
    console.log(`cold start: all pairs ping after ${cold.ms} ms`);

    // the daemon alone is killed: its babeld and OpenVPNs may outlive it
    const victim = nodes[2];
    const before = await children(victim);
    assert.ok(before.length >= 2, "babeld and OpenVPN run beside the daemon");
    await victim.stop("SIGKILL");
    const leftovers = before.filter(alive);
    console.log(`${leftovers.length} of ${before.length} children outlived the daemon`);
    await victim.start();
    await waitFor(() => !leftovers.some(alive), {
      timeoutMs: 30_000,
      what: "the restarted node to kill the leftovers of its previous run",
    });
    const again = await watchConvergence(targets, 90_000);
    assert.ok(again.complete, `after restart:\n${matrixTable(names, again.matrix)}`);
    console.log(`daemon killed and restarted: all pairs ping after ${again.ms} ms`);

    // the whole machine crashes
    await victim.stop("SIGKILL");
    for (const p of await processesOf(victim)) Deno.kill(p.pid, "SIGKILL");
    await victim.start();
    const back = await watchConvergence(targets, 90_000);
    assert.ok(back.complete, `after a crash:\n${matrixTable(names, back.matrix)}`);
    console.log(`machine crashed and restarted: all pairs ping after ${back.ms} ms`);

    // babeld dies: the daemon starts a new one and routing comes back
    const [babeld] = (await processesOf(victim)).filter((p) => p.comm === "babeld");
    Deno.kill(babeld.pid, "SIGKILL");
    await waitFor(async () => {
      const now = (await processesOf(victim)).filter((p) => p.comm === "babeld");
      return now.length === 1 && now[0].pid !== babeld.pid;
    }, { timeoutMs: 20_000, what: "the daemon to restart babeld" });
    const rerouted = await watchConvergence(targets, 90_000);
    assert.ok(rerouted.complete, `after babeld died:\n${matrixTable(names, rerouted.matrix)}`);
    console.log(`babeld killed and restarted: all pairs ping after ${rerouted.ms} ms`);

    // clean exit: 0 on SIGTERM; 255 on SIGUSR2 (systemd then restarts the service; SIGHUP
    // reloads the configuration instead, see supervision_test.ts)
    for (const node of nodes) {
      const hup = node === nodes.at(-1);
      const status = await node.stop(hup ? "SIGUSR2" : "SIGTERM", 20_000);
      assert.equal(status.code, hup ? 255 : 0, `${node.host.name} exit status`);
      assert.deepEqual(await children(node), [], `${node.host.name} left no babeld/OpenVPN`);
      const links = await run(["ip", "-o", "link"], { ns: node.host.ns });
      assert.doesNotMatch(links, /re6stnet/, `${node.host.name} removed its TAP devices`);
      const routes = await run(["ip", "-6", "route", "show", "table", "all"], {
        ns: node.host.ns,
      });
      assert.doesNotMatch(routes, /unreachable 2001:db8:42::\/48/, "network route removed");
    }
  });
});
