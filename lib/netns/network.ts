/**
 * A closed network of namespaces (TESTNET.md rules) that the tests' harness and `re6st demo`
 * both build: hosts, switches (a bridge in its own namespace with one 198.18.N.0/24), NAT
 * gateways with an optional real miniupnpd, processes started by known PID, and a tear-down
 * that stops every process by PID and deletes every namespace. Nothing links to the root
 * namespace.
 */
import { run, tryRun } from "./exec.ts";
import { miniupnpdConfig, miniupnpdRuleset } from "./miniupnpd.ts";
import {
  addAddress,
  addBridge,
  addRoute,
  addVeth,
  attachToBridge,
  createNamespace,
  deleteNamespace,
  setSysctls,
} from "./netns.ts";
import { type Proc, spawnLogged, stopProcess } from "./process.ts";
import { waitFor } from "./wait.ts";

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

/** What a NAT gateway's miniupnpd is given (`NamespaceNetwork.startMiniupnpd`). */
export interface MiniupnpdSetup {
  /** directory for its config, lease and PID files */
  dir: string;
  /** IPv4 of a STUN server outside: without one miniupnpd refuses to forward ports */
  stunHost?: string;
  /** its output (default `<logDir>/<gw>-miniupnpd.log`) */
  logFile?: string;
}

/** Namespaces and processes of one closed network; `stopAll` removes them all. */
export class NamespaceNetwork {
  #namespaces: string[] = [];
  #procs: Proc[] = [];
  #switchCount = 0;

  /**
   * Every namespace is named `<prefix><name>` (`<prefix>sw-<name>` for switches); program
   * output goes to `<logDir>/<host>-<program>.log` unless said otherwise.
   */
  constructor(readonly prefix: string, readonly logDir: string) {}

  /** A namespace with lo up, IPv6 forwarding on, no DAD, no RA, no rp_filter. */
  async host(name: string): Promise<Host> {
    const ns = this.prefix + name;
    this.#namespaces.push(ns);
    await createNamespace(ns);
    return { name, ns, addrs: new Map(), nextIf: 0 };
  }

  /**
   * Bridge in namespace `<prefix>sw-<name>` with the next free `198.18.N.0/24`; every member
   * is joined in order (addresses .1, .2, …).
   */
  async switch(name: string, members: Host[] = []): Promise<Switch> {
    const ns = `${this.prefix}sw-${name}`;
    this.#namespaces.push(ns);
    await createNamespace(ns, {});
    await addBridge(ns, "br0");
    const n = ++this.#switchCount;
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

  /** Address of `host` on `sw`. */
  ip(sw: Switch, host: Host): string {
    const m = sw.members.get(host);
    if (!m) throw new Error(`${host.name} is not on ${sw.name}`);
    return m.ip;
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
   * Makes `gw` (a member of both switches) masquerade `inside` behind its `outside` address:
   * IPv4 forwarding, iptables MASQUERADE out of its outside interface, default route of every
   * other inside member via it. Returns its two memberships.
   */
  async masquerade(
    gw: Host,
    inside: Switch,
    outside: Switch,
  ): Promise<{ inside: { ifname: string; ip: string }; outside: { ifname: string; ip: string } }> {
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
    return { inside: inM, outside: outM };
  }

  /**
   * Runs a real miniupnpd on NAT gateway `gw` (external = its `outside` interface, listening on
   * the `inside` one, ports 1024-65535 mappable from the inside /24 only) and waits (≤ 10 s)
   * until it listens for SSDP.
   */
  async startMiniupnpd(
    gw: Host,
    inside: Switch,
    outside: Switch,
    setup: MiniupnpdSetup,
  ): Promise<Proc> {
    await run(["nft", "-f", "-"], { ns: gw.ns, stdin: miniupnpdRuleset() });
    const conf = `${setup.dir}/miniupnpd.conf`;
    await Deno.writeTextFile(
      conf,
      miniupnpdConfig({
        extIfname: outside.members.get(gw)!.ifname,
        listenIfname: inside.members.get(gw)!.ifname,
        insideCidr: inside.cidr,
        leaseFile: `${setup.dir}/leases`,
        uuid: crypto.randomUUID(),
        stunHost: setup.stunHost,
      }),
    );
    const proc = await this.spawn(
      gw,
      ["miniupnpd", "-d", "-f", conf, "-P", `${setup.dir}/miniupnpd.pid`],
      { name: "miniupnpd", logFile: setup.logFile },
    );
    await waitFor(async () => {
      if (proc.exit) throw new Error(`miniupnpd on ${gw.name} exited with ${proc.exit.code}`);
      const r = await tryRun(["ss", "-Hlun", "sport = :1900"], { ns: gw.ns });
      return r.stdout.trim() !== "";
    }, { timeoutMs: 10_000, what: `miniupnpd on ${gw.name} to listen on SSDP` });
    return proc;
  }

  /**
   * Starts `argv` in `host`'s namespace (a switch's too: `{ name: "sw-<name>", ns }`), output
   * appended to `opts.logFile` (default `<logDir>/<host>-<name>.log`).
   */
  async spawn(
    host: { name: string; ns: string },
    argv: string[],
    opts: { name: string; logFile?: string },
  ): Promise<Proc> {
    const proc = await spawnLogged(argv, {
      name: `${host.name}/${opts.name}`,
      ns: host.ns,
      logFile: opts.logFile ?? `${this.logDir}/${host.name}-${opts.name}.log`,
    });
    this.#procs.push(proc);
    return proc;
  }

  /** Stops every process by PID (SIGTERM, then SIGKILL after `graceMs`), deletes every namespace. */
  async stopAll(graceMs: number): Promise<void> {
    await Promise.all(this.#procs.map((p) => stopProcess(p, graceMs)));
    for (const ns of this.#namespaces.reverse()) await deleteNamespace(ns);
    this.#namespaces = [];
  }
}
