/**
 * Prefix allocation (spec §5.2): a buddy allocator over the `cert` table's binary partition of
 * the network's node space, with communities (§5.3) and buddy coalescing on purge. Written
 * against the small `BlockStore` view so that the same code runs over sqlite rows inside a
 * transaction and over an in-memory table in tests.
 */
import type { Bits } from "../wire/prefix.ts";

/** The operations the allocator needs from the partition table. */
export interface BlockStore {
  /** Longest free block starting with `community`, at most `maxLen` bits; oldest row on ties. */
  longestFreeBlock(community: Bits, maxLen: number): Bits | undefined;
  /** The block whose prefix is a prefix of `bits`, with its state (`cert` null = free). */
  blockContaining(bits: Bits): { prefix: Bits; cert: string | null } | undefined;
  /** Renames a block, keeping its row identity. */
  renameBlock(from: Bits, to: Bits): void;
  /** Adds a new (newest) free block. */
  insertFreeBlock(prefix: Bits): void;
  /** Marks a block as permanently reserved. */
  reserveBlock(prefix: Bits): void;
  /** Deletes a block row. */
  deleteBlock(prefix: Bits): void;
  /** Every free block. */
  freeBlocks(): Bits[];
}

/** Raised when no block of the requested size is left (HTTP 500, as in the reference). */
export class NoFreePrefixError extends Error {
  constructor(length: number) {
    super(`No more free /${length} prefix available`);
  }
}

/**
 * Allocates a block of `prefixLen` bits below `community` (so `prefixLen + |community|` bits
 * long) in a node space of `maxLen` bits (128 − |network|). The returned block is still free
 * in the store: the caller must store a certificate in it within the same transaction.
 */
export function newPrefix(
  store: BlockStore,
  prefixLen: number,
  community: Bits,
  maxLen: number,
): Bits {
  const length = prefixLen + community.length;
  if (!Number.isInteger(prefixLen) || length <= 0 || length > maxLen) {
    throw new RangeError(`invalid prefix length ${prefixLen} (community ${community || "''"})`);
  }
  for (;;) {
    let prefix = store.longestFreeBlock(community, length);
    if (prefix === undefined) {
      const block = store.blockContaining(community);
      if (!block || block.cert !== null) throw new NoFreePrefixError(length);
      prefix = block.prefix;
    }
    for (let x = prefix.length; x < length; x++) {
      const bit = x < community.length ? community[x] : "0";
      store.renameBlock(prefix, prefix + (bit === "0" ? "1" : "0"));
      prefix += bit;
      store.insertFreeBlock(prefix);
    }
    if (prefix.length < maxLen || prefix.slice(community.length).includes("1")) return prefix;
    store.reserveBlock(prefix);
  }
}

/**
 * Buddy coalescing: from the longest blocks upwards, two free siblings are merged into their
 * (free) parent, until no more merges apply. Returns the number of merges.
 */
export function mergePrefixes(store: BlockStore): number {
  const free = new Set(store.freeBlocks());
  let maxLen = 0;
  for (const p of free) maxLen = Math.max(maxLen, p.length);
  let merges = 0;
  for (let len = maxLen; len > 0; len--) {
    for (const p of [...free]) {
      if (p.length !== len || !p.endsWith("0")) continue;
      const parent = p.slice(0, -1);
      const sibling = parent + "1";
      if (!free.has(sibling)) continue;
      store.deleteBlock(sibling);
      store.renameBlock(p, parent);
      free.delete(p);
      free.delete(sibling);
      free.add(parent);
      merges++;
    }
  }
  return merges;
}
