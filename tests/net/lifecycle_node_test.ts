/**
 * The node lifecycle wired into the real `re6st node` (registry + nodes on one switch, real
 * registry, OpenVPN 2.6, babeld 1.12):
 * - IPv4 payload (`--ipv4 198.19.0.0/16 8` on the registry): every node pings every other
 *   node's payload address across the overlay (statement 24);
 * - an HMAC key change (`updateHMAC`) gossiped to every node restarts only babeld: same daemon,
 *   same OpenVPN servers, new babeld, routing back (statements 30, 69 adapted);
 * - a certificate entering its last 30 days while the node runs is renewed from the registry
 *   and installed by atomic replacement, the node restarting itself in place (statement 18);
 * - a revocation by serial reaches the nodes, which refuse the revoked node (statement 70).
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { Overlay, type OverlayNode } from "../../lib/demo/overlay.ts";
import { tryRun } from "../../lib/netns/exec.ts";
import { loadCaSigner } from "../../lib/pki/ca.ts";
import { parseNodeCertificate } from "../../lib/pki/certificate.ts";
import { renewCertificate } from "../../lib/pki/issue.ts";
import { canRunNetTests, type Host, type TestNet, waitFor, withNet } from "./harness.ts";

const DAY = 86_400_000;

/** Registry host + `n` nodes on one switch; the registry gets `registryArgs`. */
async function network(net: TestNet, n: number, registryArgs: string[] = []) {
  const hosts: Host[] = [await net.host("registry")];
  for (let i = 1; i <= n; i++) hosts.push(await net.host(`node${i}`));
  const sw = await net.switch("lan", hosts);
  const overlay = await Overlay.create({
    dir: net.tmpDir,
    logDir: net.logDir,
    spawn: (host, argv, opts) => net.spawn(host as Host, argv, opts),
    hello: 4,
    clientCount: 2,
    tunnelRefresh: 100,
    registryArgs,
  });
  const ip = (h: Host) => sw.members.get(h)!.ip;
  const registry = await overlay.startRegistry(hosts[0], ip(hosts[0]));
  await registry.start();
  const others = await Promise.all(hosts.slice(1).map((h) => overlay.addNode(h, [ip(h)])));
  return { overlay, registry, others, hosts };
}

/** Descendant processes of `pid` (reads /proc; nothing is signalled). */
async function descendants(pid: number): Promise<Array<{ pid: number; comm: string }>> {
  const parent = new Map<number, { ppid: number; comm: string }>();
  for await (const e of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const stat = await Deno.readTextFile(`/proc/${e.name}/stat`);
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      parent.set(Number(e.name), { ppid, comm });
    } catch { /* exited meanwhile */ }
  }
  const out: Array<{ pid: number; comm: string }> = [];
  const walk = (p: number) => {
    for (const [child, info] of parent) {
      if (info.ppid === p) {
        out.push({ pid: child, comm: info.comm });
        walk(child);
      }
    }
  };
  walk(pid);
  return out;
}

async function pidsOf(node: OverlayNode, comm: string): Promise<number[]> {
  return (await descendants(node.proc!.pid)).filter((d) => d.comm === comm).map((d) => d.pid)
    .sort();
}

function pairs<T>(xs: T[]): Array<[T, T]> {
  return xs.flatMap((a) => xs.filter((b) => b !== a).map((b) => [a, b] as [T, T]));
}

