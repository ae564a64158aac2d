/**
 * Test-facing layer over `lib/netns`: a closed test network of namespaces (hosts, veth links,
 * switches, routers, NAT gateways with real miniupnpd), processes started by known PID with
 * their logs in one directory per test, bounded waits, and tear-down in `finally`.
 * Rules: ../../../shared/TESTNET.md (addresses 198.18.0.0/16 underlay, 2001:db8::/32 overlay,
 * no link to the root namespace, no route out).
 */
import { run, tryRun } from "../../lib/netns/exec.ts";
import {
  addAddress,
  addBridge,
  addRoute,
  addVeth,
  attachToBridge,
  cleanLeftovers,
  createNamespace,
  deleteNamespace,
  runPrefix,
  setSysctls,
} from "../../lib/netns/netns.ts";
import { miniupnpdConfig, miniupnpdRuleset, STUN_PORT } from "../../lib/netns/miniupnpd.ts";
import { type Proc, spawnLogged, stopProcess } from "../../lib/netns/process.ts";
import { waitFor, type WaitOptions } from "../../lib/netns/wait.ts";

export { waitFor };
export type { Proc, WaitOptions };

/** Namespace-name family of test runs: `r6t-<pid>-<rand>-<name>`. */
export const FAMILY = "r6t-";

const REPO = new URL("../../", import.meta.url).pathname;
const STUN_RESPONDER = `${REPO}lib/netns/stun_responder.ts`;

/**
 * True when namespaced tests can run (root). Otherwise prints why and returns false; the
 * test then returns early (CI runs as root, so there the tests always run).
 */
export function canRunNetTests(test: string): boolean {
  if (Deno.uid() === 0) return true;
  console.log(`${test}: not root, namespaced network test not run (CI runs it as root)`);
  return false;
}

/** One machine: a namespace with its interfaces and IPv4 addresses. */
export interface Host {
  name: string;
  ns: string;
  /** interface name → IPv4 addresses (CIDR) */
  addrs: Map<string, string[]>;
  nextIf: number;
}

/** A bridge in its own namespace, with one /24 of 198.18.0.0/16. */
export interface Switch {
  name: string;
  ns: string;
  /** `198.18.N.0/24` */
  cidr: string;
  /** member → its interface on this switch and IPv4 address (no prefix length) */
  members: Map<Host, { ifname: string; ip: string }>;
  nextPort: number;
}

/** A NAT gateway set up by `nat`. */
export interface Nat {
  gw: Host;
  /** gateway's address on the outside switch (what masqueraded packets carry) */
  publicIp: string;
  miniupnpd?: Proc;
}

/** Reachability found by `allPairsPing6`. */
export interface PingMatrix {
  /** reached[i][j]: host i reached address j (diagonal true) */
  reached: boolean[][];
  /** true when every pair reached each other before the deadline */
  complete: boolean;
  /** milliseconds from start until the last pair succeeded (or the deadline) */
  ms: number;
}

const live = new Set<TestNet>();
const SIGNALS = ["SIGINT", "SIGTERM"] as const;

/** On Ctrl-C / SIGTERM: tear down every live network, then exit. */
async function onSignal(): Promise<void> {
  for (const net of live) await net.dispose();
  Deno.exit(130);
}

function track(net: TestNet): void {
  if (live.size === 0) { for (const s of SIGNALS) Deno.addSignalListener(s, onSignal); }
  live.add(net);
}

function untrack(net: TestNet): void {
  if (!live.delete(net)) return;
  if (live.size === 0) { for (const s of SIGNALS) Deno.removeSignalListener(s, onSignal); }
}

/** True when something in `host` listens on UDP `port` (`ss`). */
async function udpListening(host: Host, port: number): Promise<boolean> {
  const r = await tryRun(["ss", "-Hlun", `sport = :${port}`], { ns: host.ns });
  return r.stdout.trim() !== "";
}

