/**
 * The closed world `re6st demo` builds (TESTNET.md rules) on the shared `NamespaceNetwork`:
 * namespaces with a per-run prefix of the demo's own family, switches with a 198.18.N.0/24
 * each, routing and NAT gateways, and a tear-down that stops every process by PID and deletes
 * every namespace. Nothing links to the root namespace.
 */
import { type Host, NamespaceNetwork, type Switch } from "../netns/network.ts";
import { cleanLeftovers, runPrefix, setSysctls } from "../netns/netns.ts";

export type { Host as WorldHost, Switch as WorldSwitch };

/** Namespace family of the demo. */
export const DEMO_FAMILY = "r6demo-";

/** The demo's namespaces and processes. */
export class World extends NamespaceNetwork {
  /** Removes leftovers of dead demo runs and prepares an empty world logging into `logDir`. */
  static async create(logDir: string): Promise<World> {
    await cleanLeftovers(DEMO_FAMILY);
    return new World(runPrefix(DEMO_FAMILY), logDir);
  }

  /** `gw` forwards IPv4 between `inside` and `outside`; inside hosts route everything via it. */
  async gateway(gw: Host, inside: Switch, outside: Switch): Promise<void> {
    await setSysctls(gw.ns, { "net.ipv4.ip_forward": "1" });
    for (const [m] of inside.members) {
      if (m !== gw) await this.route(m, "default", this.ip(inside, gw));
    }
    for (const [m] of outside.members) {
      if (m !== gw) await this.route(m, inside.cidr, this.ip(outside, gw));
    }
  }

  /**
   * Makes `gw` masquerade `inside` behind its `outside` address, with miniupnpd on it (which,
   * without a STUN server, maps no ports: see lib/netns/miniupnpd.ts).
   */
  async nat(gw: Host, inside: Switch, outside: Switch): Promise<void> {
    await this.masquerade(gw, inside, outside);
    const dir = `${this.logDir}/${gw.name}`;
    await Deno.mkdir(dir, { recursive: true });
    await this.startMiniupnpd(gw, inside, outside, { dir, logFile: `${dir}/miniupnpd.log` });
  }

  /** Stops every process by PID (SIGTERM, then SIGKILL after 10 s) and deletes every namespace. */
  async dispose(): Promise<void> {
    await this.stopAll(10_000);
  }
}
