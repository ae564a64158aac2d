/**
 * Metadata of a MaxMind DB: a map stored after the last `\xab\xcd\xefMaxMind.com` marker within
 * the file's last 128 KiB. Required keys are checked for type and sense (major version 2, record
 * size 24/28/32, IP version 4/6, a search tree that fits before the metadata).
 */
import { DataDecoder, type MmdbMap, type MmdbValue } from "./data_decoder.ts";
import { MmdbError } from "./error.ts";

/** The marker that starts the metadata section. */
export const METADATA_MARKER = new Uint8Array([
  0xab,
  0xcd,
  0xef,
  ...new TextEncoder().encode("MaxMind.com"),
]);

/** Largest metadata section (marker included). */
export const METADATA_MAX_SIZE = 128 * 1024;

/** Record sizes this reader handles (bits per record; a node has two). */
export const RECORD_SIZES = [24, 28, 32] as const;

/** What the metadata says about the file. */
export interface MmdbMetadata {
  nodeCount: number;
  recordSize: 24 | 28 | 32;
  ipVersion: 4 | 6;
  databaseType: string;
  majorVersion: number;
  minorVersion: number;
  /** build time, Unix seconds */
  buildEpoch: bigint;
  languages: string[];
  /** descriptions by language code */
  description: Record<string, string>;
}

/** Position of the metadata marker in `bytes` (its last occurrence), or throws. */
export function findMetadataMarker(bytes: Uint8Array): number {
  const m = METADATA_MARKER;
  const lowest = Math.max(0, bytes.length - METADATA_MAX_SIZE);
  for (let i = bytes.length - m.length; i >= lowest; i--) {
    let j = 0;
    while (j < m.length && bytes[i + j] === m[j]) j++;
    if (j === m.length) return i;
  }
  throw new MmdbError("no metadata marker (not a MaxMind DB file, or truncated)");
}

function integer(meta: MmdbMap, key: string, max: number): number {
  const v: MmdbValue | undefined = meta[key];
  const n = typeof v === "bigint" && v <= BigInt(max) ? Number(v) : v;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 0 || n > max) {
    throw new MmdbError(`metadata ${key} missing or not an integer up to ${max}`);
  }
  return n;
}

/** Reads and checks the metadata of a whole file. */
export function readMetadata(bytes: Uint8Array): { metadata: MmdbMetadata; markerAt: number } {
  const markerAt = findMetadataMarker(bytes);
  const start = markerAt + METADATA_MARKER.length;
  if (start >= bytes.length) throw new MmdbError("empty metadata section");
  const meta = new DataDecoder(bytes, start, bytes.length).decode(0);
  if (
    typeof meta !== "object" || meta === null || Array.isArray(meta) || meta instanceof Uint8Array
  ) {
    throw new MmdbError("metadata is not a map");
  }
  const majorVersion = integer(meta, "binary_format_major_version", 0xffff);
  if (majorVersion !== 2) throw new MmdbError(`unsupported format version ${majorVersion}`);
  const recordSize = integer(meta, "record_size", 0xffff);
  if (!(RECORD_SIZES as readonly number[]).includes(recordSize)) {
    throw new MmdbError(`unsupported record size ${recordSize} (want 24, 28 or 32)`);
  }
  const ipVersion = integer(meta, "ip_version", 0xffff);
  if (ipVersion !== 4 && ipVersion !== 6) throw new MmdbError(`IP version ${ipVersion}`);
  const nodeCount = integer(meta, "node_count", 0xffffffff);
  if (nodeCount === 0) throw new MmdbError("empty search tree");
  const treeSize = nodeCount * recordSize / 4;
  if (treeSize + 16 > markerAt) {
    throw new MmdbError(`search tree of ${nodeCount} nodes does not fit in the file`);
  }
  const databaseType = meta.database_type;
  if (typeof databaseType !== "string") throw new MmdbError("metadata database_type missing");
  const buildEpoch = meta.build_epoch;
  if (typeof buildEpoch !== "bigint" && typeof buildEpoch !== "number") {
    throw new MmdbError("metadata build_epoch missing");
  }
  const languages = Array.isArray(meta.languages)
    ? meta.languages.filter((l): l is string => typeof l === "string")
    : [];
  const description: Record<string, string> = {};
  const d = meta.description;
  if (d && typeof d === "object" && !Array.isArray(d) && !(d instanceof Uint8Array)) {
    for (const [k, v] of Object.entries(d)) if (typeof v === "string") description[k] = v;
  }
  return {
    metadata: {
      nodeCount,
      recordSize: recordSize as 24 | 28 | 32,
      ipVersion,
      databaseType,
      majorVersion,
      minorVersion: integer(meta, "binary_format_minor_version", 0xffff),
      buildEpoch: BigInt(buildEpoch),
      languages,
      description,
    },
    markerAt,
  };
}
