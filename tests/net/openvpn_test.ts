/**
 * Real OpenVPN 2.6 tunnels between two network namespaces, driven by the node's OpenVPN shell
 * (lib/node/openvpn/): real certificates (openssl), real servers and clients, TAP interfaces,
 * management-interface client auth, route-up hook channel. Obeys /work/shared/TESTNET.md.
 *
 * Until the shared harness (tests/net/harness.ts) lands, a minimal private setup is used:
 * two namespaces `<prefix>a` (server node, 198.18.0.1, 2001:db8::1) and `<prefix>b`
 * (client nodes, 198.18.0.2, 2001:db8::2) joined by one veth pair.
 */
import assert from "node:assert/strict";
import { clientInterface, type Protocol, serverInterface } from "../../lib/node/openvpn/args.ts";
import type { ClientConnect, ClientDisconnect } from "../../lib/node/openvpn/server.ts";
import { OpenvpnShell, type TunnelEvent } from "../../lib/node/openvpn/tunnels.ts";

const isRoot = Deno.uid() === 0;
const FAMILY = "r6ov-";
const PREFIX = `${FAMILY}${Deno.pid}-`;
const NS_A = `${PREFIX}a`;
const NS_B = `${PREFIX}b`;
const ECHO_PORT = 7777;
const ECHO = new URL("./udp_echo.ts", import.meta.url).pathname;

