/**
 * Statement 48 end to end, the periodic replacement included (real programs, hello 4,
 * client-count 2, tunnel_refresh 20 s): the registry host and nodes d1, d2, d3 on an "internet"
 * switch; node c1 behind gateway gw-c, which masquerades its LAN with no UPnP IGD and no port
 * forwarding (c1 has no `--ip`: its UPnP discovery finds nothing). Nobody can connect to c1's
 * server, so it keeps at most 2 client tunnels and replaces one every tunnel_refresh (§10.3,
 * §10.5, §10.8). Watched for several rounds, sampling c1's OpenVPN clients every 500 ms:
 *
 * - never more than 2 client tunnels at once, and nobody ever connects to c1;
 * - one tunnel chosen for replacement per tunnel_refresh, never faster;
 * - tunnels are replaced over time and reach at least 3 different peers;
 * - every replaced tunnel went through the graceful destruction (§10.6): c1 chose it
 *   ("destroying tunnel"), asked its peer (code 2), the peer confirmed (code 3), no abort;
 * - after each replacement every node pings every other node's re6st address.
 */
import assert from "node:assert/strict";
import type { OverlayNode } from "../../lib/demo/overlay.ts";
import { matrixTable, watchConvergence } from "../../lib/demo/reachability.ts";
import { cnToBits } from "../../lib/wire/prefix.ts";
import { canRunNetTests, type Host, withNet } from "./harness.ts";
import { openvpnClients, testOverlay } from "./test_overlay.ts";

const TUNNEL_REFRESH = 20;
const CONVERGE_MS = 120_000;
/** Replacement rounds to watch, and the peers they must have reached in all. */
const ROUNDS = 3, PEERS = 3;
const WATCH_MS = 360_000;

/** The node's OpenVPN client tunnels: pid → peer CN (`--verify-x509-name`). */
async function clientTunnels(node: OverlayNode): Promise<Map<number, string>> {
  const found = new Map<number, string>();
  for (const { pid, argv } of await openvpnClients(node.host.ns)) {
    const i = argv.indexOf("--verify-x509-name");
    if (i >= 0) found.set(pid, argv[i + 1]);
  }
  return found;
}

async function logOf(node: OverlayNode): Promise<string> {
  return await Deno.readTextFile(`${node.logDir}/re6stnet.log`).catch(() => "");
}

function count(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

Deno.test("statement 48: behind NAT without UPnP, at most 2 client tunnels, replaced every tunnel_refresh, everyone reachable after each replacement", async () => {
  if (!canRunNetTests("nat refresh")) return;
  await withNet("nat-refresh", async (net) => {
    const registry = await net.host("registry"), gwC = await net.host("gw-c");
    const direct = [await net.host("d1"), await net.host("d2"), await net.host("d3")];
    const c1Host = await net.host("c1");
    const internet = await net.switch("internet", [registry, gwC, ...direct]);
    const lanC = await net.switch("lan-c", [gwC, c1Host]);
    await net.nat(gwC, lanC, internet);

    const overlay = await testOverlay(net, {
      tunnelRefresh: TUNNEL_REFRESH,
      // every node bootstraps from the registry node at first: let it serve them all
      maxClients: 10,
    });
    const ip = (h: Host) => internet.members.get(h)!.ip;
    const first = await overlay.startRegistry(registry, ip(registry));
    const others = await Promise.all(direct.map((h) => overlay.addNode(h, [ip(h)])));
    const c1 = await overlay.addNode(c1Host, []);
    const nodes = [first, ...others, c1];
    const byCn = new Map(nodes.map((n) => [n.cn, n]));
    const names = nodes.map((n) => n.host.name);
    const targets = nodes.map((n) => ({ name: n.host.name, ns: n.host.ns, address: n.address }));
    const allPairs = async (what: string) => {
      const c = await watchConvergence(targets, CONVERGE_MS);
      assert.ok(c.complete, `${what}:\n${matrixTable(names, c.matrix)}`);
      console.log(`${what}: all ${nodes.length} nodes ping each other after ${c.ms} ms`);
    };

    await Promise.all(nodes.map((n) => n.start()));
    await allPairs("cold start");

    // c1's client tunnels, sampled every 500 ms until enough rounds were seen
    let seen = await clientTunnels(c1);
    let most = seen.size;
    const peers = new Set(seen.values());
    const gone: string[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const now = await clientTunnels(c1);
        most = Math.max(most, now.size);
        for (const [pid, cn] of seen) if (!now.has(pid)) gone.push(cn);
        for (const cn of now.values()) peers.add(cn);
        seen = now;
        await new Promise((r) => setTimeout(r, 500));
      }
    })();
    try {
      const deadline = Date.now() + WATCH_MS;
      let checked = 0;
      while ((gone.length < ROUNDS || peers.size < PEERS) && Date.now() < deadline) {
        if (gone.length > checked && seen.size === 2) {
          checked = gone.length;
          await allPairs(`after replacement ${checked} (tunnels to ${[...seen.values()]})`);
        } else await new Promise((r) => setTimeout(r, 500));
      }
    } finally {
      sampling = false;
      await sampler;
    }
    console.log(`c1 replaced ${gone.length} tunnels (${gone}); peers reached: ${[...peers]}`);
    assert.ok(most <= 2, `c1 had ${most} client tunnels at once`);
    assert.ok(gone.length >= ROUNDS, `only ${gone.length} tunnels replaced in ${WATCH_MS} ms`);
    assert.ok(peers.size >= PEERS, `c1 only tunnelled to ${[...peers]}`);
    await allPairs("after the last replacement");

    const c1Log = await logOf(c1);
    assert.doesNotMatch(
      c1Log,
      / connected to re6stnet-/,
      "nobody can connect to c1 (NAT, no UPnP)",
    );
    // one replacement per tunnel_refresh: choices are at least tunnel_refresh apart (the
    // deadline restarts when a client tunnel is opened); log times have a 1 s resolution
    const chosen = [...c1Log.matchAll(/^(\S+ \S+) INFO +tunnel: destroying tunnel to /gm)]
      .map((m) => Date.parse(m[1].replace(" ", "T")));
    for (let i = 1; i < chosen.length; i++) {
      assert.ok(chosen[i] - chosen[i - 1] >= (TUNNEL_REFRESH - 1) * 1000, `${chosen}`);
    }
    for (const cn of new Set(gone)) {
      const bits = cnToBits(cn), times = gone.filter((g) => g === cn).length;
      const peer = byCn.get(cn);
      assert.ok(peer, `c1 tunnelled to an unknown node ${cn}`);
      assert.ok(count(c1Log, `destroying tunnel to ${bits} `) >= times, `c1 chose ${cn}`);
      assert.ok(
        count(c1Log, `tunnel destruction request (code 2) sent to ${cn}\n`) >= 1,
        `c1 asked ${cn} (code 2)`,
      );
      assert.ok(
        count(await logOf(peer), `tunnel destruction confirmation (code 3) sent to ${c1.cn}\n`) >=
          times,
        `${peer.host.name} confirmed (code 3) each destruction`,
      );
      assert.doesNotMatch(c1Log, new RegExp(`Abort destruction of tunnel to ${bits}\\b`));
    }
  });
});
