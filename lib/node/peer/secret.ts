/**
 * Peer session secrets (spec §0, §9.3): 20 bytes, the first 8 being the current time in
 * microseconds (big-endian), the rest random, so a newer secret compares greater byte-wise.
 */

/** Length of a peer session secret. */
export const SECRET_LEN = 20;

/** Source of random bytes (injected: node:crypto randomBytes in production, seeded in tests). */
export type RandomBytes = (n: number) => Uint8Array;

/** A fresh time-based secret for the wall-clock time `nowMs` (ms since the epoch). */
export function timeSecret(nowMs: number, random: RandomBytes): Uint8Array {
  const out = new Uint8Array(SECRET_LEN);
  new DataView(out.buffer).setBigUint64(0, BigInt(Math.floor(nowMs * 1000)));
  const tail = random(SECRET_LEN - 8);
  if (tail.length !== SECRET_LEN - 8) throw new RangeError("random source returned a bad length");
  out.set(tail, 8);
  return out;
}

/** Byte-wise lexicographic comparison: negative, 0 or positive like `a − b`. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i] - b[i];
  }
  return a.length - b.length;
}
