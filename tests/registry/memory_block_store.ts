/** An in-memory `BlockStore` (rows in rowid order) to test the allocator without sqlite. */
import type { BlockStore } from "../../lib/registry/allocator.ts";

/** A partition table held in an array; `cert` null = free. */
export class MemoryBlockStore implements BlockStore {
  rows: { prefix: string; cert: string | null }[] = [{ prefix: "", cert: null }];

  longestFreeBlock(community: string, maxLen: number): string | undefined {
    let best: string | undefined;
    for (const r of this.rows) {
      if (r.cert !== null || r.prefix.length > maxLen || !r.prefix.startsWith(community)) continue;
      if (best === undefined || r.prefix.length > best.length) best = r.prefix;
    }
    return best;
  }
  blockContaining(bits: string) {
    return this.rows.find((r) => bits.startsWith(r.prefix));
  }
  renameBlock(from: string, to: string): void {
    this.#row(from).prefix = to;
  }
  insertFreeBlock(prefix: string): void {
    this.rows.push({ prefix, cert: null });
  }
  reserveBlock(prefix: string): void {
    this.#row(prefix).cert = "reserved";
  }
  deleteBlock(prefix: string): void {
    this.rows = this.rows.filter((r) => r.prefix !== prefix);
  }
  freeBlocks(): string[] {
    return this.rows.filter((r) => r.cert === null).map((r) => r.prefix);
  }
  /** Marks a block allocated (what storing a certificate does). */
  allocate(prefix: string): void {
    this.#row(prefix).cert = "PEM";
  }
  /** Frees a block (what revocation/purge does). */
  release(prefix: string): void {
    this.#row(prefix).cert = null;
  }
  #row(prefix: string) {
    const r = this.rows.find((r) => r.prefix === prefix);
    if (!r) throw new Error(`no row ${prefix}`);
    return r;
  }
}
