/**
 * Address strings advertised by nodes (spec §0): `ip,port,proto[,country]` items joined by `;`.
 */

/** One reachable endpoint of a node. */
export interface Endpoint {
  ip: string;
  port: number;
  proto: string;
  country?: string;
}

/** Protocol names accepted in address strings. */
export const PROTOCOLS = ["udp", "tcp", "udp6", "tcp6", "udp4", "tcp4"] as const;

/** Canonical protocol name: `udp4` → `udp`, `tcp4` → `tcp`. */
export function canonicalProto(proto: string): string {
  return proto === "udp4" ? "udp" : proto === "tcp4" ? "tcp" : proto;
}

/**
 * Parses an address string. Items whose port is not an integer are skipped and reported
 * through `onWarning`; fields past the fourth are dropped. Read in place, without splitting (the
 * tunnel manager parses one per tunnel attempt, the simulator millions).
 */
export function parseAddresses(text: string, onWarning?: (msg: string) => void): Endpoint[] {
  const out: Endpoint[] = [];
  if (text === "") return out;
  for (let start = 0;;) {
    const semi = text.indexOf(";", start);
    const end = semi < 0 ? text.length : semi;
    const e = parseItem(text, start, end);
    if (e) out.push(e);
    else onWarning?.(`ignoring malformed address item ${JSON.stringify(text.slice(start, end))}`);
    if (semi < 0) return out;
    start = semi + 1;
  }
}

/** Position of the next `,` in `text[from, end)`, or -1. */
function comma(text: string, from: number, end: number): number {
  const at = text.indexOf(",", from);
  return at >= 0 && at < end ? at : -1;
}

/** `ip,port,proto[,country[,…]]` in `text[start, end)`, or undefined if malformed. */
function parseItem(text: string, start: number, end: number): Endpoint | undefined {
  const c1 = comma(text, start, end);
  const c2 = c1 < 0 ? -1 : comma(text, c1 + 1, end);
  if (c2 < 0 || c2 === c1 + 1) return undefined;
  let port = 0;
  for (let x = c1 + 1; x < c2; x++) {
    const digit = text.charCodeAt(x) - 48;
    if (digit < 0 || digit > 9) return undefined;
    port = port * 10 + digit;
  }
  if (port > 65535) return undefined;
  const c3 = comma(text, c2 + 1, end);
  const e: Endpoint = {
    ip: text.slice(start, c1),
    port,
    proto: text.slice(c2 + 1, c3 < 0 ? end : c3),
  };
  if (c3 >= 0) {
    const c4 = comma(text, c3 + 1, end);
    e.country = text.slice(c3 + 1, c4 < 0 ? end : c4);
  }
  return e;
}

/** Serialises endpoints; `withCountry = false` strips the 4th field (peers below protocol 7). */
export function formatAddresses(list: readonly Endpoint[], withCountry = true): string {
  return list.map((e) => {
    const base = `${e.ip},${e.port},${e.proto}`;
    return withCountry && e.country ? `${base},${e.country}` : base;
  }).join(";");
}
