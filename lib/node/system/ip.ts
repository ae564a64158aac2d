/**
 * Kernel network state the node needs (spec §1.4, §5.5), through iproute2. Every operation is
 * idempotent (`replace`, tolerant deletes) so that a restart after a crash converges instead of
 * failing on leftovers.
 */
import { logger } from "../../log.ts";

const log = logger("ip");

/** Result of one `ip` invocation. */
export interface IpResult {
  ok: boolean;
  stdout: string;
  stderr: string;
}

/** Runs `ip` with arguments; injectable for tests of callers. */
export type IpRunner = (args: string[]) => Promise<IpResult>;

/** Runs the real `ip` binary. */
export const runIp: IpRunner = async (args) => {
  const out = await new Deno.Command("ip", { args, stdout: "piped", stderr: "piped" }).output();
  const dec = new TextDecoder();
  return { ok: out.success, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
};

async function must(ip: IpRunner, args: string[]): Promise<void> {
  const r = await ip(args);
  if (!r.ok) throw new Error(`ip ${args.join(" ")}: ${r.stderr.trim()}`);
}

async function tolerant(ip: IpRunner, args: string[]): Promise<boolean> {
  const r = await ip(args);
  if (!r.ok) log.debug(`ip ${args.join(" ")}: ${r.stderr.trim()}`);
  return r.ok;
}

/** Kernel changes made by `configureNodeAddressing`, enough to undo them at exit. */
export interface NodeAddressing {
  iface: string;
  address: string;
  subnetCidr: string;
  networkCidr: string;
}

/**
 * Puts `address/len` on the main interface, drops the useless `fe80::/64 dev lo` route, and adds
 * `unreachable <network>` (spec §1.4).
 */
export async function configureNodeAddressing(
  a: NodeAddressing,
  ip: IpRunner = runIp,
): Promise<void> {
  const len = a.subnetCidr.split("/")[1];
  await must(ip, ["-6", "addr", "replace", `${a.address}/${len}`, "dev", a.iface]);
  await must(ip, ["link", "set", a.iface, "up"]);
  if (a.iface === "lo") await tolerant(ip, ["-6", "route", "del", "fe80::/64", "dev", "lo"]);
  await must(ip, ["-6", "route", "replace", "unreachable", a.networkCidr]);
}

/** Undoes `configureNodeAddressing` (spec §1.5 cleanup); never throws. */
export async function removeNodeAddressing(a: NodeAddressing, ip: IpRunner = runIp): Promise<void> {
  const len = a.subnetCidr.split("/")[1];
  await tolerant(ip, ["-6", "route", "del", "unreachable", a.networkCidr]);
  await tolerant(ip, ["-6", "route", "del", a.subnetCidr, "dev", a.iface]);
  await tolerant(ip, ["-6", "addr", "del", `${a.address}/${len}`, "dev", a.iface]);
}

/**
 * Probes kernel support for IPv6 source-specific routes (CONFIG_IPV6_SUBTREES), spec §1.4.
 */
export async function probeSubtrees(ip: IpRunner = runIp): Promise<boolean> {
  const args = ["-6", "route", "add", "unreachable", "::/128", "from", "::/128"];
  if (!(await tolerant(ip, args))) return false;
  await tolerant(ip, ["-6", "route", "del", "unreachable", "::/128", "from", "::/128"]);
  return true;
}

/** Brings a device up with the given MTU. */
export async function linkUp(dev: string, mtu?: number, ip: IpRunner = runIp): Promise<void> {
  const args = ["link", "set", dev, "up"];
  if (mtu !== undefined) args.push("mtu", String(mtu));
  await must(ip, args);
}

/** Adds (replaces) an IPv4 route of the given type, e.g. `unreachable 198.19.0.0/16`. */
export async function replaceRoute4(spec: string[], ip: IpRunner = runIp): Promise<void> {
  await must(ip, ["-4", "route", "replace", ...spec]);
}

/** Deletes an IPv4 route; never throws. */
export async function deleteRoute4(spec: string[], ip: IpRunner = runIp): Promise<boolean> {
  return await tolerant(ip, ["-4", "route", "del", ...spec]);
}

/** Adds (replaces) an IPv4 address on a device. */
export async function replaceAddress4(
  cidr: string,
  dev: string,
  ip: IpRunner = runIp,
): Promise<void> {
  await must(ip, ["-4", "addr", "replace", cidr, "dev", dev]);
}