/** A closed test network. Create with `TestNet.create` (or `withNet`), always `dispose`. */
export class TestNet {
  readonly prefix: string;
  readonly logDir: string;
  readonly tmpDir: string;
  private namespaces: string[] = [];
  private procs: Proc[] = [];
  private cleanups: (() => Promise<unknown>)[] = [];
  private switchCount = 0;
  private stunServers = new Map<Switch, string>();
  private disposed = false;

  private constructor(prefix: string, logDir: string, tmpDir: string) {
    this.prefix = prefix;
    this.logDir = logDir;
    this.tmpDir = tmpDir;
  }

  /** Cleans leftovers of dead runs, then prepares an empty network for test `name`. */
  static async create(name: string): Promise<TestNet> {
    await cleanLeftovers(FAMILY);
    const prefix = runPrefix(FAMILY);
    const slug = name.replace(/[^A-Za-z0-9_.-]+/g, "_").slice(0, 60);
    const logDir = `${REPO}.test-logs/${slug}-${prefix.slice(0, -1)}`;
    await Deno.mkdir(logDir, { recursive: true });
    const tmpDir = await Deno.makeTempDir({ prefix: prefix });
    const net = new TestNet(prefix, logDir, tmpDir);
    track(net);
    return net;
  }

  /** Namespace with lo up, IPv6 forwarding on, no DAD, no RA, no rp_filter. */
  async host(name: string): Promise<Host> {
    const ns = this.prefix + name;
    this.namespaces.push(ns);
    await createNamespace(ns);
    return { name, ns, addrs: new Map(), nextIf: 0 };
  }

  /** Veth between two hosts (`ethN` on each side); optional IPv4 addresses. */
  async link(
    a: Host,
    b: Host,
    cidrs: { a?: string; b?: string } = {},
  ): Promise<{ ifA: string; ifB: string }> {
    const ifA = `eth${a.nextIf++}`, ifB = `eth${b.nextIf++}`;
    await addVeth(a.ns, ifA, b.ns, ifB);
    if (cidrs.a) await this.addr(a, ifA, cidrs.a);
    if (cidrs.b) await this.addr(b, ifB, cidrs.b);
    return { ifA, ifB };
  }

  /**
   * Bridge in namespace `<prefix>sw-<name>` with the next free `198.18.N.0/24`; every member
   * is joined in order (addresses .1, .2, …).
   */
  async switch(name: string, members: Host[] = []): Promise<Switch> {
    const ns = `${this.prefix}sw-${name}`;
    this.namespaces.push(ns);
    await createNamespace(ns, {});
    await addBridge(ns, "br0");
    const n = ++this.switchCount;
    if (n > 255) throw new Error("too many switches for 198.18.0.0/16");
    const sw: Switch = { name, ns, cidr: `198.18.${n}.0/24`, members: new Map(), nextPort: 0 };
    for (const m of members) await this.join(sw, m);
    return sw;
  }

  /** Connects `host` to switch `sw` and gives it the next address of the switch's /24. */
  async join(sw: Switch, host: Host): Promise<{ ifname: string; ip: string }> {
    const ifname = `eth${host.nextIf++}`, port = `p${sw.nextPort++}`;
    await addVeth(host.ns, ifname, sw.ns, port);
    await attachToBridge(sw.ns, port, "br0");
    const ip = sw.cidr.replace(/0\/24$/, `${sw.members.size + 1}`);
    await this.addr(host, ifname, `${ip}/24`);
    const member = { ifname, ip };
    sw.members.set(host, member);
    return member;
  }

  /** Adds an address to an interface of `host`. */
  async addr(host: Host, ifname: string, cidr: string): Promise<void> {
    await addAddress(host.ns, ifname, cidr);
    if (!cidr.includes(":")) host.addrs.set(ifname, [...(host.addrs.get(ifname) ?? []), cidr]);
  }

  /** Adds a route on `host` (`dst` CIDR or `default`). */
  async route(host: Host, dst: string, via: string): Promise<void> {
    await addRoute(host.ns, dst, via);
  }

