/**
 * The binary search tree of a MaxMind DB: `nodeCount` nodes of two big-endian records
 * (24, 28 or 32 bits each; with 28 bits the middle byte holds the top nibble of the left record
 * in its high half and of the right record in its low half). A record below `nodeCount` is a
 * node, equal to it means "no data", above it points into the data section. A walk reads one
 * bit per level and never takes more steps than the address has bits.
 */
import { MmdbError } from "./error.ts";

/** Where a walk ended: no data, or data at `offset` in the data section; `depth` = bits used. */
export type TreeResult = { kind: "empty"; depth: number } | {
  kind: "data";
  offset: number;
  depth: number;
};

/** Read access to the search tree at the start of a file. */
export class SearchTree {
  readonly #bytes: Uint8Array;
  readonly nodeCount: number;
  readonly recordSize: 24 | 28 | 32;
  readonly #dataSize: number;
  readonly #nodeBytes: number;

  /** `dataSize`: size of the data section, to check data pointers. */
  constructor(
    bytes: Uint8Array,
    nodeCount: number,
    recordSize: 24 | 28 | 32,
    dataSize: number,
  ) {
    this.#bytes = bytes;
    this.nodeCount = nodeCount;
    this.recordSize = recordSize;
    this.#dataSize = dataSize;
    this.#nodeBytes = recordSize / 4;
    if (nodeCount * this.#nodeBytes > bytes.length) {
      throw new MmdbError(`search tree of ${nodeCount} nodes does not fit in the file`);
    }
  }

  /** Record `side` (0 = left, 1 = right) of node `node`. */
  record(node: number, side: 0 | 1): number {
    const b = this.#bytes;
    const at = node * this.#nodeBytes;
    const u24 = (p: number) => b[p] * 0x10000 + b[p + 1] * 0x100 + b[p + 2];
    switch (this.recordSize) {
      case 24:
        return u24(at + 3 * side);
      case 28:
        return side === 0
          ? (b[at + 3] >> 4) * 0x1000000 + u24(at)
          : (b[at + 3] & 0x0f) * 0x1000000 + u24(at + 4);
      case 32:
        return b[at + 4 * side] * 0x1000000 + u24(at + 4 * side + 1);
    }
  }

  /**
   * Follows the first `bits` bits of `address` (big-endian bytes) from node `from`. A walk that
   * runs out of bits on a node is "empty" (the address is in no stored network).
   */
  walk(address: Uint8Array, bits: number, from = 0): TreeResult | { kind: "node"; node: number } {
    let node = from;
    for (let i = 0; i < bits; i++) {
      const bit = (address[i >> 3] >> (7 - (i & 7))) & 1;
      const r = this.record(node, bit as 0 | 1);
      if (r < this.nodeCount) {
        node = r;
        continue;
      }
      if (r === this.nodeCount) return { kind: "empty", depth: i + 1 };
      const offset = r - this.nodeCount - 16;
      if (offset < 0 || offset >= this.#dataSize) {
        throw new MmdbError(`tree record ${r} of node ${node} points outside the data section`);
      }
      return { kind: "data", offset, depth: i + 1 };
    }
    return { kind: "node", node };
  }
}
