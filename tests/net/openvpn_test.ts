/**
 * Real OpenVPN 2.6 tunnels between two network namespaces, driven by the node's OpenVPN shell
 * (lib/node/openvpn/): real certificates made with openssl, real servers and clients, TAP
 * interfaces, management-interface client auth, the route-up hook channel. Network from the
 * shared harness (tests/net/harness.ts): host `a` (servers; 198.18.0.1, 2001:db8::1) and host
 * `b` (clients; 198.18.0.2, 2001:db8::2) joined by one veth.
 */
import assert from "node:assert/strict";
import { canRunNetTests, type Host, type TestNet, waitFor, withNet } from "./harness.ts";
import { inNamespace, run, tryRun } from "../../lib/netns/exec.ts";
import { clientInterface, type Protocol, serverInterface } from "../../lib/node/openvpn/args.ts";
import type { ClientConnect, ClientDisconnect } from "../../lib/node/openvpn/server.ts";
import { OpenvpnShell, type TunnelEvent } from "../../lib/node/openvpn/tunnels.ts";

/** Waits (bounded) until `probe` gives a value. */
function until<T>(
  what: string,
  timeoutMs: number,
  probe: () => T | undefined | Promise<T | undefined>,
): Promise<T> {
  return waitFor(probe, { timeoutMs, what });
}

interface Pki {
  dir: string;
  dh: string;
  ca: string;
  /** Node name → certificate/key paths and serial. */
  node: Record<string, { cert: string; key: string; serial: bigint; cn: string }>;
}

/** CA (RSA-2048, serial 0x120010db80042) and node certs with CN `n/16`, subject serial n. */
async function makePki(dir: string): Promise<Pki> {
  const o = (args: string[]) => run(["openssl", ...args]);
  const dh = `${dir}/dh.pem`;
  const dhJob = o(["dhparam", "-dsaparam", "-out", dh, "2048"]);
  await o(["genrsa", "-out", `${dir}/ca.key`, "2048"]);
  await o([
    "req",
    "-x509",
    "-new",
    "-key",
    `${dir}/ca.key`,
    "-subj",
    "/CN=re6st test CA",
    "-set_serial",
    "0x120010db80042",
    "-days",
    "2",
    "-out",
    `${dir}/ca.crt`,
  ]);
  const node: Pki["node"] = {};
  for (const n of [1, 2, 3]) {
    const base = `${dir}/n${n}`;
    const serial = 0x1000n + BigInt(n);
    await o(["genrsa", "-out", `${base}.key`, "2048"]);
    await o([
      "req",
      "-new",
      "-key",
      `${base}.key`,
      "-subj",
      `/serialNumber=${n}/CN=${n}\\/16`,
      "-out",
      `${base}.csr`,
    ]);
    await o([
      "x509",
      "-req",
      "-in",
      `${base}.csr`,
      "-CA",
      `${dir}/ca.crt`,
      "-CAkey",
      `${dir}/ca.key`,
      "-set_serial",
      String(serial),
      "-days",
      "2",
      "-out",
      `${base}.crt`,
    ]);
    node[n] = { cert: `${base}.crt`, key: `${base}.key`, serial, cn: `${n}/16` };
  }
  await dhJob;
  return { dir, dh, ca: `${dir}/ca.crt`, node };
}

/** A shell plus everything it reported. */
interface Node {
  shell: OpenvpnShell;
  events: TunnelEvent[];
  connects: { c: ClientConnect; accepted: boolean }[];
  disconnects: ClientDisconnect[];
  logDir: string;
}

