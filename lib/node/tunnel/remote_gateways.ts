/**
 * Multi-gateway manager (spec §10.9, `--remote-gateway`): host routes for the IPv4 endpoints of
 * client tunnels, gateways taken round-robin, reference-counted per destination (tunnels to the
 * same IP share one route, deleted with its last user). Served clients are only counted. Unlike
 * the reference, a destination first counted for a served client still gets its route when a
 * client tunnel to it opens.
 */
import { type Command, NO_COMMANDS } from "./commands.ts";

interface Use {
  count: number;
  gateway?: string;
}

/** Pure reference counter returning route add/del commands. */
export class RemoteGateways {
  readonly #uses = new Map<string, Use>();
  #next = 0;

  constructor(private readonly gateways: readonly string[]) {}

  /** One more user of `ip`; `route` = a client tunnel that needs a host route. */
  add(ip: string, route: boolean): Command[] {
    let use = this.#uses.get(ip);
    if (!use) {
      use = { count: 0 };
      this.#uses.set(ip, use);
    }
    use.count++;
    if (!route || use.gateway !== undefined || this.gateways.length === 0) return NO_COMMANDS;
    use.gateway = this.gateways[this.#next++ % this.gateways.length];
    return [{ type: "addHostRoute", ip, gateway: use.gateway }];
  }

  /** One user of `ip` less; the route goes with the last one. */
  remove(ip: string): Command[] {
    const use = this.#uses.get(ip);
    if (!use) return NO_COMMANDS;
    if (--use.count > 0) return NO_COMMANDS;
    this.#uses.delete(ip);
    return use.gateway === undefined
      ? NO_COMMANDS
      : [{ type: "delHostRoute", ip, gateway: use.gateway }];
  }

  /** Number of users of `ip`. */
  count(ip: string): number {
    return this.#uses.get(ip)?.count ?? 0;
  }
}
