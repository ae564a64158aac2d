/**
 * A small MaxMind DB (format v2) writer for tests: builds fixture databases from a list of
 * networks (IPv4 or IPv6 CIDRs) and their records, with a chosen record size, optional aliases of
 * the IPv4 space (`::ffff:0:0/96` → `::/96` in IPv6 trees) and, by default, repeated values
 * stored once and referred to by pointers. Written from the public format specification.
 */
import { isIPv4 } from "../../lib/config/checks.ts";
import { METADATA_MARKER } from "../../lib/geoip/metadata.ts";
import { parseIPv6 } from "../../lib/wire/prefix.ts";

/** A value whose MMDB type is not the one inferred from its JS type. */
export class Typed {
  constructor(
    readonly type: "uint16" | "uint32" | "int32" | "uint64" | "uint128" | "float" | "double",
    readonly value: number | bigint,
  ) {}
}

/**
 * What can be written: string → utf8, integer number → uint32, other number → double,
 * bigint → uint64 (uint128 above 2^64), boolean, bytes, arrays and maps, or a `Typed` value.
 */
export type WriterValue =
  | string
  | number
  | bigint
  | boolean
  | Uint8Array
  | Typed
  | WriterValue[]
  | { [key: string]: WriterValue };

const TYPE = {
  pointer: 1,
  utf8: 2,
  double: 3,
  bytes: 4,
  uint16: 5,
  uint32: 6,
  map: 7,
  int32: 8,
  uint64: 9,
  uint128: 10,
  array: 11,
  boolean: 14,
  float: 15,
} as const;

/** Control byte(s) of a field: type (extended when above 7) and payload size. */
export function controlBytes(type: number, size: number): number[] {
  const out = [type <= 7 ? type << 5 : 0];
  if (type > 7) out.push(type - 7);
  if (size < 29) {
    out[0] |= size;
  } else if (size < 285) {
    out[0] |= 29;
    out.push(size - 29);
  } else if (size < 65821) {
    out[0] |= 30;
    out.push(...be(size - 285, 2));
  } else {
    out[0] |= 31;
    out.push(...be(size - 65821, 3));
  }
  return out;
}

/** Pointer to data-section offset `p`, in the smallest of the four encodings. */
export function pointerBytes(p: number): number[] {
  if (p < 2048) return [0x20 | (p >> 8), p & 0xff];
  if (p < 526336) {
    const q = p - 2048;
    return [0x28 | (q >> 16), ...be(q & 0xffff, 2)];
  }
  if (p < 526336 + 2 ** 27) {
    const q = p - 526336;
    return [0x30 | Math.floor(q / 0x1000000), ...be(q % 0x1000000, 3)];
  }
  return [0x38, ...be(p, 4)];
}

function be(v: number | bigint, n: number): number[] {
  let x = BigInt(v);
  const out = new Array<number>(n);
  for (let i = n - 1; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

function minimal(v: number | bigint): number[] {
  const out: number[] = [];
  for (let x = BigInt(v); x > 0n; x >>= 8n) out.unshift(Number(x & 0xffn));
  return out;
}

/** Encodes values into a data section, sharing repeated strings and maps through pointers. */
class DataWriter {
  readonly bytes: number[] = [];
  readonly #seen = new Map<string, number>();
  constructor(readonly pointers: boolean) {}

  /** Appends `v`; returns its offset. */
  add(v: WriterValue): number {
    const key = this.pointers && (typeof v === "string" || isMap(v)) ? stableKey(v) : undefined;
    const known = key === undefined ? undefined : this.#seen.get(key);
    const at = this.bytes.length;
    if (known !== undefined) {
      this.bytes.push(...pointerBytes(known));
      return at;
    }
    this.#field(v);
    if (key !== undefined) this.#seen.set(key, at);
    return at;
  }

  #field(v: WriterValue): void {
    const out = this.bytes;
    if (typeof v === "string") {
      const b = new TextEncoder().encode(v);
      out.push(...controlBytes(TYPE.utf8, b.length), ...b);
    } else if (typeof v === "boolean") {
      out.push(...controlBytes(TYPE.boolean, v ? 1 : 0));
    } else if (typeof v === "number") {
      this.#field(
        Number.isInteger(v) && v >= 0 && v < 2 ** 32
          ? new Typed("uint32", v)
          : new Typed("double", v),
      );
    } else if (typeof v === "bigint") {
      this.#field(new Typed(v < 2n ** 64n ? "uint64" : "uint128", v));
    } else if (v instanceof Uint8Array) {
      out.push(...controlBytes(TYPE.bytes, v.length), ...v);
    } else if (v instanceof Typed) {
      if (v.type === "double" || v.type === "float") {
        const n = v.type === "double" ? 8 : 4;
        const view = new DataView(new ArrayBuffer(n));
        if (n === 8) view.setFloat64(0, Number(v.value));
        else view.setFloat32(0, Number(v.value));
        out.push(...controlBytes(TYPE[v.type], n), ...new Uint8Array(view.buffer));
      } else {
        const raw = v.type === "int32" ? Number(v.value) >>> 0 : v.value;
        const payload = minimal(raw);
        out.push(...controlBytes(TYPE[v.type], payload.length), ...payload);
      }
    } else if (Array.isArray(v)) {
      out.push(...controlBytes(TYPE.array, v.length));
      for (const item of v) this.add(item);
    } else {
      const entries = Object.entries(v);
      out.push(...controlBytes(TYPE.map, entries.length));
      for (const [k, item] of entries) {
        this.add(k);
        this.add(item);
      }
    }
  }
}