async function run(argv: string[], check = true): Promise<string> {
  const out = await new Deno.Command(argv[0], { args: argv.slice(1), stdin: "null" }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (check && !out.success) {
    throw new Error(`${argv.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
  return text;
}

const inNs = (ns: string) => ["ip", "netns", "exec", ns];

/** Polls `probe` until it returns a value, or fails after `ms`. */
async function waitFor<T>(what: string, ms: number, probe: () => T | undefined): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function deleteNamespace(ns: string): Promise<void> {
  // Kill what still runs inside (by PID), then delete the namespace.
  for (const pid of (await run(["ip", "netns", "pids", ns], false)).split(/\s+/)) {
    if (/^\d+$/.test(pid)) await run(["kill", "-KILL", pid], false);
  }
  await run(["ip", "netns", "del", ns], false);
}

/** Removes namespaces left by crashed runs of this test (their creator PID is gone). */
async function cleanLeftovers(): Promise<void> {
  for (const line of (await run(["ip", "netns", "list"])).split("\n")) {
    const m = /^(r6ov-(\d+)-\S+)/.exec(line);
    if (!m) continue;
    const alive = await Deno.stat(`/proc/${m[2]}`).then(() => true, () => false);
    if (!alive || Number(m[2]) === Deno.pid) await deleteNamespace(m[1]);
  }
}

async function setupNetwork(): Promise<void> {
  for (const ns of [NS_A, NS_B]) {
    await run(["ip", "netns", "add", ns]);
    await run(["ip", "-n", ns, "link", "set", "lo", "up"]);
    await run([
      ...inNs(ns),
      "sysctl",
      "-qw",
      "net.ipv6.conf.all.forwarding=1",
      "net.ipv6.conf.default.accept_dad=0",
      "net.ipv6.conf.all.accept_dad=0",
    ]);
  }
  await run([
    "ip",
    "-n",
    NS_A,
    "link",
    "add",
    "eth0",
    "type",
    "veth",
    "peer",
    "name",
    "eth0",
    "netns",
    NS_B,
  ]);
  for (const [ns, n] of [[NS_A, 1], [NS_B, 2]] as const) {
    await run(["ip", "-n", ns, "addr", "add", `198.18.0.${n}/24`, "dev", "eth0"]);
    await run(["ip", "-n", ns, "addr", "add", `2001:db8::${n}/64`, "dev", "eth0", "nodad"]);
    await run(["ip", "-n", ns, "link", "set", "eth0", "up"]);
  }
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

async function startNode(
  pki: Pki,
  ns: string,
  name: number,
  opts: { encrypt?: boolean; timeout?: number; crl?: bigint[] } = {},
): Promise<Node> {
  const runDir = `${pki.dir}/run-${ns}-${name}-${crypto.randomUUID().slice(0, 8)}`;
  const logDir = `${runDir}/log`;
  await Deno.mkdir(logDir, { recursive: true });
  const crl = new Set(opts.crl ?? []);
  const node: Node = {
    events: [],
    connects: [],
    disconnects: [],
    logDir,
    shell: undefined as unknown as OpenvpnShell,
  };
  node.shell = await OpenvpnShell.start({
    runDir,
    ca: pki.ca,
    cert: pki.node[name].cert,
    key: pki.node[name].key,
    dh: pki.dh,
    encrypt: opts.encrypt ?? false,
    timeout: opts.timeout ?? 60,
    maxClients: 10,
    extra: ["--verb", "3"],
    logDir,
    prefix: inNs(ns),
  }, {
    decide(c) {
      const accepted = !crl.has(c.serial);
      node.connects.push({ c, accepted });
      return accepted;
    },
    disconnected(c) {
      node.disconnects.push(c);
    },
    event(e) {
      node.events.push(e);
    },
  });
  return node;
}

async function printLogs(nodes: Node[]): Promise<void> {
  for (const n of nodes) {
    for await (const f of Deno.readDir(n.logDir)) {
      console.log(`===== ${n.logDir}/${f.name}`);
      console.log(await Deno.readTextFile(`${n.logDir}/${f.name}`));
    }
  }
}

async function linkInfo(ns: string, dev: string): Promise<{ up: boolean; mtu: number }> {
  const [l] = JSON.parse(await run(["ip", "-n", ns, "-j", "link", "show", "dev", dev]));
  return { up: (l.flags as string[]).includes("UP"), mtu: l.mtu };
}

async function linkLocal(ns: string, dev: string): Promise<string> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const [l] = JSON.parse(
      await run(["ip", "-n", ns, "-j", "-6", "addr", "show", "dev", dev, "scope", "link"]),
    );
    const a = l?.addr_info?.find((a: { tentative?: boolean }) => !a.tentative);
    if (a) return a.local;
    if (Date.now() > deadline) throw new Error(`no link-local address on ${ns}/${dev}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Starts the echo server in `ns` bound to `addr%dev`. */
async function startEcho(ns: string, addr: string, dev: string): Promise<Deno.ChildProcess> {
  const p = new Deno.Command("ip", {
    args: [
      ...inNs(ns).slice(1),
      Deno.execPath(),
      "run",
      "-A",
      "--no-check",
      ECHO,
      "serve",
      `${addr}%${dev}`,
      `${ECHO_PORT}`,
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = p.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const first = await Promise.race([
    reader.read(),
    new Promise<undefined>((r) => timer = setTimeout(() => r(undefined), 15000)),
  ]);
  clearTimeout(timer);
  await reader.cancel();
  if (!first?.value?.includes("ready")) {
    await stopProcess(p);
    throw new Error("echo server did not start");
  }
  return p;
}

async function stopProcess(p: Deno.ChildProcess): Promise<void> {
  try {
    p.kill("SIGKILL");
  } catch { /* gone */ }
  await p.status;
}

/**
 * Echoes `count` datagrams (one every `ms`) from the client TAP `devB` in NS_B to the server
 * TAP `devA` in NS_A over IPv6 link-local; returns how many came back.
 */
async function echo(
  devA: string,
  devB: string,
  payload: string,
  count = 3,
  ms = 100,
): Promise<number> {
  const ll = await linkLocal(NS_A, devA);
  const server = await startEcho(NS_A, ll, devA);
  try {
    const out = await run([
      ...inNs(NS_B),
      Deno.execPath(),
      "run",
      "-A",
      "--no-check",
      ECHO,
      "ping",
      `${ll}%${devB}`,
      `${ECHO_PORT}`,
      `${count}`,
      `${ms}`,
      payload,
    ]);
    return JSON.parse(out).received;
  } finally {
    await stopProcess(server);
  }
}

/** Runs `fn` with a list of nodes it starts; closes them all (printing logs on failure). */
async function withNodes(fn: (nodes: Node[]) => Promise<void>): Promise<void> {
  const nodes: Node[] = [];
  try {
    await fn(nodes);
  } catch (e) {
    await printLogs(nodes).catch(() => {});
    throw e;
  } finally {
    for (const n of nodes) await n.shell.close().catch(() => {});
  }
}

function exitOf(n: Node, iface: string) {
  return n.events.find((e) => e.type === "tunnel-exit" && e.iface === iface) as
    | Extract<TunnelEvent, { type: "tunnel-exit" }>
    | undefined;
}

function upOf(n: Node, iface: string) {
  return n.events.find((e) => e.type === "tunnel-up" && e.iface === iface) as
    | Extract<TunnelEvent, { type: "tunnel-up" }>
    | undefined;
}

const PROTOS = ["tcp", "udp", "udp6", "tcp6"] as const;
const PORTS: Record<Protocol, number> = { udp: 1194, udp6: 1195, tcp: 1194, tcp6: 1196 };
const SERVER_IP: Record<Protocol, string> = {
  udp: "198.18.0.1",
  udp6: "2001:db8::1",
  tcp: "198.18.0.1",
  tcp6: "2001:db8::1",
};

Deno.test({
  name: "openvpn shell: real tunnels between namespaces",
  sanitizeOps: false,
  sanitizeResources: false,
}, async (t) => {
  if (!isRoot) {
    console.log("skipped: namespaced OpenVPN tests need root (CI runs them as root)");
    return;
  }
  await cleanLeftovers();
  const dir = await Deno.makeTempDir({ prefix: "re6st-ovpn-" });
  try {
    await setupNetwork();
    const pki = await makePki(dir);
    const tcp = { ip: "198.18.0.1", port: 1194, proto: "tcp" } as const;
    const udp = { ip: "198.18.0.1", port: 1194, proto: "udp" } as const;

    await t.step(
      "statement 65: every protocol tunnels; CRL refusal; external_ip pushed",
      async () => {
        await withNodes(async (nodes) => {
          const a = await startNode(pki, NS_A, 1, { crl: [pki.node[3].serial] });
          const b = await startNode(pki, NS_B, 2);
          const c = await startNode(pki, NS_B, 3);
          nodes.push(a, b, c);
          for (const proto of PROTOS) await a.shell.startServer(proto, PORTS[proto]);
          for (const [i, proto] of PROTOS.entries()) {
            const iface = clientInterface(i + 1);
            const remote = { ip: SERVER_IP[proto], port: PORTS[proto], proto };
            await b.shell.startClient(iface, "1/16", remote);
            const up = await waitFor(`${proto} tunnel up`, 20000, () => upOf(b, iface));
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
            assert.deepEqual(await linkInfo(NS_B, iface), { up: true, mtu });
            assert.deepEqual(await linkInfo(NS_A, serverInterface(proto)), { up: true, mtu });
            // IPv6 link-local traffic crosses the tunnel.
            assert.equal(await echo(serverInterface(proto), iface, `hello over ${proto}`), 3);
          }

          // A revoked client is refused by the daemon's decision; its OpenVPN exits unestablished.
          await c.shell.startClient("re6stnet9", "1/16", tcp);
          const exit = await waitFor("revoked client exit", 20000, () => exitOf(c, "re6stnet9"));
          assert.equal(exit.established, undefined);
          assert.deepEqual(
            a.connects.filter((x) => !x.accepted).map((x) => [x.c.cn, x.c.serial]),
            [["3/16", pki.node[3].serial]],
          );
          assert.match(await Deno.readTextFile(`${c.logDir}/re6stnet9.log`), /AUTH_FAILED/);

          // Stopping a client: the daemon learns it exited established; the server reports it gone.
          await b.shell.stopClient("re6stnet1");
          const bexit = await waitFor("client exit", 10000, () => exitOf(b, "re6stnet1"));
          assert.equal(bexit.established?.cn, "1/16");
          const gone = await waitFor(
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
          assert.ok(JSON.parse(await run(["ip", "-n", NS_B, "-j", "link", "show", "re6stnet1"])));
          await b.shell.startClient("re6stnet1", "1/16", tcp);
          await waitFor(
            "tunnel up again",
            20000,
            () => b.events.filter((e) => e.type === "tunnel-up" && e.iface === "re6stnet1")[1],
          );
        });
        // Closing the shells deleted their TAP interfaces.
        assert.doesNotMatch(await run(["ip", "-n", NS_B, "-o", "link", "show"]), /re6stnet/);
        assert.doesNotMatch(await run(["ip", "-n", NS_A, "-o", "link", "show"]), /re6stnet/);
      },
    );

    await t.step("statement 64: a server with another CN than expected is rejected", async () => {
      await withNodes(async (nodes) => {
        const a = await startNode(pki, NS_A, 1);
        const b = await startNode(pki, NS_B, 2);
        nodes.push(a, b);
        await a.shell.startServer("tcp", 1194);
        await b.shell.startClient("re6stnet1", "3/16", tcp);
        const exit = await waitFor("client exit", 20000, () => exitOf(b, "re6stnet1"));
        assert.equal(exit.established, undefined);
        const log = await Deno.readTextFile(`${b.logDir}/re6stnet1.log`);
        assert.match(log, /VERIFY X509NAME ERROR: serialNumber=1, CN=1\/16, must be 3\/16/);
        assert.equal(a.connects.length, 0);
      });
    });

    await t.step("statement 66: encrypt off ⇒ cleartext data channel; on ⇒ encrypted", async () => {
      for (const encrypt of [false, true]) {
        await withNodes(async (nodes) => {
          const a = await startNode(pki, NS_A, 1, { encrypt });
          const b = await startNode(pki, NS_B, 2, { encrypt });
          nodes.push(a, b);
          await a.shell.startServer("udp", 1194);
          await b.shell.startClient("re6stnet1", "1/16", udp);
          await waitFor("tunnel up", 20000, () => upOf(b, "re6stnet1"));
          // Count underlay packets that carry our payload in clear.
          const magic = `re6st-cleartext-${encrypt}`;
          const rule = [
            "INPUT",
            "-i",
            "eth0",
            "-p",
            "udp",
            "-m",
            "string",
            "--string",
            magic,
            "--algo",
            "bm",
          ];
          await run([...inNs(NS_A), "iptables", "-I", ...rule]);
          assert.equal(await echo("re6stnet-udp", "re6stnet1", magic, 5), 5);
          const counters = await run([...inNs(NS_A), "iptables", "-L", "INPUT", "-v", "-x", "-n"]);
          const row = counters.split("\n").find((l) => l.includes(magic));
          await run([...inNs(NS_A), "iptables", "-D", ...rule]);
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

    await t.step("statement 67: traffic keeps a tunnel alive; silence kills it", async () => {
      await withNodes(async (nodes) => {
        const timeout = 3;
        const a = await startNode(pki, NS_A, 1, { timeout });
        const b = await startNode(pki, NS_B, 2, { timeout });
        nodes.push(a, b);
        await a.shell.startServer("udp", 1194);
        await b.shell.startClient("re6stnet1", "1/16", udp);
        await waitFor("tunnel up", 20000, () => upOf(b, "re6stnet1"));
        // 3 × timeout of traffic (a hello every 0.5 s): the tunnel must survive it.
        assert.equal(await echo("re6stnet-udp", "re6stnet1", "hello", 18, 500), 18);
        assert.equal(exitOf(b, "re6stnet1"), undefined);
        const quiet = Date.now();
        const exit = await waitFor("ping-exit", (timeout + 5) * 1000, () => exitOf(b, "re6stnet1"));
        const after = (Date.now() - quiet) / 1000;
        assert.ok(after <= timeout + 2.5, `client died ${after} s after traffic stopped`);
        assert.ok(exit.established);
        const log = await Deno.readTextFile(`${b.logDir}/re6stnet1.log`);
        assert.match(log, /Inactivity timeout \(--ping-exit\)/);
        // The server drops its side of the tunnel too.
        await waitFor("server-side ping-exit", (timeout + 5) * 1000, () => a.disconnects[0]);
      });
    });
  } finally {
    await deleteNamespace(NS_A);
    await deleteNamespace(NS_B);
    await Deno.remove(dir, { recursive: true });
  }
});
