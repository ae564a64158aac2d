/**
 * Parameter rounds on the `router` topology (TESTNET.md), all real programs: registry host +
 * nodes n1…n4 on one switch, hello 4, the registry distributing `client_count 3`.
 *
 * 1. statement 31: n1 runs with `--client-count 1`: it never runs more than one client tunnel
 *    while other nodes run more (the distributed value is really larger);
 * 2. statement 70 (spec §4.6): n4 is revoked by CN while n3 is powered off. In that one
 *    parameter round (version gossip → fetch → CRL applied), with no other parameter change
 *    or restart: the prefix is free in the registry, every running node logs the new CRL, the
 *    revoked node's tunnels are dropped on both sides, and n4 is cut off everywhere (no ping
 *    either way, and it stays so);
 * 3. statement 33: n3, started again from its cache (no blocking fetch), learns the newer
 *    version when it sets up sessions, fetches the parameters and adopts the CRL: it reaches
 *    every other node and never n4.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import type { OverlayNode } from "../../lib/demo/overlay.ts";
import { matrixTable, ping6, watchConvergence } from "../../lib/demo/reachability.ts";
import { run } from "../../lib/netns/exec.ts";
import { parseNodeCertificate } from "../../lib/pki/certificate.ts";
import { cnToBits } from "../../lib/wire/prefix.ts";
import { canRunNetTests, type Host, revokeOnRegistry, waitFor, withNet } from "./harness.ts";
import { testOverlay } from "./test_overlay.ts";

const HELLO = 4;

/** The OpenVPN client tunnels running in the node's namespace: PID and `--remote` address. */
async function clientTunnels(node: OverlayNode): Promise<Array<{ pid: number; remote: string }>> {
  const out = await run(["ip", "netns", "pids", node.host.ns]);
  const found = [];
  for (const pid of out.split("\n").filter((l) => /^\d+$/.test(l)).map(Number)) {
    const argv = (await Deno.readTextFile(`/proc/${pid}/cmdline`).catch(() => "")).split("\0");
    const i = argv.indexOf("--remote");
    if (argv[0].endsWith("openvpn") && argv.includes("--client") && i >= 0) {
      found.push({ pid, remote: argv[i + 1] });
    }
  }
  return found;
}

async function clientRemotes(node: OverlayNode): Promise<string[]> {
  return (await clientTunnels(node)).map((t) => t.remote);
}

async function logOf(node: OverlayNode): Promise<string> {
  return await Deno.readTextFile(`${node.logDir}/re6stnet.log`).catch(() => "");
}

const targets = (nodes: OverlayNode[]) =>
  nodes.map((n) => ({ name: n.host.name, ns: n.host.ns, address: n.address }));

