/**
 * Whether and how the node uses UPnP (spec §13.1, §2.1 `--ip`): explicitly with `--ip upnp`,
 * implicitly when no IPv4 `--ip` is given at all, not when an IPv4 address or `any` is given,
 * nor when there is no IPv4 server to expose. Pure.
 */
import type { ServerPort } from "../../config/node_options.ts";
import type { LocalServer } from "./port_mapper.ts";

/** The UPnP decision for the daemon. */
export interface UpnpPlan {
  /** `explicit`: `--ip upnp`; `implicit`: no IPv4 `--ip` (no IGD ⇒ behave like `any`) */
  mode: "explicit" | "implicit" | "off";
  /** IPv4 servers to map (`--pp` entries with proto `tcp`/`udp`) */
  servers: LocalServer[];
}

/** Decides UPnP use from the `--ip` values and the server ports. */
export function upnpPlan(ip: readonly string[], pp: readonly ServerPort[]): UpnpPlan {
  const servers = pp.flatMap((s) =>
    s.proto === "tcp" || s.proto === "udp" ? [{ proto: s.proto, port: s.port }] : []
  );
  const ipv4 = ip.filter((a) => a === "upnp" || a === "any" || /^\d+\.\d+\.\d+\.\d+$/.test(a));
  const mode = servers.length === 0
    ? "off"
    : ipv4.includes("upnp")
    ? "explicit"
    : ipv4.length === 0
    ? "implicit"
    : "off";
  return { mode, servers };
}
