/**
 * The node lifecycle wired into the real `re6st node` (registry + nodes on one switch, real
 * registry, OpenVPN 2.6, babeld 1.12):
 * - IPv4 payload (`--ipv4 198.19.0.0/16 8` on the registry): every node pings every other
 *   node's payload address across the overlay (statement 24);
 * - an HMAC key change (`updateHMAC`) gossiped to every node restarts only babeld: same daemon,
 *   same OpenVPN servers, new babeld, routing back (statements 30, 69 adapted);
 * - a certificate entering its last 30 days while the node runs is renewed from the registry
 *   and installed by atomic replacement, the node restarting itself in place (statement 18);
 * - a revocation by serial reaches the nodes, which refuse the revoked node (statement 70);
 * - registry parameter changes on a running network restart only the children they concern:
 *   `tunnel_refresh` nothing, `encrypt` + `max_clients` the OpenVPN servers and client tunnels,
 *   `hello` babeld too, the IPv4 payload all of them plus the kernel state — the daemons never
 *   re-initialise, the new settings are on the children's command lines, and all nodes ping each
 *   other again (IPv4 payload too).
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import type { OverlayNode } from "../../lib/demo/overlay.ts";
import { tryRun } from "../../lib/netns/exec.ts";
import { loadCaSigner } from "../../lib/pki/ca.ts";
import { parseNodeCertificate } from "../../lib/pki/certificate.ts";
import { renewCertificate } from "../../lib/pki/issue.ts";
import { controlSocketPath } from "../../lib/node/control/socket_path.ts";
import type { StatusDocument } from "../../lib/node/control/document.ts";
import { NodeQueryError, parseStatusDocument, queryNode } from "../../lib/status/client.ts";
import {
  canRunNetTests,
  type Host,
  revokeOnRegistry,
  type TestNet,
  waitFor,
  withNet,
} from "./harness.ts";
import { testOverlay } from "./test_overlay.ts";

const DAY = 86_400_000;

/** Registry host + `n` nodes on one switch; the registry gets `registryArgs`. */
async function network(net: TestNet, n: number, registryArgs: string[] = []) {
  const hosts: Host[] = [await net.host("registry")];
  for (let i = 1; i <= n; i++) hosts.push(await net.host(`node${i}`));
  const sw = await net.switch("lan", hosts);
  const overlay = await testOverlay(net, { registryArgs });
  const ip = (h: Host) => sw.members.get(h)!.ip;
  const registry = await overlay.startRegistry(hosts[0], ip(hosts[0]));
  await registry.start();
  const others = await Promise.all(hosts.slice(1).map((h) => overlay.addNode(h, [ip(h)])));
  return { overlay, registry, others, hosts };
}

