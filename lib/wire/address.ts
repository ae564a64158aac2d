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
 * through `onWarning`; fields past the fourth are dropped.
 */
export function parseAddresses(text: string, onWarning?: (msg: string) => void): Endpoint[] {
  const out: Endpoint[] = [];
  if (text === "") return out;
  for (const item of text.split(";")) {
    const fields = item.split(",").slice(0, 4);
    const [ip, port, proto, country] = fields;
    if (fields.length < 3 || !/^\d+$/.test(port ?? "") || Number(port) > 65535) {
      onWarning?.(`ignoring malformed address item ${JSON.stringify(item)}`);
      continue;
    }
    const e: Endpoint = { ip, port: Number(port), proto };
    if (country !== undefined) e.country = country;
    out.push(e);
  }
  return out;
}

/** Serialises endpoints; `withCountry = false` strips the 4th field (peers below protocol 7). */
export function formatAddresses(list: readonly Endpoint[], withCountry = true): string {
  return list.map((e) => {
    const base = `${e.ip},${e.port},${e.proto}`;
    return withCountry && e.country ? `${base},${e.country}` : base;
  }).join(";");
}
