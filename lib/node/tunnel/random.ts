/**
 * Injected randomness for the pure node cores (tunnel manager, peer cache): a `Random` is any
 * function returning uniform numbers in [0, 1). Tests and the simulator use `seededRandom` so that
 * the same seed yields the same decisions; the daemon may pass `Math.random`.
 */

/** Uniform number in [0, 1). */
export type Random = () => number;

/** Deterministic generator (mulberry32) seeded with a 32-bit integer. */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Uniform integer in [0, n). */
export function randomInt(random: Random, n: number): number {
  return Math.floor(random() * n);
}

/** Shuffles `items` in place (Fisher–Yates) and returns it. */
export function shuffle<T>(random: Random, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randomInt(random, i + 1);
    const t = items[i];
    items[i] = items[j];
    items[j] = t;
  }
  return items;
}
