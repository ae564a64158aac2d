/**
 * The closed world `re6st demo` builds (TESTNET.md rules): namespaces with a per-run prefix,
 * bridges as switches with a 198.18.N.0/24 each, routers and NAT gateways, processes started by
 * known PID with their output in a log directory, and a tear-down that stops every process by PID
 * and deletes every namespace. Nothing links to the root namespace.
 */
import { run, tryRun } from "../netns/exec.ts";
import { miniupnpdConfig, miniupnpdRuleset } from "../netns/miniupnpd.ts";
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
} from "../netns/netns.ts";
import { type Proc, spawnLogged, stopProcess } from "../netns/process.ts";
import { waitFor } from "../netns/wait.ts";

/** Namespace family of the demo. */
export const DEMO_FAMILY = "r6demo-";

/** A machine. */
export interface WorldHost {
  name: string;
  ns: string;
  nextIf: number;
}

/** A switch: a bridge in its own namespace and its /24. */
export interface WorldSwitch {
  name: string;
  ns: string;
  /** `198.18.N.` */
  base: string;
  members: Map<WorldHost, { ifname: string; ip: string }>;
}

/** The demo's namespaces and processes. */
export class World {
  readonly prefix: string;
  #namespaces: string[] = [];
  #procs: Proc[] = [];
  #switches = 0;

  private constructor(readonly logDir: string) {
    this.prefix = runPrefix(DEMO_FAMILY);
  }

  /** Removes leftovers of dead demo runs and prepares an empty world logging into `logDir`. */
  static async create(logDir: string): Promise<World> {
    await cleanLeftovers(DEMO_FAMILY);
    return new World(logDir);
  }

  /** A host namespace (IPv6 forwarding on, no DAD, no RA). */
  async host(name: string): Promise<WorldHost> {
    const ns = this.prefix + name;
    this.#namespaces.push(ns);
    await createNamespace(ns);
    return { name, ns, nextIf: 0 };
  }

  /** A switch with the next 198.18.N.0/24; members get .1, .2, … in order. */
  async switch(name: string, members: WorldHost[]): Promise<WorldSwitch> {
    const ns = `${this.prefix}sw-${name}`;
    this.#namespaces.push(ns);
    await createNamespace(ns, {});
    await addBridge(ns, "br0");
    const sw: WorldSwitch = { name, ns, base: `198.18.${++this.#switches}.`, members: new Map() };
    for (const m of members) {
      const ifname = `eth${m.nextIf++}`;
      const port = `p${sw.members.size}`;
      await addVeth(m.ns, ifname, ns, port);
      await attachToBridge(ns, port, "br0");
      const ip = `${sw.base}${sw.members.size + 1}`;
      await addAddress(m.ns, ifname, `${ip}/24`);
      sw.members.set(m, { ifname, ip });
    }
    return sw;
  }

  /** Address of `host` on `sw`. */
  ip(sw: WorldSwitch, host: WorldHost): string {
    const m = sw.members.get(host);
    if (!m) throw new Error(`${host.name} is not on ${sw.name}`);
    return m.ip;
  }

  /** `gw` forwards IPv4 between `inside` and `outside`; inside hosts route everything via it. */
  async gateway(gw: WorldHost, inside: WorldSwitch, outside: WorldSwitch): Promise<void> {
    await setSysctls(gw.ns, { "net.ipv4.ip_forward": "1" });
    for (const [m] of inside.members) {
      if (m !== gw) await addRoute(m.ns, "default", this.ip(inside, gw));
    }
    for (const [m] of outside.members) {
      if (m !== gw) await addRoute(m.ns, `${inside.base}0/24`, this.ip(outside, gw));
    }
  }

  /** Makes `gw` masquerade `inside` behind its `outside` address, with miniupnpd on it. */
  async nat(gw: WorldHost, inside: WorldSwitch, outside: WorldSwitch): Promise<void> {
    await setSysctls(gw.ns, { "net.ipv4.ip_forward": "1" });
    const out = outside.members.get(gw)!, inn = inside.members.get(gw)!;
    await run(
      ["iptables", "-w", "-t", "nat", "-A", "POSTROUTING", "-o", out.ifname, "-j", "MASQUERADE"],
      { ns: gw.ns },
    );
    for (const [m] of inside.members) if (m !== gw) await addRoute(m.ns, "default", inn.ip);
    await run(["nft", "-f", "-"], { ns: gw.ns, stdin: miniupnpdRuleset() });
    const dir = `${this.logDir}/${gw.name}`;
    await Deno.mkdir(dir, { recursive: true });
    await Deno.writeTextFile(
      `${dir}/miniupnpd.conf`,
      miniupnpdConfig({
        extIfname: out.ifname,
        listenIfname: inn.ifname,
        insideCidr: `${inside.base}0/24`,
        leaseFile: `${dir}/leases`,
        uuid: crypto.randomUUID(),
      }),
    );
    const upnp = await this.spawn(
      gw,
      ["miniupnpd", "-d", "-f", `${dir}/miniupnpd.conf`, "-P", `${dir}/miniupnpd.pid`],
      { name: "miniupnpd", logFile: `${dir}/miniupnpd.log` },
    );
    await waitFor(async () => {
      if (upnp.exit) throw new Error(`miniupnpd exited with ${upnp.exit.code}`);
      const r = await tryRun(["ss", "-Hlun", "sport = :1900"], { ns: gw.ns });
      return r.stdout.trim() !== "";
    }, { timeoutMs: 10_000, what: `miniupnpd on ${gw.name}` });
  }

  /** Starts `argv` in `host` with output appended to `opts.logFile`. */
  async spawn(
    host: { name: string; ns: string },
    argv: string[],
    opts: { name: string; logFile: string },
  ): Promise<Proc> {
    const proc = await spawnLogged(argv, {
      name: `${host.name}/${opts.name}`,
      ns: host.ns,
      logFile: opts.logFile,
    });
    this.#procs.push(proc);
    return proc;
  }

  /** Stops every process by PID (SIGTERM, then SIGKILL) and deletes every namespace. */
  async dispose(): Promise<void> {
    await Promise.all(this.#procs.map((p) => stopProcess(p, 10_000)));
    for (const ns of this.#namespaces.reverse()) await deleteNamespace(ns);
    this.#namespaces = [];
  }
}
