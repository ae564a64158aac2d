/**
 * The `demo` topology (TESTNET.md) plus a NAT without UPnP, all real programs: an "internet"
 * switch with the registry host and 3 nodes; gateway A masquerading LAN A (2 nodes) with a real
 * miniupnpd that really forwards ports; gateway B routing LAN B (3 nodes, no NAT); gateway C
 * masquerading LAN C without UPnP (1 node, `--ip any`). Registry parameters hello 4,
 * client-count 2. Steps on one network (one start-up for all of them):
 *
 * 1. every node pings every other node's re6st address;
 * 2. statement 56: LAN A nodes (one with UPnP implicit, one with `--ip upnp`) advertise
 *    `<gateway A's public ip>,<port in 32768–40959>,tcp` for their server, and miniupnpd holds
 *    that port forwarding;
 * 3. statements 48/55: the node behind C advertises C's public IPv4 with its own server ports
 *    and reaches everyone with at most 2 client tunnels;
 * 4. a node's machine crashes (every process of its namespace killed) and comes back;
 * 5. statement 34 (routing part): with the registry stopped, the network stays connected, and
 *    30 % of the nodes restarted come back from their cache and reach everyone again;
 * 6. statement 70: the registry back, b3 (routed LAN) revoked by CN is cut off everywhere within
 *    that one parameter round: every other node applies the CRL, nobody pings b3 nor b3 anyone,
 *    the others still all reach each other;
 * 7. statement 56: a LAN A node stopped with SIGTERM deletes its port mappings.
 */
import assert from "node:assert/strict";
import { Overlay, type OverlayNode } from "../../lib/demo/overlay.ts";
import { matrixTable, ping6, watchConvergence } from "../../lib/demo/reachability.ts";
import { run } from "../../lib/netns/exec.ts";
import {
  canRunNetTests,
  type Host,
  revokeOnRegistry,
  type TestNet,
  waitFor,
  withNet,
} from "./harness.ts";
import { openvpnClients, processesOf, testOverlay } from "./test_overlay.ts";

const CONVERGE_MS = 120_000;
/** How nft prints the IP protocol of miniupnpd's DNAT rules (`@nh,72,8 0x6`). */
const IP_PROTO: Record<string, string> = { tcp: "0x6", udp: "0x11" };

/** Command lines of the OpenVPN client tunnels running in a namespace. */
async function clientTunnels(ns: string): Promise<string[]> {
  return (await openvpnClients(ns)).map(({ argv }) => argv.join(" "));
}

/** Last advertised address the node logged (`our address: …`). */
async function advertised(node: OverlayNode): Promise<string> {
  const text = await Deno.readTextFile(`${node.logDir}/re6stnet.log`).catch(() => "");
  const all = [...text.matchAll(/our address: (\S+)/g)];
  return all.length ? all[all.length - 1][1] : "";
}

/** Port forwardings miniupnpd installed on gateway A (`nft` DNAT rules). */
async function forwardings(gw: Host): Promise<string> {
  return await run(["nft", "list", "chain", "inet", "miniupnpd", "prerouting_miniupnpd"], {
    ns: gw.ns,
  });
}

interface Demo {
  net: TestNet;
  nodes: OverlayNode[];
  overlay: Overlay;
  byName: Map<string, OverlayNode>;
  gwA: Host;
  publicA: string;
  publicC: string;
}

async function build(net: TestNet): Promise<Demo> {
  const registry = await net.host("registry");
  const gwA = await net.host("gw-a"), gwC = await net.host("gw-c");
  const direct = [await net.host("d1"), await net.host("d2"), await net.host("d3")];
  const lanA = [await net.host("a1"), await net.host("a2")];
  const lanB = [await net.host("b1"), await net.host("b2"), await net.host("b3")];
  const c1 = await net.host("c1");
  const internet = await net.switch("internet", [registry, gwA, gwC, ...direct]);
  const swA = await net.switch("lan-a", [gwA, ...lanA]);
  const swB = await net.switch("lan-b", lanB);
  const swC = await net.switch("lan-c", [gwC, c1]);
  await net.router("gw-b", [internet, swB]);
  const natA = await net.nat(gwA, swA, internet, { upnp: true });
  const natC = await net.nat(gwC, swC, internet);

  const overlay = await testOverlay(net, {
    // every node bootstraps from the registry node at first: let it serve them all
    maxClients: 10,
  });
  const ip = (sw: typeof internet, h: Host) => sw.members.get(h)!.ip;
  const first = await overlay.startRegistry(registry, ip(internet, registry));
  const others = await Promise.all([
    ...direct.map((h) => overlay.addNode(h, [ip(internet, h)])),
    ...lanB.map((h) => overlay.addNode(h, [ip(swB, h)])),
    overlay.addNode(lanA[0], []), // UPnP implicit
    overlay.addNode(lanA[1], ["upnp"]),
    overlay.addNode(c1, ["any"]),
  ]);
  const nodes = [first, ...others];
  return {
    net,
    nodes,
    overlay,
    byName: new Map(nodes.map((n) => [n.host.name, n])),
    gwA,
    publicA: natA.publicIp,
    publicC: natC.publicIp,
  };
}

