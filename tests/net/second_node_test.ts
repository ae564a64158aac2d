/**
 * One re6st node per host (spec §1.1), on real programs: with a registry node (a `--gateway`) and
 * node1 running, a second `re6st node` started on node1's host
 *
 * 1. with node1's run directory is refused (status 1, "another re6st node is running") before its
 *    leftover clean-up could SIGKILL node1's babeld and OpenVPN;
 * 2. with run/state/log directories of its own fails on UDP 326 (status 1, "is in use").
 *
 * Either way node1 keeps its babeld (same PID), its OpenVPN processes and its routes, and both
 * nodes still ping each other.
 */
import assert from "node:assert/strict";
import type { OverlayNode } from "../../lib/demo/overlay.ts";
import { watchConvergence } from "../../lib/demo/reachability.ts";
import { run } from "../../lib/netns/exec.ts";
import { canRunNetTests, type Host, type TestNet, waitFor, withNet } from "./harness.ts";
import { routerNetwork, startAll, targetsOf } from "./router_network.ts";

/** PIDs of babeld and openvpn processes in the node's namespace. */
async function children(node: OverlayNode): Promise<number[]> {
  const out = await run(["ip", "netns", "pids", node.host.ns]);
  const found = [];
  for (const pid of out.split("\n").filter((l) => /^\d+$/.test(l)).map(Number)) {
    const argv0 = (await Deno.readTextFile(`/proc/${pid}/cmdline`).catch(() => "")).split("\0")[0];
    if (/(^|\/)(babeld|openvpn)$/.test(argv0)) found.push(pid);
  }
  return found.sort();
}

/** The node's command line with some option values replaced. */
function argsWith(node: OverlayNode, values: Record<string, string>): string[] {
  const argv = node.args();
  for (const [opt, value] of Object.entries(values)) argv[argv.indexOf(opt) + 1] = value;
  return argv;
}

/** Runs a second daemon on the node's host; returns its exit status and log (bounded wait). */
async function second(
  net: TestNet,
  node: OverlayNode,
  name: string,
  values: Record<string, string>,
): Promise<{ code: number; log: string }> {
  const logDir = `${net.logDir}/${name}`;
  const proc = await net.spawn(node.host as Host, argsWith(node, { ...values, "--log": logDir }), {
    name,
    logFile: `${net.logDir}/${name}.out`,
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<undefined>((r) => timer = setTimeout(() => r(undefined), 60_000));
  const status = await Promise.race([proc.status, late]);
  clearTimeout(timer);
  if (!status) {
    await net.kill(proc);
    assert.fail(`${name} did not exit within 60 s`);
  }
  return {
    code: status.code,
    log: await Deno.readTextFile(`${logDir}/re6stnet.log`).catch(() => ""),
  };
}

Deno.test("one node per host: a second daemon is refused (shared run dir) or fails on UDP 326, the first keeps running", async () => {
  if (!canRunNetTests("second node")) return;
  await withNet("second-node", async (net) => {
    const { nodes } = await routerNetwork(net, 1);
    const [registry, node1] = nodes;
    // the registry node is a gateway: its host has a default route babeld can export
    const r = (...args: string[]) => run(["ip", "-6", ...args], { ns: registry.host.ns });
    await r("addr", "add", "fd00:ffff::1/64", "dev", "eth0");
    await r("route", "add", "default", "via", "fd00:ffff::2", "dev", "eth0", "proto", "static");
    registry.proc = await net.spawn(registry.host as Host, [...registry.args(), "--gateway"], {
      name: "node",
      logFile: `${registry.logDir}/node.out`,
    });
    await startAll([node1]);
    const converged = async (what: string) => {
      const c = await watchConvergence(targetsOf(nodes), 90_000);
      assert.ok(c.complete, `${what}: registry node and node1 do not ping each other`);
    };
    await converged("cold start");
    const kids = await children(node1);
    assert.ok(kids.length >= 2, `node1's babeld and OpenVPN: ${kids}`);
    const routes = async () =>
      (await run(["ip", "-6", "route", "show", "proto", "babel"], { ns: node1.host.ns }))
        .split("\n").filter((l) => l !== "").map((l) => l.replace(/ metric .*/, "")).sort()
        .join("\n");
    await waitFor(async () => /^default from 2001:db8:42::\/48 /m.test(await routes()), {
      timeoutMs: 30_000,
      what: "node1 to install the gateway's default route",
    });
    const before = await routes();
    assert.match(before, new RegExp(`^${registry.address.replace(/::1$/, "::")}/64 `, "m"));
    // babeld gives every route it installs our address as preferred source: what the start-up
    // flush of a dead babeld's routes selects on (leftovers.ts)
    for (const line of before.split("\n")) assert.match(line, new RegExp(` src ${node1.address}`));

    const shared = await second(net, node1, "second-shared-run", {});
    assert.equal(shared.code, 1);
    assert.match(shared.log, /another re6st node is running with the run directory /);
    assert.doesNotMatch(shared.log, /killing leftover process/);

    const own = await second(net, node1, "second-own-dirs", {
      "--run": `${net.tmpDir}/second/run`,
      "--state": `${net.tmpDir}/second/state`,
    });
    assert.equal(own.code, 1);
    assert.match(own.log, /UDP port 326 on \[::\] is in use: is another re6st node running/);

    assert.deepEqual(await children(node1), kids, "node1's babeld and OpenVPN untouched");
    assert.equal(await routes(), before, "node1's babel routes untouched");
    await converged("after the second daemons");
  });
});