  /**
   * A host joined to every switch in `switches`, forwarding IPv4 between them; every other
   * current member of each switch gets routes to the other switches' /24 via the router.
   */
  async router(name: string, switches: Switch[]): Promise<Host> {
    const r = await this.host(name);
    await setSysctls(r.ns, { "net.ipv4.ip_forward": "1" });
    for (const sw of switches) await this.join(sw, r);
    for (const sw of switches) {
      const via = sw.members.get(r)!.ip;
      for (const [m] of sw.members) {
        if (m === r) continue;
        for (const other of switches) if (other !== sw) await this.route(m, other.cidr, via);
      }
    }
    return r;
  }

  /**
   * Makes `gw` (a member of both switches) a NAT gateway: IPv4 forwarding, iptables
   * MASQUERADE out of its `outside` interface, default route of every other `inside` member
   * via it. With `upnp`, a real miniupnpd runs on it (ext = outside interface, listening on the
   * inside one, ports 1024-65535 mappable from the inside /24 only), its port forwarding
   * enabled by the outside switch's STUN server (`stunServer`).
   */
  async nat(
    gw: Host,
    inside: Switch,
    outside: Switch,
    opts: { upnp?: boolean } = {},
  ): Promise<Nat> {
    const inM = inside.members.get(gw), outM = outside.members.get(gw);
    if (!inM || !outM) {
      throw new Error(`nat: ${gw.name} must be on ${inside.name} and ${outside.name}`);
    }
    await setSysctls(gw.ns, { "net.ipv4.ip_forward": "1" });
    await run(
      ["iptables", "-w", "-t", "nat", "-A", "POSTROUTING", "-o", outM.ifname, "-j", "MASQUERADE"],
      { ns: gw.ns },
    );
    for (const [m] of inside.members) if (m !== gw) await this.route(m, "default", inM.ip);
    const result: Nat = { gw, publicIp: outM.ip };
    if (opts.upnp) {
      await run(["nft", "-f", "-"], { ns: gw.ns, stdin: miniupnpdRuleset() });
      const stunHost = await this.stunServer(outside);
      // resolve ARP first, else miniupnpd's first STUN round is lost (3 s more)
      await this.ping(gw, stunHost);
      const dir = await Deno.makeTempDir({ dir: this.tmpDir, prefix: `upnp-${gw.name}-` });
      const conf = `${dir}/miniupnpd.conf`;
      await Deno.writeTextFile(
        conf,
        miniupnpdConfig({
          extIfname: outM.ifname,
          listenIfname: inM.ifname,
          insideCidr: inside.cidr,
          leaseFile: `${dir}/leases`,
          uuid: crypto.randomUUID(),
          stunHost,
        }),
      );
      result.miniupnpd = await this.spawn(gw, ["miniupnpd", "-d", "-f", conf, "-P", `${dir}/pid`], {
        name: "miniupnpd",
      });
      await waitFor(async () => await udpListening(gw, 1900), {
        timeoutMs: 10_000,
        what: `miniupnpd on ${gw.name} to listen on SSDP`,
      });
    }
    return result;
  }

  /**
   * The STUN server of switch `sw` (started on first use): `stun_responder.ts` in the
   * switch's namespace on `198.18.N.254`, added to its bridge. Returns that address.
   */
  async stunServer(sw: Switch): Promise<string> {
    const known = this.stunServers.get(sw);
    if (known) return known;
    const ip = sw.cidr.replace(/0\/24$/, "254");
    await addAddress(sw.ns, "br0", `${ip}/24`);
    const proc = await spawnLogged(
      [Deno.execPath(), "run", "-A", STUN_RESPONDER, ip, String(STUN_PORT)],
      { name: `sw-${sw.name}/stun`, ns: sw.ns, logFile: `${this.logDir}/sw-${sw.name}-stun.log` },
    );
    this.procs.push(proc);
    await waitFor(async () => (await Deno.readTextFile(proc.logFile)).includes("listening"), {
      timeoutMs: 15_000,
      what: `STUN server on switch ${sw.name}`,
    });
    this.stunServers.set(sw, ip);
    return ip;
  }

