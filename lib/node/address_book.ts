/**
 * Our advertised address string (spec §10.8, §8.3 item 4): per address family, either fixed by
 * `--ip` (one endpoint per server protocol of that family), or learnt from the `external_ip` our
 * peers' servers push to us when a client tunnel comes up (`--ip any`, and the default when no
 * IGD maps our ports). A port mapper (UPnP, `UpnpAddress`) plugs in through `PortMapper`: it turns
 * a learnt IPv4 into the externally mapped endpoints. Pure: the daemon stores the result in the
 * cache (row `''`) and answers code 1 with it.
 */
import type { ServerPort } from "../config/node_options.ts";
import { isIPv4 } from "../config/checks.ts";
import { type Endpoint, formatAddresses } from "../wire/address.ts";

/** Maps our server ports on a NAT gateway (UPnP IGD: `UpnpAddress`). */
export interface PortMapper {
  /** External endpoints for our IPv4 servers, or undefined if nothing is mapped. */
  endpoints(servers: readonly ServerPort[]): Endpoint[] | undefined;
}

type Family = 4 | 6;

function familyOf(proto: string): Family {
  return proto.endsWith("6") ? 6 : 4;
}

/** Builds and updates our address string. */
export class AddressBook {
  readonly #servers: readonly ServerPort[];
  readonly #country?: (ip: string) => string | undefined;
  readonly #fixed = new Map<Family, string[]>();
  readonly #learnt = new Map<Family, string>();
  readonly #mapper?: PortMapper;

  /**
   * `ips`: `--ip` values (addresses, `any`, `upnp`); `servers`: our OpenVPN servers (none when
   * `max_clients` is 0); `country`: the country advertised with each of our addresses
   * (`--country`, or the registry's answer: lib/node/own_country.ts).
   */
  constructor(
    ips: readonly string[],
    servers: readonly ServerPort[],
    opts: { country?: (ip: string) => string | undefined; mapper?: PortMapper } = {},
  ) {
    this.#servers = servers;
    this.#country = opts.country;
    this.#mapper = opts.mapper;
    for (const ip of ips) {
      if (ip === "any" || ip === "upnp") continue;
      const f: Family = isIPv4(ip) ? 4 : 6;
      this.#fixed.set(f, [...(this.#fixed.get(f) ?? []), ip]);
    }
  }

  /** True if addresses of family `f` are learnt from peers rather than fixed. */
  learns(f: Family): boolean {
    return !this.#fixed.has(f);
  }

  /**
   * A server pushed `ip` as our external address. Returns true if our address string changed.
   */
  learn(ip: string): boolean {
    const f: Family = isIPv4(ip) ? 4 : 6;
    if (!this.learns(f) || this.#learnt.get(f) === ip) return false;
    this.#learnt.set(f, ip);
    return true;
  }

  /** Current address string (empty when nothing is known yet or we run no server). */
  toString(): string {
    const out: Endpoint[] = [];
    for (const f of [4, 6] as Family[]) {
      const servers = this.#servers.filter((s) => familyOf(s.proto) === f);
      if (servers.length === 0) continue;
      const mapped = f === 4 && this.learns(4) ? this.#mapper?.endpoints(servers) : undefined;
      if (mapped) {
        out.push(...mapped);
        continue;
      }
      const ips = this.#fixed.get(f) ?? (this.#learnt.has(f) ? [this.#learnt.get(f)!] : []);
      for (const ip of ips) {
        for (const s of servers) out.push({ ip, port: s.port, proto: s.proto });
      }
    }
    for (const e of out) {
      const country = this.#country?.(e.ip);
      if (country) e.country = country;
    }
    return formatAddresses(out);
  }
}
