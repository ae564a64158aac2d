/**
 * Which of a peer's advertised endpoints we may open a tunnel to (spec §10.4): disabled and
 * unknown protocols are dropped; with `same_country`, if our country (for the endpoint's address
 * family) is listed only endpoints of our country remain, otherwise endpoints located in a listed
 * country are forbidden. An endpoint's country is its 4th field, else what `geo` says.
 */
import { canonicalProto, type Endpoint, PROTOCOLS } from "../../wire/address.ts";

/** Inputs of the endpoint filter. */
export interface EndpointPolicy {
  /** canonical protocol names never used (`udp`, `tcp`, `udp6`, `tcp6`) */
  disabledProtocols: ReadonlySet<string>;
  /** the `same_country` network parameter, if distributed */
  sameCountry?: readonly string[];
  /** our own country per address family */
  ourCountry?: { ipv4?: string; ipv6?: string };
  /** GeoIP lookup for endpoints without a country field */
  geo?: (ip: string) => string | undefined;
}

const known = new Set<string>(PROTOCOLS);

/** The endpoints we may use, in their advertised order. */
export function filterEndpoints(endpoints: readonly Endpoint[], p: EndpointPolicy): Endpoint[] {
  const countries = p.sameCountry?.length ? new Set(p.sameCountry) : undefined;
  return endpoints.filter((e) => {
    if (!known.has(e.proto) || p.disabledProtocols.has(canonicalProto(e.proto))) return false;
    if (!countries) return true;
    const ours = e.proto.endsWith("6") ? p.ourCountry?.ipv6 : p.ourCountry?.ipv4;
    const theirs = e.country ?? p.geo?.(e.ip);
    if (ours !== undefined && countries.has(ours)) return theirs === ours;
    return theirs === undefined || !countries.has(theirs);
  });
}
