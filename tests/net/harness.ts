/**
 * Test-facing layer over `lib/netns` (its `NamespaceNetwork`): a closed test network of
 * namespaces (hosts, veth links, switches, routers, NAT gateways with real miniupnpd and a STUN
 * server), processes started by known PID with their logs in one directory per test, bounded
 * waits, and tear-down in `finally`.
 * Rules: ../../../shared/TESTNET.md (addresses 198.18.0.0/16 underlay, 2001:db8::/32 overlay,
 * no link to the root namespace, no route out).
 */
import { tryRun } from "../../lib/netns/exec.ts";
import {
  addAddress,
  addVeth,
  cleanLeftovers,
  runPrefix,
  setSysctls,
} from "../../lib/netns/netns.ts";
import { STUN_PORT } from "../../lib/netns/miniupnpd.ts";
import { type Host, NamespaceNetwork, type Switch } from "../../lib/netns/network.ts";
import { type Proc, stopProcess } from "../../lib/netns/process.ts";
import { waitFor, type WaitOptions } from "../../lib/netns/wait.ts";

export { waitFor };
export type { Host, Proc, Switch, WaitOptions };

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

/** A closed test network. Create with `TestNet.create` (or `withNet`), always `dispose`. */
export class TestNet extends NamespaceNetwork {
  private cleanups: (() => Promise<unknown>)[] = [];
  private stunServers = new Map<Switch, string>();
  private disposed = false;

  private constructor(prefix: string, logDir: string, readonly tmpDir: string) {
    super(prefix, logDir);
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
    const { outside: outM } = await this.masquerade(gw, inside, outside);
    const result: Nat = { gw, publicIp: outM.ip };
    if (opts.upnp) {
      const stunHost = await this.stunServer(outside);
      // resolve ARP first, else miniupnpd's first STUN round is lost (3 s more)
      await this.ping(gw, stunHost);
      const dir = await Deno.makeTempDir({ dir: this.tmpDir, prefix: `upnp-${gw.name}-` });
      result.miniupnpd = await this.startMiniupnpd(gw, inside, outside, { dir, stunHost });
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
    const proc = await this.spawn(
      { name: `sw-${sw.name}`, ns: sw.ns },
      [Deno.execPath(), "run", "-A", STUN_RESPONDER, ip, String(STUN_PORT)],
      { name: "stun" },
    );
    await waitFor(async () => (await Deno.readTextFile(proc.logFile)).includes("listening"), {
      timeoutMs: 15_000,
      what: `STUN server on switch ${sw.name}`,
    });
    this.stunServers.set(sw, ip);
    return ip;
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
    await this.stopAll(2000);
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

/**
 * Calls the registry's private `revoke` method from the registry's own namespace (an authorised
 * origin); returns curl's result, whose stdout is the HTTP status (204 when revoked).
 */
export async function revokeOnRegistry(
  ns: string,
  cnOrSerial: string | bigint,
): Promise<{ stdout: string; stderr: string }> {
  const url = `http://127.0.0.1/revoke?cn_or_serial=${cnOrSerial}`;
  return await tryRun(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", url], { ns });
}
