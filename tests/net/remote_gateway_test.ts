/**
 * Statement 57 on real programs (hello 4, client-count 2): node x sits on a site LAN with two
 * IPv4 routers g1 and g2 to the "wan" switch where the registry host and nodes p1, p2 are; x runs
 * with `--remote-gateway g1 --remote-gateway g2`. Each of its client tunnels gets an IPv4 host
 * route to the tunnel's endpoint, the two tunnels via different gateways (round-robin); when the
 * peer at the other end of one stops, the route to it goes with the tunnel.
 */
import assert from "node:assert/strict";
import type { OverlayNode } from "../../lib/demo/overlay.ts";
import { run } from "../../lib/netns/exec.ts";
import { setSysctls } from "../../lib/netns/netns.ts";
import { canRunNetTests, type Host, waitFor, withNet } from "./harness.ts";
import { openvpnClientRemotes, testOverlay } from "./test_overlay.ts";

/** Endpoint IPs of the node's OpenVPN client tunnels. */
async function clientRemotes(node: OverlayNode): Promise<string[]> {
  return (await openvpnClientRemotes(node.host.ns)).sort();
}

/** IPv4 host routes of the node: destination → gateway. */
async function hostRoutes(node: OverlayNode): Promise<Map<string, string>> {
  const out = await run(["ip", "-4", "route", "show"], { ns: node.host.ns });
  const routes = new Map<string, string>();
  for (const m of out.matchAll(/^(\d+\.\d+\.\d+\.\d+) via (\S+)/gm)) routes.set(m[1], m[2]);
  return routes;
}

Deno.test("statement 57: --remote-gateway host routes alternate between gateways, removed with the tunnel", async () => {
  if (!canRunNetTests("remote gateway")) return;
  await withNet("remote-gateway", async (net) => {
    const registry = await net.host("registry");
    const p1 = await net.host("p1"), p2 = await net.host("p2"), x = await net.host("x");
    const wan = await net.switch("wan", [registry, p1, p2]);
    const site = await net.switch("site", [x]);
    const g1 = await net.router("g1", [wan, site]);
    const g2 = await net.host("g2");
    await setSysctls(g2.ns, { "net.ipv4.ip_forward": "1" });
    await net.join(wan, g2);
    await net.join(site, g2);
    const ip = (sw: typeof wan, h: Host) => sw.members.get(h)!.ip;
    const gateways = [ip(site, g1), ip(site, g2)];

    const overlay = await testOverlay(net);
    const r = await overlay.startRegistry(registry, ip(wan, registry));
    const peers = await Promise.all([p1, p2].map((h) => overlay.addNode(h, [ip(wan, h)])));
    const node = await overlay.addNode(x, [ip(site, x)]);
    // p1 and p2 keep their one tunnel (to the registry node, their bootstrap peer): had they
    // connected to x first, x, which never tunnels to a peer it serves, would have no second
    // candidate
    await Promise.all([r.start(), ...peers.map((p) => p.start(["--client-count", "1"]))]);
    await node.start(gateways.flatMap((g) => ["--remote-gateway", g]));

    // two client tunnels, each endpoint with its host route, via both gateways
    let remotes: string[] = [];
    await waitFor(async () => (remotes = await clientRemotes(node)).length === 2, {
      timeoutMs: 90_000,
      what: "x to open two client tunnels",
    });
    let routes = new Map<string, string>();
    await waitFor(async () => {
      routes = await hostRoutes(node);
      return remotes.every((a) => routes.has(a));
    }, { timeoutMs: 10_000, what: "host routes to both tunnel endpoints" });
    assert.deepEqual(
      remotes.map((a) => routes.get(a)).sort(),
      [...gateways].sort(),
      `one tunnel via each gateway: ${JSON.stringify([...routes])}`,
    );

    // the peer of one tunnel stops: its route goes with the tunnel
    const gone = remotes.find((a) => a !== ip(wan, registry)) ?? remotes[0];
    const stopped = [r, ...peers].find((n) => ip(wan, n.host as Host) === gone)!;
    await stopped.stop("SIGTERM", 20_000);
    await waitFor(async () => !(await hostRoutes(node)).has(gone), {
      timeoutMs: 60_000,
      what: `x to remove the host route to ${gone} with the tunnel`,
    });
  });
});