function isMap(v: WriterValue): v is { [key: string]: WriterValue } {
  return typeof v === "object" && !Array.isArray(v) && !(v instanceof Uint8Array) &&
    !(v instanceof Typed);
}

function stableKey(v: WriterValue): string {
  return JSON.stringify(v, (_, x) => typeof x === "bigint" ? `${x}n` : x);
}

type Child = TreeNode | { data: number } | null;
interface TreeNode {
  children: [Child, Child];
}

function network(cidr: string, ipVersion: 4 | 6): { bytes: Uint8Array; bits: number } {
  const [ip, len] = cidr.split("/");
  const n = Number(len);
  if (isIPv4(ip)) {
    const v4 = ip.split(".").map(Number);
    if (ipVersion === 4) return { bytes: new Uint8Array(v4), bits: n };
    return { bytes: new Uint8Array([...new Array(12).fill(0), ...v4]), bits: 96 + n };
  }
  if (ipVersion === 4) throw new Error(`IPv6 network ${cidr} in an IPv4 database`);
  return { bytes: parseIPv6(ip), bits: n };
}

function bitAt(b: Uint8Array, i: number): 0 | 1 {
  return ((b[i >> 3] >> (7 - (i & 7))) & 1) as 0 | 1;
}

/** Parent node of the last bit of a network, creating (and splitting) nodes on the way. */
function parentOf(root: TreeNode, bytes: Uint8Array, bits: number): TreeNode {
  let node = root;
  for (let i = 0; i < bits - 1; i++) {
    const bit = bitAt(bytes, i);
    let child = node.children[bit];
    if (child === null || "data" in child) {
      child = { children: [child, child] };
      node.children[bit] = child;
    }
    node = child;
  }
  return node;
}

/** Options of `writeMmdb`. */
export interface WriterOptions {
  recordSize?: 24 | 28 | 32;
  ipVersion?: 4 | 6;
  /** IPv6 networks made to lead to the IPv4 space `::/96` (IPv6 trees only) */
  ipv4Aliases?: string[];
  databaseType?: string;
  /** share repeated strings and maps through pointers (default true) */
  pointers?: boolean;
  /** extra metadata entries (or replacements) */
  metadata?: Record<string, WriterValue>;
}

/**
 * A whole database file. `networks` are inserted in order (a later, narrower network overrides
 * part of an earlier, broader one).
 */
export function writeMmdb(
  networks: Array<{ cidr: string; value: WriterValue }>,
  o: WriterOptions = {},
): Uint8Array {
  const recordSize = o.recordSize ?? 28;
  const ipVersion = o.ipVersion ?? 6;
  const data = new DataWriter(o.pointers ?? true);
  const root: TreeNode = { children: [null, null] };
  for (const { cidr, value } of networks) {
    const { bytes, bits } = network(cidr, ipVersion);
    const offset = data.add(value);
    parentOf(root, bytes, bits).children[bitAt(bytes, bits - 1)] = { data: offset };
  }
  for (const alias of o.ipv4Aliases ?? []) {
    const v4 = parentOf(root, new Uint8Array(16), 96).children[0];
    if (v4 === null || "data" in v4) throw new Error("no IPv4 subtree to alias");
    const { bytes, bits } = network(alias, 6);
    parentOf(root, bytes, bits).children[bitAt(bytes, bits - 1)] = v4;
  }
  const ids = new Map<TreeNode, number>();
  const order: TreeNode[] = [];
  for (let queue = [root]; queue.length;) {
    const next: TreeNode[] = [];
    for (const node of queue) {
      if (ids.has(node)) continue;
      ids.set(node, order.length);
      order.push(node);
      for (const c of node.children) if (c && !("data" in c)) next.push(c);
    }
    queue = next;
  }
  const nodeCount = order.length;
  const value = (c: Child) =>
    c === null ? nodeCount : "data" in c ? nodeCount + 16 + c.data : ids.get(c)!;
  const tree: number[] = [];
  for (const node of order) {
    const [l, r] = node.children.map(value);
    if (recordSize === 24) tree.push(...be(l, 3), ...be(r, 3));
    else if (recordSize === 32) tree.push(...be(l, 4), ...be(r, 4));
    else {
      tree.push(...be(l % 0x1000000, 3));
      tree.push((Math.floor(l / 0x1000000) << 4) | Math.floor(r / 0x1000000));
      tree.push(...be(r % 0x1000000, 3));
    }
  }
  const meta = new DataWriter(false);
  meta.add({
    node_count: new Typed("uint32", nodeCount),
    record_size: new Typed("uint16", recordSize),
    ip_version: new Typed("uint16", ipVersion),
    database_type: o.databaseType ?? "re6st-Test-Country",
    languages: ["en"],
    binary_format_major_version: new Typed("uint16", 2),
    binary_format_minor_version: new Typed("uint16", 0),
    build_epoch: new Typed("uint64", 1_700_000_000n),
    description: { en: "re6st test fixture" },
    ...o.metadata,
  });
  return new Uint8Array([
    ...tree,
    ...new Array(16).fill(0),
    ...data.bytes,
    ...METADATA_MARKER,
    ...meta.bytes,
  ]);
}

/** A GeoLite2-Country-like record. */
export function countryRecord(country: string, continent: string): WriterValue {
  return {
    continent: { code: continent, geoname_id: 6255148, names: { en: `continent ${continent}` } },
    country: { geoname_id: 3017382, iso_code: country, names: { en: `country ${country}` } },
    registered_country: { geoname_id: 3017382, iso_code: country },
  };
}