/** A process's command line, once `ip netns exec` has exec'd the program (else undefined). */
async function argvOf(pid: number): Promise<string | undefined> {
  try {
    const argv = (await Deno.readTextFile(`/proc/${pid}/cmdline`)).split("\0");
    return argv[0] === "ip" ? undefined : argv.join(" ");
  } catch {
    return undefined; // exited meanwhile
  }
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
      assert.match(log, /in 1 s, keeping the daemon: restarting babeld \(babel_hmac/);
      assert.doesNotMatch(log, /restarting the whole node/);
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
    const r = await revokeOnRegistry(registry.host.ns, old.serial);
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

/** What shows whether a node's daemon and children were restarted. */
interface Snapshot {
  daemon: number;
  /** seconds since the daemon (this life of it) started */
  uptime: number;
  hello: number;
  babeld: number[];
  /** babeld's PID and unexpected restarts as the daemon reports them */
  babel: { pid: number | null; restarts: number };
  /** OpenVPN server PID → command line */
  servers: Map<number, string>;
  /** client tunnel PID → command line */
  clients: Map<number, string>;
}

/** The node's status document (retried: it waits up to 5 s for babeld, which may be busy). */
function statusOf(n: OverlayNode): Promise<StatusDocument> {
  return waitFor(async () => {
    try {
      return parseStatusDocument(await queryNode(controlSocketPath(`${n.dir}/run`), "/status"));
    } catch (e) {
      if (e instanceof NodeQueryError) return undefined;
      throw e;
    }
  }, { timeoutMs: 30_000, intervalMs: 500, what: `${n.host.name} answers /status` });
}

/**
 * Babel has settled: every node identifies each of its babel neighbours (version gossip goes to
 * identified neighbours only, once per change; right after babeld restarts, a neighbour whose
 * own route is not installed yet is not identified).
 */
async function settled(nodes: OverlayNode[]): Promise<void> {
  await waitFor(async () => {
    for (const n of nodes) {
      const b = (await statusOf(n)).babel;
      if (b.neighbours.length === 0 || b.neighbours.some((x) => x.peer === null)) return false;
    }
    return true;
  }, { timeoutMs: 120_000, intervalMs: 1000, what: "every babel neighbour identified" });
}

async function snapshot(n: OverlayNode): Promise<Snapshot> {
  const doc = await statusOf(n);
  const servers = new Map<number, string>();
  const clients = new Map<number, string>();
  for (const pid of await pidsOf(n, "openvpn")) {
    const argv = await argvOf(pid);
    if (argv?.includes("--mode server")) servers.set(pid, argv);
    else if (argv?.includes("--client")) clients.set(pid, argv);
  }
  return {
    daemon: n.proc!.pid,
    uptime: doc.node.uptime,
    hello: doc.parameters.hello,
    babeld: await pidsOf(n, "babeld"),
    babel: { pid: doc.babel.pid, restarts: doc.babel.restarts },
    servers,
    clients,
  };
}

/** Client tunnels of the whole network. */
const tunnelsOf = (ss: Snapshot[]) => ss.reduce((sum, s) => sum + s.clients.size, 0);

const same = <T>(a: Iterable<T>, b: Iterable<T>) =>
  JSON.stringify([...a].sort()) === JSON.stringify([...b].sort());

Deno.test("lifecycle wired: parameter changes restart only the children they concern, never the daemon", async () => {
  if (!canRunNetTests("lifecycle params node")) return;
  await withNet("lifecycle params node", async (net) => {
    const { overlay, registry, others } = await network(net, 2);
    await Promise.all(others.map((n) => n.start()));
    const nodes = [registry, ...others];
    const targets = nodes.map((n) => ({ host: n.host as Host, address: n.address }));
    assert.ok((await net.allPairsPing6(targets, 90_000)).complete, "all pairs ping6");
    const logOf = (n: OverlayNode) => Deno.readTextFile(`${n.logDir}/re6stnet.log`);
    const first = await Promise.all(nodes.map(snapshot));
    assert.ok(tunnelsOf(first) > 0, "client tunnels");
    for (const s of first) {
      assert.equal(s.babeld.length, 1);
      assert.ok(s.servers.size >= 1, "OpenVPN servers running");
      assert.match([...s.servers.values()][0], /--max-clients 4 /);
      assert.match([...s.servers.values()][0], /--cipher none/);
    }

    /** The same daemon, never re-initialised, its uptime still growing. */
    const sameDaemon = async (before: Snapshot[]) => {
      const now = await Promise.all(nodes.map(snapshot));
      for (const [i, n] of nodes.entries()) {
        assert.equal(n.proc!.exit, undefined, `${n.host.name}: the daemon runs`);
        assert.equal(now[i].daemon, before[i].daemon);
        assert.ok(now[i].uptime >= before[i].uptime, `${n.host.name}: uptime continues`);
        const log = await logOf(n);
        assert.equal(log.match(/ node: starting node /g)?.length, 1, `${n.host.name}: one start`);
        assert.doesNotMatch(log, / node: restarting$/m);
        assert.doesNotMatch(log, /restarting the whole node/);
      }
      return now;
    };

    // 1. tunnel_refresh: the tunnel manager takes it live, nothing restarts
    await settled(nodes);
    await overlay.restartRegistry({ tunnelRefresh: 60 });
    await waitFor(async () => {
      for (const n of nodes) {
        if (!/tunnel settings applied live \(tunnel_refresh\)/.test(await logOf(n))) return false;
      }
      return true;
    }, { timeoutMs: 150_000, intervalMs: 500, what: "every node applies tunnel_refresh live" });
    const second = await sameDaemon(first);
    for (const [i, n] of nodes.entries()) {
      assert.doesNotMatch(await logOf(n), /keeping the daemon/, `${n.host.name}: no restart`);
      assert.deepEqual(second[i].babeld, first[i].babeld, `${n.host.name}: same babeld`);
      assert.ok(same(second[i].servers.keys(), first[i].servers.keys()), "same OpenVPN servers");
    }

    // 2. encrypt and max_clients: new OpenVPN servers and client tunnels, the same babeld
    await settled(nodes);
    await overlay.restartRegistry({ maxClients: 5, registryArgs: ["--encrypt"] });
    const third = await waitFor(async () => {
      const now = await Promise.all(nodes.map(snapshot));
      for (const s of now) {
        const argv = [...s.servers.values()];
        if (argv.length === 0 || argv.some((a) => !/--max-clients 5 /.test(a))) return undefined;
      }
      return now;
    }, { timeoutMs: 150_000, intervalMs: 500, what: "every node restarts its OpenVPN servers" });
    await sameDaemon(second);
    for (const [i, n] of nodes.entries()) {
      const log = await logOf(n);
      assert.match(
        log,
        /restarting the OpenVPN servers \((encrypt, max_clients|max_clients, encrypt)\)/,
      );
      assert.match(log, /closing the client tunnels \(encrypt\)/);
      assert.deepEqual(third[i].babeld, first[i].babeld, `${n.host.name}: babeld untouched`);
      for (const pid of third[i].servers.keys()) assert.ok(!second[i].servers.has(pid));
      for (const argv of third[i].servers.values()) assert.doesNotMatch(argv, /--cipher none/);
      assert.equal(third[i].servers.size, first[i].servers.size, "every server is back");
    }
    // the tunnels come back (as many client tunnels as before), encrypted
    await waitFor(async () => {
      const now = await Promise.all(nodes.map(snapshot));
      const argv = now.flatMap((s) => [...s.clients.values()]);
      return tunnelsOf(now) >= tunnelsOf(first) && argv.every((a) => !a.includes("--cipher none"));
    }, { timeoutMs: 60_000, intervalMs: 500, what: "encrypted client tunnels reopened" });
    assert.ok((await net.allPairsPing6(targets, 120_000)).complete, "all pairs ping6, encrypted");

    // 3. hello: babeld, OpenVPN servers and client tunnels restarted with the new interval
    const fourth = await Promise.all(nodes.map(snapshot));
    await settled(nodes);
    await overlay.restartRegistry({ hello: 5 });
    const fifth = await waitFor(async () => {
      const now = await Promise.all(nodes.map(snapshot));
      for (const [i, s] of now.entries()) {
        if (s.babeld.length !== 1 || s.babeld[0] === fourth[i].babeld[0]) return undefined;
        if (s.babel.pid !== s.babeld[0]) return undefined; // the daemon has connected to it
        if ([...s.servers.values()].some((a) => !/--ping-exit 20 /.test(a))) return undefined;
      }
      return now;
    }, { timeoutMs: 150_000, intervalMs: 500, what: "every node restarts babeld and OpenVPN" });
    await sameDaemon(fourth);
    for (const [i, n] of nodes.entries()) {
      assert.equal(fifth[i].hello, 5);
      assert.equal(fifth[i].babel.restarts, 0, "restarted on purpose: no crash restart counted");
      assert.match((await argvOf(fifth[i].babeld[0]))!, /^(\S*\/)?babeld -h 5 -H 5 /);
      for (const pid of fifth[i].servers.keys()) assert.ok(!fourth[i].servers.has(pid));
      assert.match(await logOf(n), /restarting babeld \(hello\)/);
    }
    await waitFor(async () => {
      const now = await Promise.all(nodes.map(snapshot));
      const argv = now.flatMap((s) => [...s.clients.values()]);
      return tunnelsOf(now) >= tunnelsOf(first) && argv.every((a) => a.includes("--ping-exit 20 "));
    }, { timeoutMs: 60_000, intervalMs: 500, what: "client tunnels reopened with hello 5" });
    assert.ok((await net.allPairsPing6(targets, 120_000)).complete, "all pairs ping6, hello 5");

    // 4. IPv4 payload turned on: kernel state applied, babeld and OpenVPN restarted with it
    await settled(nodes);
    await overlay.restartRegistry({ registryArgs: ["--encrypt", "--ipv4", "198.19.0.0/16", "8"] });
    await waitFor(async () => {
      for (const n of nodes) {
        if (!/re-applying the IPv4 payload \(ipv4/.test(await logOf(n))) return false;
      }
      return true;
    }, { timeoutMs: 150_000, intervalMs: 500, what: "every node applies the IPv4 payload" });
    const v4 = await Promise.all(nodes.map(async (n) => {
      const cert = parseNodeCertificate(await Deno.readTextFile(`${n.dir}/cert.crt`));
      return `198.19.${cert.subjectSerial}.1`;
    }));
    for (const [a, b] of pairs(nodes.map((_, i) => i))) {
      await waitFor(() => net.ping(nodes[a].host as Host, v4[b]), {
        timeoutMs: 90_000,
        what: `${nodes[a].host.name} pings ${v4[b]} (IPv4 payload)`,
      });
    }
    const again = await net.allPairsPing6(targets, 120_000);
    assert.ok(again.complete, "all pairs ping6 after the changes");
    await sameDaemon(fifth);
  });
});