Deno.test("statements 31, 70, 33: --client-count wins; a revoked node is cut off everywhere in one parameter round; a node off during the change adopts it", async () => {
  if (!canRunNetTests("revocation")) return;
  await withNet("revocation", async (net) => {
    const hosts: Host[] = [await net.host("registry")];
    for (let i = 1; i <= 4; i++) hosts.push(await net.host(`n${i}`));
    const sw = await net.switch("lan", hosts);
    const ip = (h: Host) => sw.members.get(h)!.ip;
    const overlay = await testOverlay(net, { hello: HELLO, clientCount: 3 });
    const registry = await overlay.startRegistry(hosts[0], ip(hosts[0]));
    const [n1, n2, n3, n4] = await Promise.all(
      hosts.slice(1).map((h) => overlay.addNode(h, [ip(h)])),
    );
    const all = [registry, n1, n2, n3, n4];
    await Promise.all([registry, n2, n3, n4].map((n) => n.start()));
    n1.proc = await net.spawn(n1.host as Host, [...n1.args(), "--client-count", "1"], {
      name: "node",
      logFile: `${n1.logDir}/node.out`,
    });
    const converge = async (nodes: OverlayNode[], what: string) => {
      const c = await watchConvergence(targets(nodes), 120_000);
      assert.ok(c.complete, `${what}:\n${matrixTable(nodes.map((n) => n.host.name), c.matrix)}`);
      console.log(`${what}: all pairs ping after ${c.ms} ms`);
    };
    await converge(all, "cold start");

    // --- statement 31: n1 keeps 1 client tunnel although the registry distributes 3
    assert.match(await logOf(n1), /running \(client_count 1,/);
    assert.match(await logOf(n2), /running \(client_count 3,/);
    let most = 0;
    for (let i = 0; i < 20; i++) {
      const mine = await clientRemotes(n1);
      assert.ok(mine.length <= 1, `n1 runs ${mine.length} client tunnels: ${mine}`);
      const others = await Promise.all([registry, n2, n3, n4].map(clientRemotes));
      most = Math.max(most, ...others.map((r) => r.length));
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.ok(most >= 2, `another node runs ${most} client tunnels (distributed client_count 3)`);
    await waitFor(async () => (await clientRemotes(n1)).length === 1, {
      timeoutMs: 30_000,
      what: "n1 to run its one client tunnel",
    });

    // --- statement 70: n4 revoked by CN while n3 is off
    assert.equal((await n3.stop("SIGTERM", 20_000)).code, 0);
    // the tunnels with n4 now, on either side: each must go
    const n4Ip = ip(n4.host as Host);
    const tunnelsWithN4 = [];
    for (const n of [registry, n1, n2]) {
      const nIp = ip(n.host as Host);
      for (const t of await clientTunnels(n)) if (t.remote === n4Ip) tunnelsWithN4.push(t.pid);
      for (const t of await clientTunnels(n4)) if (t.remote === nIp) tunnelsWithN4.push(t.pid);
    }
    assert.ok(tunnelsWithN4.length > 0, "n4 has tunnels before its revocation");
    const victim = parseNodeCertificate(await Deno.readTextFile(`${n4.dir}/cert.crt`));
    const before = new Map(
      await Promise.all(
        [registry, n1, n2, n4].map(async (n) => [n, (await logOf(n)).length] as const),
      ),
    );
    const since = async (n: OverlayNode) => (await logOf(n)).slice(before.get(n) ?? 0);
    const r = await revokeOnRegistry(registry.host.ns, victim.cn);
    assert.equal(r.stdout, "204", r.stderr);
    const db = new DatabaseSync(`${overlay.caDir}/registry.db`, { readOnly: true });
    try {
      const row = db.prepare("SELECT cert FROM cert WHERE prefix = ?").get(cnToBits(victim.cn));
      assert.ok(!row || row.cert === null, `prefix ${victim.cn} is free: ${JSON.stringify(row)}`);
      assert.ok(
        db.prepare("SELECT 1 AS x FROM crl WHERE serial = ?").get(victim.serial.toString()),
        "serial in the registry's CRL",
      );
    } finally {
      db.close();
    }
    const running = [registry, n1, n2];
    const applied = Date.now();
    await waitFor(async () => {
      for (const n of running) {
        if (!/network parameters changed: [^\n]*crl/.test(await since(n))) return false;
      }
      return true;
    }, { timeoutMs: 120_000, intervalMs: 500, what: "every running node to apply the new CRL" });
    console.log(`CRL applied by every running node after ${Date.now() - applied} ms`);
    for (const n of running) {
      assert.doesNotMatch(
        await since(n),
        /node: restarting|to apply the new parameters/,
        `${n.host.name}: nothing restarts`,
      );
    }

    // cut off: no tunnel with n4 on either side, no ping either way
    const cutOff = async () => {
      if ((await clientRemotes(n4)).length > 0) return false;
      for (const n of running) {
        if ((await clientRemotes(n)).includes(n4Ip)) return false;
        if (await ping6(n.host.ns, n4.address)) return false;
        if (await ping6(n4.host.ns, n.address)) return false;
      }
      return true;
    };
    await waitFor(cutOff, {
      timeoutMs: 10 * HELLO * 1000,
      intervalMs: 500,
      what: "n4 to be cut off from every node",
    });
    console.log(`n4 cut off ${Date.now() - applied} ms after the revocation`);
    await converge(running, "without n4");
    const alive = tunnelsWithN4.filter((pid) => {
      try {
        return Deno.readTextFileSync(`/proc/${pid}/cmdline`).includes("openvpn");
      } catch {
        return false;
      }
    });
    assert.deepEqual(alive, [], "every OpenVPN tunnel that linked n4 is gone");

    // --- statement 33: n3 comes back from its cache and adopts the parameters it missed
    const offline = (await logOf(n3)).length;
    await n3.start();
    const n3Log = async () => (await logOf(n3)).slice(offline);
    await waitFor(async () => /network parameters changed: [^\n]*crl/.test(await n3Log()), {
      timeoutMs: 120_000,
      intervalMs: 500,
      what: "n3 to fetch the parameters it missed",
    });
    assert.doesNotMatch(await n3Log(), /asking the registry/, "started from its cache");
    assert.match(
      await n3Log(),
      /newer network version, fetching parameters[^]*network parameters changed/,
      "the version came from a peer's session, then the parameters from the registry",
    );
    await converge([registry, n1, n2, n3], "n3 back");
    // n4 stays cut off everywhere, n3 included
    for (let i = 0; i < 5; i++) {
      for (const n of [registry, n1, n2, n3]) {
        assert.equal(await ping6(n.host.ns, n4.address), false, `${n.host.name} pings n4`);
        assert.equal(await ping6(n4.host.ns, n.address), false, `n4 pings ${n.host.name}`);
      }
    }
  });
});