async function allPairs(d: Demo, what: string, nodes = d.nodes): Promise<void> {
  const targets = nodes.map((n) => ({ name: n.host.name, ns: n.host.ns, address: n.address }));
  const c = await watchConvergence(targets, CONVERGE_MS);
  const names = nodes.map((n) => n.host.name);
  assert.ok(c.complete, `${what}:\n${matrixTable(names, c.matrix)}`);
  console.log(`${what}: all ${nodes.length} nodes ping each other after ${c.ms} ms`);
}

async function logOf(node: OverlayNode): Promise<string> {
  return await Deno.readTextFile(`${node.logDir}/re6stnet.log`).catch(() => "");
}

Deno.test("demo topology: NAT with UPnP, routed LAN, NAT without UPnP, crash, registry outage, revocation", async () => {
  if (!canRunNetTests("demo topology")) return;
  await withNet("demo-topology", async (net) => {
    const d = await build(net);
    const node = (name: string) => d.byName.get(name)!;
    await Promise.all(d.nodes.map((n) => n.start()));
    await allPairs(d, "cold start");

    // statement 56: mapped endpoints advertised and really forwarded by miniupnpd
    for (const name of ["a1", "a2"]) {
      let text = "";
      await waitFor(async () => /,tcp$/.test(text = await advertised(node(name))), {
        timeoutMs: 10_000,
        what: `${name} to advertise its mapped endpoint`,
      });
      // one server by default (udp is disabled unless asked for)
      const endpoints = text.split(";").map((e) => e.split(","));
      assert.deepEqual(endpoints.map((e) => [e[0], e[2]]), [[d.publicA, "tcp"]]);
      for (const [, port] of endpoints) {
        assert.ok(Number(port) >= 32768 && Number(port) <= 40959, `${name}: ${text}`);
      }
      const lanIp = [...(node(name).host as Host).addrs.values()][0][0].split("/")[0];
      const rules = await forwardings(d.gwA);
      for (const [, port, proto] of endpoints) {
        assert.match(
          rules,
          new RegExp(`${IP_PROTO[proto]} th dport ${port} dnat ip to ${lanIp}:1194`),
        );
      }
    }

    // statements 48, 55: behind NAT without UPnP
    assert.equal(await advertised(node("c1")), `${d.publicC},1194,tcp`);
    const tunnels = await clientTunnels(node("c1").host.ns);
    assert.ok(tunnels.length >= 1 && tunnels.length <= 2, `c1 client tunnels: ${tunnels}`);

    // a machine crash
    const b2 = node("b2");
    await b2.stop("SIGKILL");
    for (const { pid } of await processesOf(b2.host.ns)) Deno.kill(pid, "SIGKILL");
    await b2.start();
    await allPairs(d, "b2 crashed and restarted");

    // statement 34: registry outage, 30 % of the nodes restarted from their cache
    const registryArgv = (await Deno.readTextFile(`/proc/${d.overlay.registry!.pid}/cmdline`))
      .split("\0").filter((a) => a !== "");
    await net.kill(d.overlay.registry!);
    await allPairs(d, "registry stopped");
    const restarted = ["d1", "b1", "a2"].map(node);
    await Promise.all(restarted.map((n) => n.stop("SIGTERM", 20_000)));
    await Promise.all(restarted.map((n) => n.start()));
    await allPairs(d, "registry stopped, d1 b1 a2 restarted");

    // statement 70: the registry back, b3 revoked by CN is cut off everywhere in one round
    const registryNode = node("registry");
    await net.spawn(registryNode.host as Host, registryArgv, { name: "registry-again" });
    const victim = node("b3");
    const rest = d.nodes.filter((n) => n !== victim);
    const offsets = new Map(
      await Promise.all(rest.map(async (n) => [n, (await logOf(n)).length] as const)),
    );
    await waitFor(async () => {
      const r = await revokeOnRegistry(registryNode.host.ns, victim.cn);
      return r.stdout === "204";
    }, { timeoutMs: 30_000, what: "the restarted registry to revoke b3" });
    const revokedAt = Date.now();
    await waitFor(async () => {
      for (const n of rest) {
        const since = (await logOf(n)).slice(offsets.get(n));
        if (!/network parameters changed: [^\n]*crl/.test(since)) return false;
      }
      return true;
    }, { timeoutMs: CONVERGE_MS, intervalMs: 500, what: "every other node to apply the CRL" });
    console.log(`every other node applied the CRL after ${Date.now() - revokedAt} ms`);
    const reachesVictim = async () => {
      for (const n of rest) {
        if (await ping6(n.host.ns, victim.address)) return true;
        if (await ping6(victim.host.ns, n.address)) return true;
      }
      return false;
    };
    await waitFor(async () => !(await reachesVictim()), {
      timeoutMs: 60_000,
      intervalMs: 500,
      what: "b3 to be cut off from every node",
    });
    console.log(`b3 cut off ${Date.now() - revokedAt} ms after the revocation`);
    await allPairs(d, "b3 revoked", rest);
    for (let i = 0; i < 3; i++) assert.equal(await reachesVictim(), false, "b3 stays cut off");

    // statement 56: mappings deleted on exit
    const a1 = node("a1");
    const mapped = (await advertised(a1)).split(";").map((e) => e.split(","));
    assert.equal((await a1.stop("SIGTERM", 20_000)).code, 0);
    const rules = await forwardings(d.gwA);
    for (const [, port, proto] of mapped) {
      assert.doesNotMatch(
        rules,
        new RegExp(`${IP_PROTO[proto]} th dport ${port} `),
        "a1's mapping",
      );
    }
  });
});