Deno.test("statement 24 (wired): IPv4 payload pings across the overlay", async () => {
  if (!canRunNetTests("lifecycle ipv4 node")) return;
  await withNet("lifecycle ipv4 node", async (net) => {
    const { registry, others } = await network(net, 2, ["--ipv4", "198.19.0.0/16", "8"]);
    await Promise.all(others.map((n) => n.start()));
    const nodes = [registry, ...others];
    const targets = nodes.map((n) => ({ host: n.host as Host, address: n.address }));
    const cold = await net.allPairsPing6(targets, 90_000);
    assert.ok(cold.complete, "all pairs ping6");

    // IPv4 payload: node with subject serial s has 198.19.s.1
    const v4 = async (n: OverlayNode) =>
      `198.19.${
        parseNodeCertificate(await Deno.readTextFile(`${n.dir}/cert.crt`)).subjectSerial
      }.1`;
    const addrs = await Promise.all(nodes.map(v4));
    assert.equal(new Set(addrs).size, nodes.length);
    for (const [a, b] of pairs(nodes.map((_, i) => i))) {
      await waitFor(() => net.ping(nodes[a].host as Host, addrs[b]), {
        timeoutMs: 60_000,
        what: `${nodes[a].host.name} pings ${addrs[b]} (IPv4 payload)`,
      });
    }
  });
});

Deno.test("statement 69 (wired, adapted): an HMAC change restarts only babeld on every node", async () => {
  if (!canRunNetTests("lifecycle hmac node")) return;
  await withNet("lifecycle hmac node", async (net) => {
    const { registry, others } = await network(net, 2);
    await Promise.all(others.map((n) => n.start()));
    const nodes = [registry, ...others];
    const targets = nodes.map((n) => ({ host: n.host as Host, address: n.address }));
    assert.ok((await net.allPairsPing6(targets, 90_000)).complete, "all pairs ping6");
    const before = await Promise.all(nodes.map(async (n) => ({
      babeld: await pidsOf(n, "babeld"),
      openvpn: await pidsOf(n, "openvpn"),
    })));
    for (const b of before) assert.equal(b.babeld.length, 1);
    const r = await tryRun([
      "curl",
      "-sS",
      "-o",
      "/dev/null",
      "-w",
      "%{http_code}",
      "http://127.0.0.1/updateHMAC",
    ], {
      ns: registry.host.ns,
    });
    assert.equal(r.stdout, "204", r.stderr);
    await waitFor(async () => {
      for (const [i, n] of nodes.entries()) {
        const now = await pidsOf(n, "babeld");
        if (now.length !== 1 || now[0] === before[i].babeld[0]) return false;
      }
      return true;
      // (a peer without a session learns the version at its next hello, ≤ 60 s apart)
    }, { timeoutMs: 150_000, intervalMs: 500, what: "every node restarts its babeld" });
    for (const [i, n] of nodes.entries()) {
      assert.equal(n.proc!.exit, undefined, `${n.host.name}: the daemon keeps running`);
      const servers = await pidsOf(n, "openvpn");
      assert.ok(
        before[i].openvpn.filter((p) => servers.includes(p)).length >= 1,
        `${n.host.name}: OpenVPN processes survive`,
      );
      const log = await Deno.readTextFile(`${n.logDir}/re6stnet.log`);
      assert.match(log, /restarting babeld in 1 s/);
      assert.doesNotMatch(log, /restarting in .* to apply the new parameters/);
    }
    const again = await net.allPairsPing6(targets, 90_000);
    assert.ok(again.complete, "all pairs ping6 after the babeld restarts");
  });
});

