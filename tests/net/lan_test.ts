/**
 * The `lan` topology (TESTNET.md) with a second re6st network and a gateway, all real programs
 * on one switch (hello 4): network 1 (2001:db8:42::/48) is a registry host and nodes l1, l2
 * run with `-i eth0`, l1 also with `--gateway` and a plain `proto static` IPv6 default route;
 * network 2 (2001:db8:43::/48, its own CA, registry and babel HMAC key) is a registry host and
 * node m1 with `-i eth0` on the same LAN.
 *
 * - statement 49/71: l1 and l2 route to each other over eth0 and never open a tunnel between
 *   them;
 * - statement 71: nothing of network 2 reaches network 1's kernels and the other way round
 *   (different HMAC keys on one LAN);
 * - statements 60/61: l1 announces `::/0 from 2001:db8:42::/48`; l2 installs it only as
 *   `default from 2001:db8:42::/48` (no plain default route through re6st), m1 not at all.
 */
import assert from "node:assert/strict";
import { Overlay, type OverlayNode } from "../../lib/demo/overlay.ts";
import { matrixTable, watchConvergence } from "../../lib/demo/reachability.ts";
import { run } from "../../lib/netns/exec.ts";
import { canRunNetTests, type Host, type TestNet, waitFor, withNet } from "./harness.ts";
import { openvpnClientRemotes, testOverlay } from "./test_overlay.ts";

const NET1 = "2001:db8:42::/48", NET2 = "2001:db8:43::/48";

async function overlay(net: TestNet, name: string, network: string): Promise<Overlay> {
  const dir = `${net.tmpDir}/${name}`, logDir = `${net.logDir}/${name}`;
  await Deno.mkdir(logDir, { recursive: true });
  return await testOverlay(net, { dir, logDir, network });
}

/**
 * Hosts reg1, l1, l2 and `more` on one switch "lan"; network 1's registry on reg1 and its nodes
 * l1, l2 are made but not started.
 */
async function network1OnLan(net: TestNet, more: string[] = []) {
  const hosts: Host[] = [];
  for (const name of ["reg1", "l1", "l2", ...more]) hosts.push(await net.host(name));
  const sw = await net.switch("lan", hosts);
  const ip = (h: Host) => sw.members.get(h)!.ip;
  const o1 = await overlay(net, "net1", NET1);
  const r1 = await o1.startRegistry(hosts[0], ip(hosts[0]));
  const [l1, l2] = await Promise.all(hosts.slice(1, 3).map((h) => o1.addNode(h, [ip(h)])));
  return { hosts, ip, r1, l1, l2 };
}

const targets = (nodes: OverlayNode[]) =>
  nodes.map((n) => ({ name: n.host.name, ns: n.host.ns, address: n.address }));

async function routes6(node: OverlayNode): Promise<string> {
  return await run(["ip", "-6", "route", "show"], { ns: node.host.ns });
}

/** Remote IPs of the node's OpenVPN client tunnels. */
function clientRemotes(node: OverlayNode): Promise<string[]> {
  return openvpnClientRemotes(node.host.ns);
}

/**
 * Waits until `a`'s kernel sends to `b` through babel's route on the LAN (not through a tunnel,
 * not through l1's static default route). Babel finds the LAN route only after the HMAC
 * neighbour set-up, and stock babeld then keeps the installed tunnel route for a while on
 * purpose: a new route's smoothed metric starts at INFINITY/2 and halves every 4 s
 * (`smoothing-half-life`), so a LAN route of metric 96 beats a two-tunnel route of 192 only
 * after ≈34 s, and babeld looks again only at the next update (every 4 × hello = 16 s): up to
 * ≈50 s after the LAN route appeared. Measured: 2 runs in 5 failed with a 30 s limit.
 */
async function waitLanRoute(a: OverlayNode, b: OverlayNode): Promise<void> {
  let last = "";
  const t0 = Date.now();
  await waitFor(
    async () => {
      last = await run(["ip", "-6", "route", "get", b.address], { ns: a.host.ns });
      return / via fe80::\S+ dev eth0 proto babel /.test(last);
    },
    {
      timeoutMs: 90_000,
      intervalMs: 250,
      what: () => `${a.host.name} to reach ${b.host.name} over the LAN (last: ${last.trim()})`,
    },
  );
  console.log(`${a.host.name} → ${b.host.name} over the LAN after ${Date.now() - t0} ms`);
}

