/**
 * Start-up check of the kernel's default routes for `--gateway` / non-gateway nodes (spec
 * §11.3): reads `ip -6 route show` and logs `gatewayWarnings`.
 */
import { type IpRunner, runIp } from "../system/ip.ts";
import { gatewayWarnings, parseRoutes6 } from "./gateway.ts";

/** Logs (and returns) the operator warnings about default routes. */
export async function checkGatewayRoutes(
  o: { gateway: boolean; subtrees: boolean; network: string },
  log: { warn(msg: string): void },
  ip: IpRunner = runIp,
): Promise<string[]> {
  const r = await ip(["-6", "route", "show"]);
  if (!r.ok) {
    log.warn(`cannot read IPv6 routes: ${r.stderr.trim()}`);
    return [];
  }
  const warnings = gatewayWarnings({ ...o, routes: parseRoutes6(r.stdout) });
  for (const w of warnings) log.warn(w);
  return warnings;
}
