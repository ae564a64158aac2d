/**
 * Reader of MaxMind DB files (format v2, the GeoIP2/GeoLite2 format), written from the public
 * specification: search tree, 16-byte separator, data section, metadata. IPv4 addresses are looked
 * up in IPv4 trees directly and in IPv6 trees under `::/96` (where the format stores them);
 * IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) are looked up as the IPv4 address they carry.
 */
import { isIPv4 } from "../config/checks.ts";
import { parseIPv6 } from "../wire/prefix.ts";
import { DataDecoder, type MmdbValue } from "./data_decoder.ts";
import { MmdbError } from "./error.ts";
import { type MmdbMetadata, readMetadata } from "./metadata.ts";
import { SearchTree } from "./search_tree.ts";

/** An IP address as the tree reads it: 4 or 16 big-endian bytes. */
function addressBytes(ip: string): Uint8Array | undefined {
  if (isIPv4(ip)) return new Uint8Array(ip.split(".").map(Number));
  let b: Uint8Array;
  try {
    b = parseIPv6(ip);
  } catch {
    return undefined;
  }
  const mapped = b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;
  return mapped ? b.slice(12) : b;
}

/** An open MaxMind DB. */
export class MmdbReader {
  readonly metadata: MmdbMetadata;
  readonly #tree: SearchTree;
  readonly #data: DataDecoder;
  /** IPv6 trees: where the IPv4 space (`::/96`) starts, computed on first use */
  #ipv4Root?: ReturnType<SearchTree["walk"]>;

  private constructor(bytes: Uint8Array) {
    const { metadata, markerAt } = readMetadata(bytes);
    this.metadata = metadata;
    const dataStart = metadata.nodeCount * metadata.recordSize / 4 + 16;
    this.#data = new DataDecoder(bytes, dataStart, markerAt);
    this.#tree = new SearchTree(bytes, metadata.nodeCount, metadata.recordSize, this.#data.size);
  }

  /** Opens a database held in memory; throws `MmdbError` if it is not a usable MaxMind DB. */
  static fromBytes(bytes: Uint8Array): MmdbReader {
    return new MmdbReader(bytes);
  }

  /** Reads and opens the database file at `path`; throws with the path in the message. */
  static open(path: string): MmdbReader {
    let bytes: Uint8Array;
    try {
      bytes = Deno.readFileSync(path);
    } catch (e) {
      throw new MmdbError(`cannot read ${path}: ${(e as Error).message}`);
    }
    try {
      return new MmdbReader(bytes);
    } catch (e) {
      if (e instanceof MmdbError) throw new MmdbError(`${path}: ${e.detail}`);
      throw e;
    }
  }

  /**
   * The record of the network containing `ip`, or undefined when no stored network contains it
   * (or `ip` is not an IP address, or an IPv6 address asked to an IPv4 database). Throws
   * `MmdbError` when the part of the file the lookup reads is malformed.
   */
  lookup(ip: string): MmdbValue | undefined {
    const address = addressBytes(ip);
    if (!address) return undefined;
    let end;
    if (address.length === 16) {
      if (this.metadata.ipVersion === 4) return undefined;
      end = this.#tree.walk(address, 128);
    } else if (this.metadata.ipVersion === 4) {
      end = this.#tree.walk(address, 32);
    } else {
      const root = this.#ipv4Root ??= this.#tree.walk(new Uint8Array(12), 96);
      end = root.kind === "node" ? this.#tree.walk(address, 32, root.node) : root;
    }
    if (end.kind === "node") {
      throw new MmdbError(`search tree deeper than ${address.length * 8} bits`);
    }
    return end.kind === "data" ? this.#data.decode(end.offset) : undefined;
  }
}