/** Starts an OpenVPN shell on `host` with node certificate `name`; disposed with the net. */
async function startNode(
  net: TestNet,
  pki: Pki,
  host: Host,
  name: number,
  opts: {
    encrypt?: boolean;
    timeout?: number;
    crl?: bigint[];
    extra?: string[];
    ipv4?: { address: string; netmask: string };
  } = {},
): Promise<Node> {
  const tag = `${host.name}-n${name}`;
  const logDir = `${net.logDir}/${tag}`;
  await Deno.mkdir(logDir, { recursive: true });
  const crl = new Set(opts.crl ?? []);
  const events: TunnelEvent[] = [];
  const connects: Node["connects"] = [];
  const disconnects: ClientDisconnect[] = [];
  const shell = await OpenvpnShell.start({
    runDir: `${net.tmpDir}/${tag}`,
    ca: pki.ca,
    cert: pki.node[name].cert,
    key: pki.node[name].key,
    dh: pki.dh,
    encrypt: opts.encrypt ?? false,
    timeout: opts.timeout ?? 60,
    maxClients: 10,
    extra: ["--verb", "3", ...opts.extra ?? []],
    logDir,
    ipv4: opts.ipv4,
    prefix: inNamespace(host.ns, []),
  }, {
    decide(c) {
      const accepted = !crl.has(c.serial);
      connects.push({ c, accepted });
      return accepted;
    },
    disconnected: (c) => disconnects.push(c),
    event: (e) => events.push(e),
  });
  net.onDispose(() => shell.close());
  return { shell, events, connects, disconnects, logDir };
}

/** Two hosts joined by a veth, with IPv4 and IPv6 underlay addresses. */
async function pair(net: TestNet): Promise<[Host, Host]> {
  const [a, b] = [await net.host("a"), await net.host("b")];
  const { ifA, ifB } = await net.link(a, b, { a: "198.18.0.1/24", b: "198.18.0.2/24" });
  await net.addr(a, ifA, "2001:db8::1/64");
  await net.addr(b, ifB, "2001:db8::2/64");
  return [a, b];
}

async function linkInfo(host: Host, dev: string): Promise<{ up: boolean; mtu: number }> {
  const [l] = JSON.parse(await run(["ip", "-j", "link", "show", "dev", dev], { ns: host.ns }));
  return { up: (l.flags as string[]).includes("UP"), mtu: l.mtu };
}

/** The link-local address of `dev` on `host`. */
async function linkLocal(host: Host, dev: string): Promise<string> {
  return await until(`link-local address on ${host.name}/${dev}`, 5000, async () => {
    const out = await run(["ip", "-j", "-6", "addr", "show", "dev", dev, "scope", "link"], {
      ns: host.ns,
    });
    const info: { local: string; tentative?: boolean }[] = JSON.parse(out)[0]?.addr_info ?? [];
    return info.find((a) => !a.tentative)?.local;
  });
}

/**
 * Pings `addr%dev` from `host` `count` times, one every `interval` s, optionally with a payload
 * pattern (hex); returns how many answers came back.
 */
async function ping(
  host: Host,
  addr: string,
  dev: string,
  count: number,
  interval = 0.2,
  pattern?: string,
): Promise<number> {
  const args = ["ping", "-6", "-n", "-c", `${count}`, "-i", `${interval}`, "-W", "1"];
  if (pattern) args.push("-p", pattern);
  const r = await tryRun([...args, `${addr}%${dev}`], { ns: host.ns });
  const m = / (\d+) received/.exec(r.stdout);
  if (!m) throw new Error(`ping printed no summary: ${r.stdout} ${r.stderr}`);
  return Number(m[1]);
}

function exits(n: Node, iface: string) {
  return n.events.filter((e): e is Extract<TunnelEvent, { type: "tunnel-exit" }> =>
    e.type === "tunnel-exit" && e.iface === iface
  );
}

function ups(n: Node, iface: string) {
  return n.events.filter((e): e is Extract<TunnelEvent, { type: "tunnel-up" }> =>
    e.type === "tunnel-up" && e.iface === iface
  );
}

const PROTOS = ["tcp", "udp", "udp6", "tcp6"] as const;
const PORTS: Record<Protocol, number> = { udp: 1194, udp6: 1195, tcp: 1194, tcp6: 1196 };
const SERVER_IP: Record<Protocol, string> = {
  udp: "198.18.0.1",
  udp6: "2001:db8::1",
  tcp: "198.18.0.1",
  tcp6: "2001:db8::1",
};
const tcp = { ip: "198.18.0.1", port: 1194, proto: "tcp" } as const;
const udp = { ip: "198.18.0.1", port: 1194, proto: "udp" } as const;

