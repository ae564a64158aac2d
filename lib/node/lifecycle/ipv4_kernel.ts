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
import {
  type Ipv4Assignment,
  ipv4Assignment,
  type Ipv4KernelPlan,
  ipv4KernelPlan,
} from "./ipv4_payload.ts";

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

/** The IPv4 payload a node runs with: the assignment and the kernel plan applied for it. */
export interface Ipv4Setup {
  assignment: Ipv4Assignment;
  plan: Ipv4KernelPlan;
}

/**
 * Start-up step (spec §1.5 "IPv4 payload"): when the parameters carry `ipv4`, computes our
 * assignment and applies its kernel plan; a disabled payload is logged as a warning. Returns
 * undefined when there is no payload. Undo with `removeIpv4Plan(setup.plan)`.
 */
export async function setupIpv4Payload(
  params: { ipv4?: unknown; ipv4Sublen?: unknown },
  subjectSerial: string | undefined,
  o: { clientTunnels: boolean; mainInterface: string },
  log: { warn(msg: string): void; info(msg: string): void },
  ip: IpRunner = runIp,
): Promise<Ipv4Setup | undefined> {
  if (params.ipv4 === undefined) return undefined;
  const r = ipv4Assignment(params.ipv4, params.ipv4Sublen, subjectSerial);
  if (!r.ok) {
    log.warn(r.reason);
    return undefined;
  }
  const plan = ipv4KernelPlan(r.value, o);
  await applyIpv4Plan(plan, ip);
  log.info(`IPv4 payload ${r.value.address}/${r.value.prefixLength} in ${r.value.network}`);
  return { assignment: r.value, plan };
}
