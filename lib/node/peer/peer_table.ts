/**
 * Peer sessions kept sorted by prefix (spec §9.1): the entry for a sender bit string `S` is
 * the greatest known prefix ≤ `S`, found by binary search. We additionally require that
 * prefix to be a prefix of `S`, so a packet is never attributed to a peer that does not own
 * its source address.
 */
import type { Bits } from "../../wire/prefix.ts";
import type { PeerSession } from "./session.ts";

/** Sorted array of peer sessions. */
export class PeerTable {
  private readonly entries: PeerSession[] = [];

  /** Number of peers. */
  get size(): number {
    return this.entries.length;
  }

  /** Index of the first entry whose prefix is > `key`. */
  private upperBound(key: string): number {
    let lo = 0, hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.entries[mid].prefix <= key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The entry for exactly `prefix`. */
  get(prefix: Bits): PeerSession | undefined {
    const i = this.upperBound(prefix) - 1;
    const e = this.entries[i];
    return e && e.prefix === prefix ? e : undefined;
  }

  /** The entry owning sender bits `s`: greatest prefix ≤ `s`, if `s` starts with it. */
  lookup(s: Bits): PeerSession | undefined {
    const e = this.entries[this.upperBound(s) - 1];
    return e && s.startsWith(e.prefix) ? e : undefined;
  }

  /** Inserts a session (replacing one with the same prefix). */
  insert(session: PeerSession): void {
    const i = this.upperBound(session.prefix);
    if (i > 0 && this.entries[i - 1].prefix === session.prefix) this.entries[i - 1] = session;
    else this.entries.splice(i, 0, session);
  }

  /** Removes the entry for `prefix`; returns it if it existed. */
  remove(prefix: Bits): PeerSession | undefined {
    const i = this.upperBound(prefix) - 1;
    const e = this.entries[i];
    if (!e || e.prefix !== prefix) return undefined;
    this.entries.splice(i, 1);
    return e;
  }

  /** All sessions in prefix order. */
  values(): readonly PeerSession[] {
    return this.entries;
  }
}
