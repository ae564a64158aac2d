/**
 * Network-namespace primitives shared by the namespaced tests and `re6st demo`: per-run name
 * prefixes, namespaces with sane sysctls, veth links, bridges, addresses, routes, and clean-up
 * of leftovers from dead runs. Nothing here ever links a namespace to the root namespace.
 */
import { run, tryRun } from "./exec.ts";

/**
 * A per-run prefix `<family><pid>-<rand>-` (e.g. `r6t-4242-k3x9-`). The PID lets a later
 * run recognise leftovers of dead runs of the same family (`cleanLeftovers`).
 */
export function runPrefix(family: string, pid = Deno.pid): string {
  const rand = Math.random().toString(36).slice(2, 6);
  return `${family}${pid}-${rand}-`;
}

/** Names of all existing network namespaces. */
export async function listNamespaces(): Promise<string[]> {
  const out = await run(["ip", "netns", "list"]);
  return out.split("\n").map((l) => l.split(" ")[0]).filter((n) => n !== "");
}

/** PID recorded in a namespace name of `family`, or undefined when the name is not ours. */
export function prefixOwner(family: string, ns: string): number | undefined {
  if (!ns.startsWith(family)) return undefined;
  const m = /^(\d+)-/.exec(ns.slice(family.length));
  return m ? Number(m[1]) : undefined;
}

function alive(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

/**
 * Deletes namespaces of `family` whose owning PID is dead (leftovers of crashed runs), after
 * killing the processes still inside them. Returns the deleted names.
 */
export async function cleanLeftovers(family: string): Promise<string[]> {
  const stale = (await listNamespaces()).filter((ns) => {
    const owner = prefixOwner(family, ns);
    return owner !== undefined && !alive(owner);
  });
  for (const ns of stale) await deleteNamespace(ns);
  return stale;
}

/** Sysctls every test machine gets: IPv6 forwarding, no DAD (speed), no RA, no rp_filter. */
export const HOST_SYSCTLS: Record<string, string> = {
  "net.ipv6.conf.all.forwarding": "1",
  "net.ipv6.conf.default.forwarding": "1",
  "net.ipv6.conf.all.accept_dad": "0",
  "net.ipv6.conf.default.accept_dad": "0",
  "net.ipv6.conf.all.accept_ra": "0",
  "net.ipv6.conf.default.accept_ra": "0",
  "net.ipv4.conf.all.rp_filter": "0",
  "net.ipv4.conf.default.rp_filter": "0",
};

/** Sets sysctls inside `ns` (one process for all of them). */
export async function setSysctls(ns: string, values: Record<string, string>): Promise<void> {
  const args = Object.entries(values).map(([k, v]) => `${k}=${v}`);
  if (args.length) await run(["sysctl", "-q", "-w", ...args], { ns });
}

/** Creates namespace `ns` with `lo` up and `sysctls` applied (before any interface exists). */
export async function createNamespace(
  ns: string,
  sysctls: Record<string, string> = HOST_SYSCTLS,
): Promise<void> {
  await run(["ip", "netns", "add", ns]);
  await run(["ip", "-n", ns, "link", "set", "lo", "up"]);
  await setSysctls(ns, sysctls);
}

/**
 * Deletes namespace `ns`: first SIGKILLs, by PID, every process still inside it (the caller
 * should have stopped its own processes gracefully before). Missing namespaces are ignored.
 */
export async function deleteNamespace(ns: string): Promise<void> {
  const pids = await tryRun(["ip", "netns", "pids", ns]);
  for (const p of pids.stdout.split("\n").filter((l) => /^\d+$/.test(l))) {
    try {
      Deno.kill(Number(p), "SIGKILL");
    } catch {
      // exited meanwhile
    }
  }
  await tryRun(["ip", "netns", "del", ns]);
}

/** Creates a veth pair: `ifA` in `nsA`, `ifB` in `nsB`, both up. */
export async function addVeth(nsA: string, ifA: string, nsB: string, ifB: string): Promise<void> {
  await run([
    "ip",
    "-n",
    nsA,
    "link",
    "add",
    ifA,
    "type",
    "veth",
    "peer",
    "name",
    ifB,
    "netns",
    nsB,
  ]);
  await run(["ip", "-n", nsA, "link", "set", ifA, "up"]);
  await run(["ip", "-n", nsB, "link", "set", ifB, "up"]);
}

/** Creates bridge `br` in `ns` (up, no STP, no forwarding delay). */
export async function addBridge(ns: string, br: string): Promise<void> {
  await run([
    "ip",
    "-n",
    ns,
    "link",
    "add",
    br,
    "type",
    "bridge",
    "stp_state",
    "0",
    "forward_delay",
    "0",
  ]);
  await run(["ip", "-n", ns, "link", "set", br, "up"]);
}

/** Enslaves interface `port` of `ns` to bridge `br`. */
export async function attachToBridge(ns: string, port: string, br: string): Promise<void> {
  await run(["ip", "-n", ns, "link", "set", port, "master", br]);
}

/** Adds address `cidr` (IPv4 or IPv6) to `ifname` in `ns`. */
export async function addAddress(ns: string, ifname: string, cidr: string): Promise<void> {
  const family = cidr.includes(":") ? "-6" : "-4";
  await run(["ip", family, "-n", ns, "addr", "add", cidr, "dev", ifname]);
}

/** Adds route `dst` (CIDR or `default`) via `gateway` in `ns`. */
export async function addRoute(ns: string, dst: string, gateway: string): Promise<void> {
  const family = gateway.includes(":") ? "-6" : "-4";
  await run(["ip", family, "-n", ns, "route", "add", dst, "via", gateway]);
}