Deno.test("lan: -i routes over the LAN without a tunnel; another network's routes stay out; gateway from NET", async () => {
  if (!canRunNetTests("lan")) return;
  await withNet("lan", async (net) => {
    const { hosts, ip, r1, l1, l2 } = await network1OnLan(net, ["reg2", "m1"]);
    const [, l1Host, , reg2, m1Host] = hosts;
    const o2 = await overlay(net, "net2", NET2);
    const r2 = await o2.startRegistry(reg2, ip(reg2));
    const m1 = await o2.addNode(m1Host, [ip(m1Host)]);

    // l1's uplink: a plain default route of protocol static (what --gateway exports)
    await run(["ip", "-6", "addr", "add", "fd00:ffff::1/64", "dev", "eth0"], { ns: l1Host.ns });
    await run(
      [
        "ip",
        "-6",
        "route",
        "add",
        "default",
        "via",
        "fd00:ffff::2",
        "dev",
        "eth0",
        "proto",
        "static",
      ],
      { ns: l1Host.ns },
    );

    await Promise.all([
      r1.start(),
      r2.start(),
      l1.start(["-i", "eth0", "--gateway"]),
      l2.start(["-i", "eth0"]),
      m1.start(["-i", "eth0"]),
    ]);
    for (const [name, nodes] of [["network 1", [r1, l1, l2]], ["network 2", [r2, m1]]] as const) {
      const c = await watchConvergence(targets([...nodes]), 90_000);
      assert.ok(c.complete, `${name}:\n${matrixTable(nodes.map((n) => n.host.name), c.matrix)}`);
      console.log(`${name}: all pairs ping after ${c.ms} ms`);
    }

    // statement 49/71: l1 ↔ l2 over the LAN, no tunnel between them
    for (const [a, b] of [[l1, l2], [l2, l1]]) {
      // pings may first flow through the tunnels to the registry node
      await waitLanRoute(a, b);
      assert.ok(!(await clientRemotes(a)).includes(ip(b.host as Host)), "no tunnel l1–l2");
    }

    // statements 60/61: the gateway's default route, source-specific only
    await waitFor(async () => /^default from 2001:db8:42::\/48 /m.test(await routes6(l2)), {
      timeoutMs: 30_000,
      what: "l2 to install l1's default route from the network",
    });
    const r = await routes6(l2);
    assert.match(r, /^default from 2001:db8:42::\/48 via fe80::\S+ dev eth0 proto babel/m);
    assert.doesNotMatch(r, /^default (?!from).*proto babel/m, "no plain default route via re6st");

    // statement 71: the two networks exchange no route
    assert.doesNotMatch(await routes6(m1), /2001:db8:42:|from 2001:db8:42::/);
    for (const n of [r1, l1, l2]) assert.doesNotMatch(await routes6(n), /2001:db8:43:/);
  });
});

/** Drops (`-I`) or allows again (`-D`) babel packets arriving on the LAN in `host`. */
async function babelOnLan(host: Host, op: "-I" | "-D"): Promise<void> {
  await run(
    ["ip6tables", "-w", op, "INPUT", "-i", "eth0", "-p", "udp", "--dport", "6696", "-j", "DROP"],
    { ns: host.ns },
  );
}

Deno.test("lan: a tunnel opened before babel found the peer on the LAN is closed, the route moves to the LAN", async () => {
  if (!canRunNetTests("lan")) return;
  await withNet("lan-late", async (net) => {
    const { hosts, ip, r1, l1, l2 } = await network1OnLan(net);
    const [, l1Host, l2Host] = hosts;
    // babel cannot hear the LAN yet: l1 and l2 only know each other through the overlay
    for (const h of [l1Host, l2Host]) await babelOnLan(h, "-I");
    await r1.start();
    await Promise.all([l1.start(["-i", "eth0"]), l2.start(["-i", "eth0"])]);
    const tunnelBetween = async () =>
      (await clientRemotes(l1)).includes(ip(l2Host)) ||
      (await clientRemotes(l2)).includes(ip(l1Host));
    await waitFor(tunnelBetween, { timeoutMs: 60_000, what: "a tunnel between l1 and l2" });

    for (const h of [l1Host, l2Host]) await babelOnLan(h, "-D");
    await waitFor(async () => !(await tunnelBetween()), {
      timeoutMs: 60_000,
      what: "the redundant l1–l2 tunnel to be closed",
    });
    for (const [a, b] of [[l1, l2], [l2, l1]]) await waitLanRoute(a, b);
    const logs = await Promise.all(
      [l1, l2].map((n) => Deno.readTextFile(`${n.logDir}/re6stnet.log`).catch(() => "")),
    );
    assert.ok(logs.some((l) => /is redundant: it is a LAN neighbour/.test(l)), "closing logged");
    const c = await watchConvergence(targets([r1, l1, l2]), 60_000);
    assert.ok(c.complete, matrixTable([r1, l1, l2].map((n) => n.host.name), c.matrix));
  });
});
