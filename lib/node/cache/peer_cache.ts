/**
 * The node's peer cache (spec §8): known peers with their address strings, a volatile
 * "connection attempt in progress or failed" flag per peer (`try`, never persisted), our own
 * advertised address, and the stored network parameters (§7.4).
 *
 * Synchronous by design (node:sqlite's DatabaseSync is synchronous) so that the pure tunnel
 * manager core can use it directly. Two implementations: `MemoryPeerCache` (simulator, tests) and
 * `SqlitePeerCache` (`<state>/cache.db`). Randomness is injected into both.
 */
import type { Bits } from "../../wire/prefix.ts";

/** Most peers the cache ever holds (statement 36). */
export const CACHE_SIZE = 200;

/** A stored configuration value, as sqlite holds it. */
export type ConfigValue = string | number | Uint8Array | null;

/** One peer row, for status output and trace logging. */
export interface PeerRow {
  prefix: Bits;
  address: string;
  /** `try = 1`: a connection attempt is in progress or failed (blacklisted until re-learnt) */
  failed: boolean;
}

/** Operations of spec §8.2 plus the `config` table of §7.4. */
export interface PeerCache {
  /**
   * Learns or refreshes a peer. A new prefix first trims the cache to make room (keeping at most
   * `CACHE_SIZE` peers, dropping failed ones first, then at random). For a known prefix the
   * address orderings are merged (see `mergeAddresses`). Always clears the peer's `try` flag.
   */
  addPeer(prefix: Bits, address: string, preferred?: boolean): void;
  /** The peer's address string, only if it is not blacklisted (`try = 0`). */
  getAddress(prefix: Bits): string | undefined;
  /** Peers with `try = failed`, random order, never our own prefix. */
  getPeerList(failed?: boolean): Array<[Bits, string]>;
  /** Sets or clears the `try` flag of a peer. */
  connecting(prefix: Bits, flag: boolean): void;
  /** Clears every `try` flag. */
  resetConnecting(): void;
  /** Our own advertised address string (row `''`). */
  getMyAddress(): string | undefined;
  setMyAddress(address: string): void;
  deleteMyAddress(): void;
  /** Keeps only `n` peers, non-failed first, chosen at random (called at exit). */
  cacheMinimize(n: number): void;
  /** Every peer row, prefix order. */
  listPeers(): PeerRow[];
  /** A stored network parameter, decoded (`<name>:json` rows are parsed). */
  getConfig(name: string): unknown;
  /** Every stored parameter by name, decoded. */
  allConfig(): Map<string, unknown>;
  /**
   * Replaces the stored parameters by `rows` (row names as produced by `configRows`) and returns
   * the names (without `:json`) whose value changed, appeared or disappeared.
   */
  updateConfig(rows: ReadonlyMap<string, ConfigValue>): string[];
  /** Releases resources (closes the database). */
  close(): void;
}

/** True if two stored config values are equal (byte-wise for blobs). */
export function sameConfigValue(a: ConfigValue | undefined, b: ConfigValue | undefined): boolean {
  if (a instanceof Uint8Array && b instanceof Uint8Array) {
    return a.length === b.length && a.every((x, i) => x === b[i]);
  }
  return a === b;
}

/** Decodes one stored config row by its row name. */
export function decodeConfigRow(name: string, value: ConfigValue): [string, unknown] {
  if (name.endsWith(":json") && typeof value === "string") {
    return [name.slice(0, -5), JSON.parse(value)];
  }
  return [name, value];
}

/** Row names (without `:json`) that differ between two stored config sets. */
export function changedConfigNames(
  before: ReadonlyMap<string, ConfigValue>,
  after: ReadonlyMap<string, ConfigValue>,
): string[] {
  const changed = new Set<string>();
  const base = (n: string) => (n.endsWith(":json") ? n.slice(0, -5) : n);
  for (const [name, value] of after) {
    if (!sameConfigValue(before.get(name), value)) changed.add(base(name));
  }
  for (const name of before.keys()) if (!after.has(name)) changed.add(base(name));
  return [...changed].sort();
}

/**
 * The prefixes to keep when trimming to `n` peers: non-failed first, then at random. `rows` must
 * come in a deterministic order (prefix order) so that a seeded `random` gives repeatable results.
 */
export function peersToKeep(rows: readonly PeerRow[], n: number, random: () => number): Set<Bits> {
  if (rows.length <= n) return new Set(rows.map((r) => r.prefix));
  const keyed = rows.map((r) => ({ r, k: (r.failed ? 1 : 0) + random() }));
  keyed.sort((a, b) => a.k - b.k);
  return new Set(keyed.slice(0, Math.max(0, n)).map((x) => x.r.prefix));
}
