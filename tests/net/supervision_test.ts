/**
 * Supervision of a node's children and SIGHUP, on the `router` topology (registry + 2 nodes,
 * hello 4), all real programs:
 *
 * 1. babeld of a node killed by PID: the daemon logs it, starts a new babeld, every pair pings
 *    again;
 * 2. the registry node's OpenVPN server (every node bootstraps to it) killed by PID: logged,
 *    restarted on its port, every pair pings again;
 * 3. SIGHUP with an unchanged configuration: logged, nothing restarted (same babeld); with a
 *    broken configuration file: logged, the running configuration stays; with a changed one
 *    (a `daemon` line added to the `@file`): the node restarts in-process (same PID) with it —
 *    the new `--daemon` command runs — and every pair pings again.
 */
import assert from "node:assert/strict";
import type { OverlayNode } from "../../lib/demo/overlay.ts";
import { matrixTable, watchConvergence } from "../../lib/demo/reachability.ts";
import { run } from "../../lib/netns/exec.ts";
import { canRunNetTests, type Host, waitFor, withNet } from "./harness.ts";
import { routerNetwork, targetsOf } from "./router_network.ts";

/** PIDs of the processes of `node`'s namespace whose argv matches. */
async function pidsOf(node: OverlayNode, match: (argv: string[]) => boolean): Promise<number[]> {
  const out = await run(["ip", "netns", "pids", node.host.ns]);
  const found = [];
  for (const pid of out.split("\n").filter((l) => /^\d+$/.test(l)).map(Number)) {
    const argv = (await Deno.readTextFile(`/proc/${pid}/cmdline`).catch(() => "")).split("\0");
    if (match(argv)) found.push(pid);
  }
  return found;
}

const isBabeld = (argv: string[]) => argv[0].endsWith("babeld");
const isServer = (argv: string[]) => argv[0].endsWith("openvpn") && argv.includes("--tls-server");

async function logOf(node: OverlayNode): Promise<string> {
  return await Deno.readTextFile(`${node.logDir}/re6stnet.log`).catch(() => "");
}

/** Waits until the node's log has `text` at least `count` times. */
async function logged(node: OverlayNode, text: string, count = 1): Promise<void> {
  await waitFor(async () => (await logOf(node)).split(text).length - 1 >= count, {
    timeoutMs: 20_000,
    what: `${node.host.name} to log "${text}"`,
  });
}

Deno.test("supervision: babeld and OpenVPN server killed are restarted; SIGHUP reloads the configuration", async () => {
  if (!canRunNetTests("supervision")) return;
  await withNet("supervision", async (net) => {
    const { nodes } = await routerNetwork(net, 2);
    const names = nodes.map((n) => n.host.name);
    const targets = targetsOf(nodes);
    const converge = async (what: string) => {
      const c = await watchConvergence(targets, 90_000);
      assert.ok(c.complete, `${what}:\n${matrixTable(names, c.matrix)}`);
      console.log(`${what}: all pairs ping after ${c.ms} ms`);
    };
    // node1 runs with an @file re-read at SIGHUP
    const node1 = nodes[1];
    const conf = `${node1.dir}/extra.conf`;
    await Deno.writeTextFile(conf, "# nothing yet\n");
    const startNode1 = async () => {
      node1.proc = await net.spawn(node1.host as Host, [...node1.args(), `@${conf}`], {
        name: "node",
        logFile: `${node1.logDir}/node.out`,
      });
    };
    await Promise.all([startNode1(), ...[nodes[0], nodes[2]].map((n) => n.start())]);
    await converge("cold start");

    // 1. babeld killed
    const [babeld] = await pidsOf(node1, isBabeld);
    Deno.kill(babeld, "SIGKILL");
    await logged(node1, "restarting babeld in");
    await waitFor(async () => (await pidsOf(node1, isBabeld)).some((p) => p !== babeld), {
      timeoutMs: 20_000,
      what: "a new babeld",
    });
    await converge("babeld killed and restarted");

    // 2. OpenVPN server killed
    const registryNode = nodes[0];
    const [server] = await pidsOf(registryNode, isServer);
    Deno.kill(server, "SIGKILL");
    await logged(registryNode, "OpenVPN server tcp restarted on port 1194");
    assert.match(await logOf(registryNode), /OpenVPN server tcp exited with \d+; restarting in/);
    await converge("OpenVPN server killed and restarted");

    // 3. SIGHUP
    const [babeldNow] = await pidsOf(node1, isBabeld);
    Deno.kill(node1.proc!.pid, "SIGHUP");
    await logged(node1, "SIGHUP: configuration unchanged");
    assert.deepEqual(await pidsOf(node1, isBabeld), [babeldNow], "nothing restarted");

    await Deno.writeTextFile(conf, "no-such-option 1\n");
    Deno.kill(node1.proc!.pid, "SIGHUP");
    await logged(node1, "SIGHUP: configuration unusable");
    assert.equal(node1.proc!.exit, undefined, "still running");

    const marker = `${node1.dir}/daemon-ran`;
    await Deno.writeTextFile(conf, `daemon "touch ${marker}"\n`);
    Deno.kill(node1.proc!.pid, "SIGHUP");
    await logged(node1, "SIGHUP: configuration changed");
    await waitFor(async () => await Deno.stat(marker).then(() => true, () => false), {
      timeoutMs: 30_000,
      what: "the --daemon command of the new configuration to run",
    });
    assert.equal(node1.proc!.exit, undefined, "reloaded in-process, not exited");
    await converge("SIGHUP with a changed configuration");
  });
});
