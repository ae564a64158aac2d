/**
 * Applies and removes the IPv4 payload kernel state of `ipv4KernelPlan` (spec §5.5) with
 * iproute2. Idempotent (`replace`, tolerant deletes), so re-applying after a crash or after an
 * `ipv4` parameter change converges.
 */
import {
  deleteRoute4,
  type IpRunner,
  replaceAddress4,
  replaceRoute4,
  runIp,
} from "../system/ip.ts";
import type { Ipv4KernelPlan } from "./ipv4_payload.ts";

/** Adds the plan's routes and addresses; throws if `ip` refuses one. */
export async function applyIpv4Plan(plan: Ipv4KernelPlan, ip: IpRunner = runIp): Promise<void> {
  for (const route of plan.routes) await replaceRoute4(route, ip);
  for (const a of plan.addresses) await replaceAddress4(a.cidr, a.dev, ip);
}

/** Removes what `applyIpv4Plan` added; never throws. */
export async function removeIpv4Plan(plan: Ipv4KernelPlan, ip: IpRunner = runIp): Promise<void> {
  for (const a of plan.addresses) await ip(["-4", "addr", "del", a.cidr, "dev", a.dev]);
  for (const route of [...plan.routes].reverse()) await deleteRoute4(route, ip);
}
