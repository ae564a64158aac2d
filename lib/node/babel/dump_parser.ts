/**
 * Pure parser of stock babeld 1.12's text `dump` lines (read-write local socket) into a
 * `BabelDump`. Tolerant: a malformed or unknown line is skipped and reported as a drop, never
 * an exception. Lines look like (observed with babeld 1.12.1):
 *   add interface eth0 up true ipv6 fe80::28fb:73ff:fe3f:e58e
 *   add neighbour 55dbf736f220 address fe80::e867:… if eth0 reach e000 ureach 0000 rxcost 96
 *     txcost 96 [rtt 1.234 rttcost 0] cost 96          (reach/ureach in hex)
 *   add xroute 2001:db8:a::/64-::/0 prefix 2001:db8:a::/64 from ::/0 metric 0
 *   add route 55dbf736f460 prefix 2001:db8:b::/64 from ::/0 installed yes id f8:a1:…:4c
 *     metric 96 refmetric 0 via fe80::e867:… if eth0
 */
import type { BabelDump, BabelInterface, BabelNeighbour, BabelRoute } from "./types.ts";

/** A skipped line and why. */
export interface DumpDrop {
  line: string;
  reason: string;
}

/** Result of `parseDump`: the dump and the lines that were skipped. */
export interface ParsedDump {
  dump: BabelDump;
  dropped: DumpDrop[];
}

type Fields = Map<string, string>;

/** `k1 v1 k2 v2 …` → map; undefined when the count is odd. */
function pairs(tokens: string[]): Fields | undefined {
  if (tokens.length % 2 !== 0) return undefined;
  const m: Fields = new Map();
  for (let i = 0; i < tokens.length; i += 2) m.set(tokens[i], tokens[i + 1]);
  return m;
}

class Bad extends Error {}

function need(f: Fields, key: string): string {
  const v = f.get(key);
  if (v === undefined) throw new Bad(`missing '${key}'`);
  return v;
}

function decimal(f: Fields, key: string): number {
  const v = need(f, key);
  if (!/^\d+$/.test(v)) throw new Bad(`'${key}' is not a number: ${v}`);
  return Number(v);
}

function prefix(f: Fields, key: string): string {
  const v = need(f, key);
  if (!/^[0-9a-fA-F:.]+\/\d{1,3}$/.test(v)) throw new Bad(`'${key}' is not a prefix: ${v}`);
  return v;
}

function bool(f: Fields, key: string, yes: string, no: string): boolean {
  const v = need(f, key);
  if (v !== yes && v !== no) throw new Bad(`'${key}' is neither ${yes} nor ${no}: ${v}`);
  return v === yes;
}

function iface(name: string, f: Fields): BabelInterface {
  const ipv6 = f.get("ipv6");
  return { name, up: bool(f, "up", "true", "false"), ...(ipv6 ? { ipv6 } : {}) };
}

function neighbour(id: string, f: Fields): BabelNeighbour {
  const reach = need(f, "reach");
  if (!/^[0-9a-fA-F]{1,4}$/.test(reach)) throw new Bad(`'reach' is not hex: ${reach}`);
  const n: BabelNeighbour = {
    id,
    address: need(f, "address"),
    ifname: need(f, "if"),
    reach: parseInt(reach, 16),
    rxcost: decimal(f, "rxcost"),
    txcost: decimal(f, "txcost"),
    cost: decimal(f, "cost"),
  };
  const rtt = f.get("rtt");
  if (rtt !== undefined) {
    if (!/^\d+(\.\d+)?$/.test(rtt)) throw new Bad(`'rtt' is not a number: ${rtt}`);
    n.rtt = Number(rtt);
  }
  return n;
}

function route(id: string, f: Fields): BabelRoute {
  return {
    id,
    prefix: prefix(f, "prefix"),
    from: prefix(f, "from"),
    installed: bool(f, "installed", "yes", "no"),
    routerId: need(f, "id"),
    metric: decimal(f, "metric"),
    refmetric: decimal(f, "refmetric"),
    via: need(f, "via"),
    ifname: need(f, "if"),
  };
}

/** Parses the data lines of one `dump` reply (without the final `ok`). */
export function parseDump(lines: string[]): ParsedDump {
  const dump: BabelDump = { interfaces: [], neighbours: [], routes: [] };
  const dropped: DumpDrop[] = [];
  for (const line of lines) {
    if (line.trim() === "") continue;
    const tokens = line.trim().split(/\s+/);
    const [verb, kind, id, ...rest] = tokens;
    const drop = (reason: string) => dropped.push({ line, reason });
    if (verb !== "add" || id === undefined) {
      drop("not an `add <kind> <id> …` line");
      continue;
    }
    const f = pairs(rest);
    if (!f) {
      drop("odd number of key/value tokens");
      continue;
    }
    try {
      if (kind === "interface") dump.interfaces.push(iface(id, f));
      else if (kind === "neighbour") dump.neighbours.push(neighbour(id, f));
      else if (kind === "route") dump.routes.push(route(id, f));
      else if (kind !== "xroute") drop(`unknown kind '${kind}'`);
    } catch (e) {
      if (!(e instanceof Bad)) throw e;
      drop(e.message);
    }
  }
  return { dump, dropped };
}