Deno.test("lifecycle wired: a certificate entering its last 30 days is renewed while running", async () => {
  if (!canRunNetTests("lifecycle renewal node")) return;
  await withNet("lifecycle renewal node", async (net) => {
    const { overlay, registry, others } = await network(net, 1);
    const node = others[0];
    // the registry and the node hold a certificate whose renewal date comes in 20 s
    const caDir = `${net.tmpDir}/ca`;
    const signer = loadCaSigner(
      await Deno.readTextFile(`${caDir}/ca.crt`),
      await Deno.readTextFile(`${caDir}/ca.key`),
    );
    const issued = parseNodeCertificate(await Deno.readTextFile(`${node.dir}/cert.crt`));
    const now = Math.floor(Date.now() / 1000) * 1000;
    const notAfter = new Date(now + 30 * DAY + 20_000);
    const short = renewCertificate(signer, issued, {
      serial: 900n,
      notBefore: new Date(now - DAY),
      notAfter,
    });
    const db = new DatabaseSync(`${caDir}/registry.db`);
    db.prepare("UPDATE cert SET cert = ?, serial = ?, not_after = ? WHERE prefix = ?").run(
      short.pem,
      "900",
      // the registry's clock a few seconds ahead: at the node's renewal date it agrees it is due
      notAfter.getTime() / 1000 - 5,
      issued.prefix,
    );
    db.close();
    await Deno.writeTextFile(`${node.dir}/cert.crt`, short.pem);
    await Deno.chmod(`${node.dir}/cert.crt`, 0o640);
    await node.start();
    const targets = [registry, node].map((n) => ({ host: n.host as Host, address: n.address }));
    assert.ok(
      (await net.allPairsPing6(targets, 90_000)).complete,
      "ping6 with the old certificate",
    );

    const renewed = await waitFor(async () => {
      const c = parseNodeCertificate(await Deno.readTextFile(`${node.dir}/cert.crt`));
      return c.serial !== 900n ? c : undefined;
    }, { timeoutMs: 60_000, what: "the running node renews its certificate" });
    assert.equal(renewed.cn, issued.cn);
    assert.ok(renewed.notAfter.getTime() > Date.now() + 360 * DAY, "fresh 365-day certificate");
    assert.equal((await Deno.stat(`${node.dir}/cert.crt`)).mode! & 0o777, 0o640);
    await waitFor(
      async () => /restarting$/m.test(await Deno.readTextFile(`${node.logDir}/re6stnet.log`)),
      {
        timeoutMs: 10_000,
        what: "the node restarts itself in place",
      },
    );
    assert.equal(node.proc!.exit, undefined, "same process");
    assert.ok(
      (await net.allPairsPing6(targets, 90_000)).complete,
      "ping6 with the new certificate",
    );
    void overlay;
  });
});

Deno.test("statement 70 (namespaced): after a revocation by serial the others drop the node", async () => {
  if (!canRunNetTests("lifecycle revoke node")) return;
  await withNet("lifecycle revoke node", async (net) => {
    const { registry, others } = await network(net, 2);
    await Promise.all(others.map((n) => n.start()));
    const nodes = [registry, ...others];
    const targets = nodes.map((n) => ({ host: n.host as Host, address: n.address }));
    assert.ok((await net.allPairsPing6(targets, 90_000)).complete, "all pairs ping6");
    const [victim, kept] = others;
    const old = parseNodeCertificate(await Deno.readTextFile(`${victim.dir}/cert.crt`));
    const r = await tryRun([
      "curl",
      "-sS",
      "-o",
      "/dev/null",
      "-w",
      "%{http_code}",
      `http://127.0.0.1/revoke?cn_or_serial=${old.serial}`,
    ], { ns: registry.host.ns });
    assert.equal(r.stdout, "204", r.stderr);
    // the registry node served the revoked client: it disconnects it from its OpenVPN server
    // without restarting anything; the CRL reaches the other node by gossip
    const refused = `refusing ${old.prefix}: certificate ${old.serial} is revoked`;
    await waitFor(async () => {
      for (const n of [registry, kept]) {
        const log = await Deno.readTextFile(`${n.logDir}/re6stnet.log`);
        if (!/network parameters changed: crl/.test(log)) return false;
      }
      return (await Deno.readTextFile(`${registry.logDir}/re6stnet.log`)).includes(refused);
    }, { timeoutMs: 150_000, intervalMs: 500, what: "the CRL applied, the revoked node refused" });
    const registryLog = await Deno.readTextFile(`${registry.logDir}/re6stnet.log`);
    assert.match(registryLog, /disconnecting revoked clients/);
    assert.doesNotMatch(registryLog, /node: restarting/, "no restart of the daemon");
    const rest = [registry, kept].map((n) => ({ host: n.host as Host, address: n.address }));
    assert.ok((await net.allPairsPing6(rest, 120_000)).complete, "the others still route");
  });
});