Deno.test({
  name: "openvpn shell: real tunnels between namespaces",
  sanitizeOps: false,
  sanitizeResources: false,
}, async (t) => {
  if (!canRunNetTests("openvpn tunnels")) return;
  const dir = await Deno.makeTempDir({ prefix: "re6st-ovpn-pki-" });
  try {
    const pki = await makePki(dir);

    await t.step(
      "statement 65: every protocol tunnels; CRL refusal; external_ip pushed",
      async () => {
        await withNet("openvpn statement 65", async (net) => {
          const [ha, hb] = await pair(net);
          const a = await startNode(net, pki, ha, 1, { crl: [pki.node[3].serial] });
          const b = await startNode(net, pki, hb, 2);
          const c = await startNode(net, pki, hb, 3);
          for (const proto of PROTOS) await a.shell.startServer(proto, PORTS[proto]);
          for (const [i, proto] of PROTOS.entries()) {
            const iface = clientInterface(i + 1);
            const remote = { ip: SERVER_IP[proto], port: PORTS[proto], proto };
            await b.shell.startClient(iface, "1/16", remote);
            const up = await until(`${proto} tunnel up`, 20000, () => ups(b, iface)[0]);
            // The client reports the server's CN and serial and the pushed external_ip.
            assert.equal(up.cn, "1/16");
            assert.equal(up.serial, pki.node[1].serial);
            assert.equal(up.externalIp, proto.endsWith("6") ? "2001:db8::2" : "198.18.0.2");
            // The server-side decision saw the client's CN, serial and real address.
            const seen = a.connects.find((x) => x.c.iface === serverInterface(proto));
            assert.ok(seen?.accepted);
            assert.equal(seen.c.cn, "2/16");
            assert.equal(seen.c.serial, pki.node[2].serial);
            assert.equal(seen.c.realIp, up.externalIp);
            // Both TAPs are up with the same MTU (1407/1425 forced on UDP, 1500 on TCP).
            const mtu = proto === "udp" ? 1407 : proto === "udp6" ? 1425 : 1500;
            assert.deepEqual(await linkInfo(hb, iface), { up: true, mtu });
            assert.deepEqual(await linkInfo(ha, serverInterface(proto)), { up: true, mtu });
            // IPv6 link-local ping crosses the tunnel.
            const ll = await linkLocal(ha, serverInterface(proto));
            assert.equal(await ping(hb, ll, iface, 3), 3);
          }

          // A revoked client is refused by the daemon's decision; its OpenVPN exits unestablished.
          await c.shell.startClient("re6stnet9", "1/16", tcp);
          const exit = await until("revoked client exit", 20000, () => exits(c, "re6stnet9")[0]);
          assert.equal(exit.established, undefined);
          assert.deepEqual(
            a.connects.filter((x) => !x.accepted).map((x) => [x.c.cn, x.c.serial]),
            [["3/16", pki.node[3].serial]],
          );
          assert.match(await Deno.readTextFile(`${c.logDir}/re6stnet9.log`), /AUTH_FAILED/);

          // Stopping a client: the daemon learns it exited established; the server reports it gone.
          await b.shell.stopClient("re6stnet1");
          const bexit = await until("client exit", 10000, () => exits(b, "re6stnet1")[0]);
          assert.equal(bexit.established?.cn, "1/16");
          const gone = await until(
            "server disconnect",
            10000,
            () => a.disconnects.find((d) => d.iface === "re6stnet-tcp"),
          );
          assert.deepEqual(
            [gone.cn, gone.serial, gone.realIp],
            ["2/16", pki.node[2].serial, "198.18.0.2"],
          );
          assert.ok(!a.disconnects.some((d) => d.cn === "3/16"), "refused client reported");
          // The TAP stays for reuse and carries a new tunnel.
          assert.equal((await linkInfo(hb, "re6stnet1")).up, true);
          await b.shell.startClient("re6stnet1", "1/16", tcp);
          await until("tunnel up again", 20000, () => ups(b, "re6stnet1")[1]);

          // The daemon can drop a served client (e.g. revoked meanwhile) without a restart.
          const server = a.shell.servers.get("re6stnet-tcp")!;
          const [cid] = [...server.clients].find(([, cl]) => cl.cn === "2/16")!;
          server.kill(cid);
          await until("killed client exits", 10000, () => exits(b, "re6stnet1")[1]);
          await until("kill reported", 10000, () => a.disconnects.find((d) => d.cid === cid));
          assert.ok(!server.clients.has(cid));

          // Closing the shells deletes their TAP interfaces.
          for (const n of [a, b, c]) await n.shell.close();
          for (const h of [ha, hb]) {
            assert.doesNotMatch(await run(["ip", "-o", "link", "show"], { ns: h.ns }), /re6stnet/);
          }
        });
      },
    );

    await t.step("statement 64: a server with another CN than expected is rejected", async () => {
      await withNet("openvpn statement 64", async (net) => {
        const [ha, hb] = await pair(net);
        const a = await startNode(net, pki, ha, 1);
        const b = await startNode(net, pki, hb, 2);
        await a.shell.startServer("tcp", 1194);
        await b.shell.startClient("re6stnet1", "3/16", tcp);
        const exit = await until("client exit", 20000, () => exits(b, "re6stnet1")[0]);
        assert.equal(exit.established, undefined);
        const log = await Deno.readTextFile(`${b.logDir}/re6stnet1.log`);
        assert.match(log, /VERIFY X509NAME ERROR: serialNumber=1, CN=1\/16, must be 3\/16/);
        assert.equal(a.connects.length, 0);
      });
    });

    await t.step("statement 66: encrypt off ⇒ cleartext data channel; on ⇒ encrypted", async () => {
      for (const encrypt of [false, true]) {
        await withNet(`openvpn statement 66 encrypt ${encrypt}`, async (net) => {
          const [ha, hb] = await pair(net);
          const a = await startNode(net, pki, ha, 1, { encrypt });
          const b = await startNode(net, pki, hb, 2, { encrypt });
          await a.shell.startServer("udp", 1194);
          await b.shell.startClient("re6stnet1", "1/16", udp);
          await until("tunnel up", 20000, () => ups(b, "re6stnet1")[0]);
          // Count underlay packets into `a` that carry the ping payload in clear.
          const magic = "re6st-clear";
          const hex = [...new TextEncoder().encode(magic)]
            .map((x) => x.toString(16).padStart(2, "0")).join("");
          const rule = ["INPUT", "-p", "udp", "-m", "string", "--string", magic, "--algo", "bm"];
          await run(["iptables", "-I", ...rule], { ns: ha.ns });
          const ll = await linkLocal(ha, "re6stnet-udp");
          assert.equal(await ping(hb, ll, "re6stnet1", 5, 0.2, hex), 5);
          const counters = await run(["iptables", "-L", "INPUT", "-v", "-x", "-n"], { ns: ha.ns });
          const row = counters.split("\n").find((l) => l.includes(magic));
          const seen = Number(row?.trim().split(/\s+/)[0]);
          const log = await Deno.readTextFile(`${b.logDir}/re6stnet1.log`);
          if (encrypt) {
            assert.equal(seen, 0);
            assert.match(log, /Data Channel: cipher 'AES-256-GCM'/);
          } else {
            assert.equal(seen, 5);
            assert.match(log, /'--cipher none' was specified/);
          }
        });
      }
    });

    await t.step("TLS renegotiation is re-authorised by the daemon (REAUTH)", async () => {
      await withNet("openvpn reauth", async (net) => {
        const [ha, hb] = await pair(net);
        const a = await startNode(net, pki, ha, 1, { extra: ["--reneg-sec", "2"] });
        const b = await startNode(net, pki, hb, 2);
        await a.shell.startServer("tcp", 1194);
        await b.shell.startClient("re6stnet1", "1/16", tcp);
        await until("tunnel up", 20000, () => ups(b, "re6stnet1")[0]);
        const reauth = await until("REAUTH", 10000, () => a.connects.find((x) => x.c.reauth));
        assert.ok(reauth.accepted);
        assert.equal(reauth.c.serial, pki.node[2].serial);
        // Packets may be lost for a moment while the new key waits for `client-auth-nt`;
        // then traffic flows again (bounded number of tries).
        const ll = await linkLocal(ha, "re6stnet-tcp");
        let back = 0;
        for (let i = 0; i < 5 && back < 3; i++) back = await ping(hb, ll, "re6stnet1", 3);
        assert.equal(back, 3);
        assert.equal(exits(b, "re6stnet1").length, 0);
        assert.equal(a.disconnects.length, 0);
      });
    });

    await t.step("--client mode: one process tries every address", async () => {
      await withNet("openvpn client mode", async (net) => {
        const [ha, hb] = await pair(net);
        const a = await startNode(net, pki, ha, 1);
        const b = await startNode(net, pki, hb, 2);
        await a.shell.startServer("tcp6", 1196);
        await b.shell.startClientMode("re6stnet1", [
          { ip: "2001:db8::1", port: 1999, proto: "tcp6" }, // nothing listens there
          { ip: "2001:db8::1", port: 1196, proto: "tcp6" },
        ]);
        const up = await until("tunnel up", 30000, () => ups(b, "re6stnet1")[0]);
        assert.equal(up.cn, "1/16");
        assert.equal(up.externalIp, "2001:db8::2");
        const ll = await linkLocal(ha, "re6stnet-tcp6");
        assert.equal(await ping(hb, ll, "re6stnet1", 3), 3);
      });
    });

    await t.step("§5.5: IPv4 payload addresses the TAPs and crosses the tunnel", async () => {
      await withNet("openvpn ipv4 payload", async (net) => {
        const [ha, hb] = await pair(net);
        const netmask = "255.255.255.0";
        const a = await startNode(net, pki, ha, 1, { ipv4: { address: "198.19.1.1", netmask } });
        const b = await startNode(net, pki, hb, 2, { ipv4: { address: "198.19.2.1", netmask } });
        await a.shell.startServer("tcp", 1194);
        await b.shell.startClient("re6stnet1", "1/16", tcp);
        await until("tunnel up", 20000, () => ups(b, "re6stnet1")[0]);
        const v4 = async (h: Host, dev: string) =>
          JSON.parse(await run(["ip", "-j", "-4", "addr", "show", "dev", dev], { ns: h.ns }))[0]
            .addr_info.map((x: { local: string; prefixlen: number }) =>
              `${x.local}/${x.prefixlen}`
            );
        assert.deepEqual(await v4(ha, "re6stnet-tcp"), ["198.19.1.1/24"]);
        assert.deepEqual(await v4(hb, "re6stnet1"), ["198.19.2.1/24"]);
        assert.deepEqual(await linkInfo(hb, "re6stnet1"), { up: true, mtu: 1500 });
        // babeld would install these routes; here they are static.
        await run(["ip", "route", "add", "198.19.1.0/24", "dev", "re6stnet1"], { ns: hb.ns });
        await run(["ip", "route", "add", "198.19.2.0/24", "dev", "re6stnet-tcp"], { ns: ha.ns });
        const r = await tryRun([
          "ping",
          "-4",
          "-n",
          "-c",
          "3",
          "-i",
          "0.2",
          "-W",
          "1",
          "198.19.1.1",
        ], {
          ns: hb.ns,
        });
        assert.match(r.stdout, / 3 received/);
      });
    });

    await t.step(
      "new settings: a server restarted on purpose, a reopened client use them",
      async () => {
        await withNet("openvpn new settings", async (net) => {
          const [ha, hb] = await pair(net);
          const a = await startNode(net, pki, ha, 1);
          const b = await startNode(net, pki, hb, 2);
          await a.shell.startServer("tcp", 1194);
          await b.shell.startClient("re6stnet1", "1/16", tcp);
          await until("tunnel up", 20000, () => ups(b, "re6stnet1")[0]);
          // (once `ip netns exec` has exec'd OpenVPN)
          const argv = (pid: number) =>
            until(`argv of ${pid}`, 5000, async () => {
              const a = (await Deno.readTextFile(`/proc/${pid}/cmdline`)).split("\0").join(" ");
              return a.startsWith("openvpn ") ? a : undefined;
            });
          const before = await argv(a.shell.servers.get("re6stnet-tcp")!.process.pid);
          assert.match(before, /--max-clients 10 /);
          assert.match(before, /--cipher none/);

          // the network parameters changed: encrypt on, hello 5 (timeout 20), max_clients 3
          const settings = { encrypt: true, timeout: 20, maxClients: 3, ipv4: undefined };
          a.shell.configure(settings);
          b.shell.configure(settings);
          await a.shell.stopServer("re6stnet-tcp");
          const exit = a.events.find((e) => e.type === "server-exit");
          assert.ok(exit?.type === "server-exit" && exit.requested, "a requested exit, no crash");
          await until("served client reported gone", 10000, () => a.disconnects[0]);
          assert.equal(a.disconnects[0].cn, "2/16");
          const fresh = await a.shell.startServer("tcp", 1194);
          const args = await argv(fresh.process.pid);
          assert.match(args, /--max-clients 3 /);
          assert.match(args, /--ping-exit 20 /);
          assert.doesNotMatch(args, /--cipher none/);
          await b.shell.stopClient("re6stnet1");
          await until("old client exit", 10000, () => exits(b, "re6stnet1")[0]);
          const client = await b.shell.startClient("re6stnet1", "1/16", tcp);
          assert.match(await argv(client.pid), /--ping-exit 20 /);
          await until("tunnel up again, encrypted", 20000, () => ups(b, "re6stnet1")[1]);
          assert.match(
            await Deno.readTextFile(`${b.logDir}/re6stnet1.log`),
            /cipher 'AES-256-GCM'/,
          );

          // a crash (SIGKILL: OpenVPN reports nothing) still reports the served client gone
          Deno.kill(fresh.process.pid, "SIGKILL");
          const crash = await until(
            "server exit",
            10000,
            () => a.events.filter((e) => e.type === "server-exit")[1],
          );
          assert.ok(crash.type === "server-exit" && !crash.requested);
          await until("client of the crashed server reported gone", 10000, () => a.disconnects[1]);
          assert.equal(a.disconnects[1].cn, "2/16");
        });
      },
    );

    await t.step("servers die with a crashed daemon (management connection lost)", async () => {
      await withNet("openvpn daemon crash", async (net) => {
        const [ha] = await pair(net);
        const driver = new URL("./openvpn_driver.ts", import.meta.url).pathname;
        const runDir = `${net.tmpDir}/driver`;
        const daemon = await net.spawn(ha, [
          Deno.execPath(),
          "run",
          "-A",
          "--no-check",
          driver,
          runDir,
          pki.ca,
          pki.node[1].cert,
          pki.node[1].key,
          pki.dh,
        ], { name: "driver" });
        const pid = await until("driver's server", 20000, async () => {
          const m = /^server (\d+)$/m.exec(await Deno.readTextFile(daemon.logFile));
          return m ? Number(m[1]) : undefined;
        });
        const alive = () => Deno.stat(`/proc/${pid}`).then(() => true, () => false);
        assert.ok(await alive());
        Deno.kill(daemon.pid, "SIGKILL");
        await until("OpenVPN server exit", 10000, async () => !(await alive()) || undefined);
        const log = await Deno.readTextFile(`${runDir}/re6stnet-tcp.log`);
        assert.match(log, /SIGTERM\[soft,management-exit\]/);
      });
    });

    await t.step("statement 67: traffic keeps a tunnel alive; silence kills it", async () => {
      await withNet("openvpn statement 67", async (net) => {
        const timeout = 3;
        const [ha, hb] = await pair(net);
        const a = await startNode(net, pki, ha, 1, { timeout });
        const b = await startNode(net, pki, hb, 2, { timeout });
        await a.shell.startServer("udp", 1194);
        await b.shell.startClient("re6stnet1", "1/16", udp);
        await until("tunnel up", 20000, () => ups(b, "re6stnet1")[0]);
        // 3 × timeout of traffic (a "hello" every 0.5 s): the tunnel must survive it.
        const ll = await linkLocal(ha, "re6stnet-udp");
        assert.equal(await ping(hb, ll, "re6stnet1", 18, 0.5), 18);
        assert.equal(exits(b, "re6stnet1").length, 0);
        const quiet = Date.now();
        const exit = await until("ping-exit", (timeout + 5) * 1000, () => exits(b, "re6stnet1")[0]);
        const after = (Date.now() - quiet) / 1000;
        assert.ok(after <= timeout + 3, `client died ${after} s after traffic stopped`);
        assert.ok(exit.established);
        const log = await Deno.readTextFile(`${b.logDir}/re6stnet1.log`);
        assert.match(log, /Inactivity timeout \(--ping-exit\)/);
        // The server drops its side of the tunnel too.
        await until("server-side ping-exit", (timeout + 5) * 1000, () => a.disconnects[0]);
      });
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
