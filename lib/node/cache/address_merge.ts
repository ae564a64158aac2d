/**
 * Merging of a peer's address list when it is re-learnt (spec §8.2 addPeer). Items are compared
 * by `ip,port,proto` (the country field does not make an endpoint different).
 */
import { formatAddresses, parseAddresses } from "../../wire/address.ts";
import type { Endpoint } from "../../wire/address.ts";

function key(e: Endpoint): string {
  return `${e.ip},${e.port},${e.proto}`;
}

/**
 * Without `preferred`, the incoming list is reordered to follow the old order (items unknown
 * before go last). With `preferred` (an alternate address just worked), the old list is kept but
 * the incoming item(s) are moved first.
 */
export function mergeAddresses(old: string, incoming: string, preferred: boolean): string {
  const before = parseAddresses(old);
  const given = parseAddresses(incoming);
  if (preferred) {
    const first = new Set(given.map(key));
    return formatAddresses([...given, ...before.filter((e) => !first.has(key(e)))]);
  }
  const rank = new Map(before.map((e, i) => [key(e), i]));
  const ordered = given
    .map((e, i) => ({ e, r: rank.get(key(e)) ?? before.length + i }))
    .sort((a, b) => a.r - b.r)
    .map((x) => x.e);
  return formatAddresses(ordered);
}