  /** Starts `argv` in `host`'s namespace; output goes to `<logDir>/<host>-<name>.log`. */
  async spawn(host: Host, argv: string[], opts: { name: string; logFile?: string }): Promise<Proc> {
    const proc = await spawnLogged(argv, {
      name: `${host.name}/${opts.name}`,
      ns: host.ns,
      logFile: opts.logFile ?? `${this.logDir}/${host.name}-${opts.name}.log`,
    });
    this.procs.push(proc);
    return proc;
  }

  /** Stops a process by PID: SIGTERM, then SIGKILL after `graceMs`. */
  async kill(proc: Proc, graceMs = 3000): Promise<Deno.CommandStatus> {
    return await stopProcess(proc, graceMs);
  }

  /** One ping (IPv4 or IPv6 by the address) from `host`, 1 s deadline. */
  async ping(host: Host, address: string): Promise<boolean> {
    const fam = address.includes(":") ? "-6" : "-4";
    const r = await tryRun(["ping", fam, "-n", "-c", "1", "-w", "1", address], { ns: host.ns });
    return r.code === 0;
  }

  /**
   * Pings every target's address from every other target's host (IPv6), retrying each pair
   * until it answers or `timeoutMs` passes. Returns the matrix and the time it took.
   */
  async allPairsPing6(
    targets: { host: Host; address: string }[],
    timeoutMs: number,
  ): Promise<PingMatrix> {
    const start = Date.now(), deadline = start + timeoutMs;
    const reached = targets.map((_, i) => targets.map((_, j) => i === j));
    let last = start;
    const pairs: Promise<void>[] = [];
    targets.forEach((src, i) =>
      targets.forEach((dst, j) => {
        if (i === j) return;
        pairs.push((async () => {
          while (Date.now() < deadline) {
            if (await this.ping(src.host, dst.address)) {
              reached[i][j] = true;
              last = Math.max(last, Date.now());
              return;
            }
          }
        })());
      })
    );
    await Promise.all(pairs);
    const complete = reached.every((row) => row.every((x) => x));
    return { reached, complete, ms: (complete ? last : Date.now()) - start };
  }

  /** Prints every log file of this test, subdirectories included (called on failure). */
  async printLogs(dir = this.logDir): Promise<void> {
    for await (const e of Deno.readDir(dir)) {
      const path = `${dir}/${e.name}`;
      if (e.isDirectory) {
        await this.printLogs(path);
        continue;
      }
      const name = path.slice(this.logDir.length + 1);
      const text = await Deno.readTextFile(path).catch(String);
      console.log(`----- ${name} -----\n${text.trimEnd()}\n----- end ${name} -----`);
    }
  }

  /** Registers a clean-up run first at `dispose` (e.g. stopping a process started elsewhere). */
  onDispose(cleanup: () => Promise<unknown>): void {
    this.cleanups.push(cleanup);
  }

  /** Stops every process (by PID), deletes every namespace and the temp dir. Idempotent. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await Promise.all(this.cleanups.map((c) => c().catch(() => {})));
    await Promise.all(this.procs.map((p) => stopProcess(p, 2000)));
    for (const ns of this.namespaces.reverse()) await deleteNamespace(ns);
    await Deno.remove(this.tmpDir, { recursive: true }).catch(() => {});
    untrack(this);
  }
}

/**
 * Runs `fn` on a fresh `TestNet`; on failure prints every process log; always disposes.
 * Logs are kept in `.test-logs/` on failure (or with `R6T_KEEP_LOGS=1`), removed on success.
 */
export async function withNet(name: string, fn: (net: TestNet) => Promise<void>): Promise<void> {
  const net = await TestNet.create(name);
  let ok = false;
  try {
    await fn(net);
    ok = true;
  } finally {
    await net.dispose();
    if (!ok) {
      await net.printLogs();
      console.log(`logs kept in ${net.logDir}`);
    } else if (Deno.env.get("R6T_KEEP_LOGS") !== "1") {
      await Deno.remove(net.logDir, { recursive: true }).catch(() => {});
    }
  }
}
