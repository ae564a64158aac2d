/**
 * External ports offered to the IGD (spec §13.1): a pseudo-random walk over 32768–40959 driven
 * by a full-period linear congruential generator `n ← (a·n + c) mod 8192` with `a = 1 + 4·r1`
 * and `c = 1 + 2·r2`. By the Hull–Dobell theorem (c odd, a ≡ 1 mod 4, modulus a power of 2)
 * every one of the 8192 ports comes once per period, so successive tries are distinct.
 * Pure: the randomness (r1, r2, start) is injected.
 */

/** First external port of the range. */
export const PORT_BASE = 32768;
/** Number of ports in the range (also the LCG modulus). */
export const PORT_COUNT = 8192;

/** Random integer in [0, n); injectable so that tests are deterministic. */
export type RandomInt = (n: number) => number;

/** `crypto.getRandomValues`-backed `RandomInt`. */
export const cryptoRandomInt: RandomInt = (n) => {
  const [x] = crypto.getRandomValues(new Uint32Array(1));
  return x % n;
};

/** The LCG's parameters: multiplier index r1 ∈ [0,2047], increment index r2 ∈ [0,4095]. */
export interface PortSequenceSeed {
  r1: number;
  r2: number;
  /** initial state n ∈ [0,8191] */
  start: number;
}

/** Draws a seed from `random`. */
export function randomPortSeed(random: RandomInt = cryptoRandomInt): PortSequenceSeed {
  return { r1: random(2048), r2: random(4096), start: random(PORT_COUNT) };
}

/** An endless sequence of external ports; each `next()` advances the LCG once. */
export class PortSequence {
  private readonly a: number;
  private readonly c: number;
  private n: number;

  constructor(seed: PortSequenceSeed) {
    const { r1, r2, start } = seed;
    if (!inRange(r1, 2048) || !inRange(r2, 4096) || !inRange(start, PORT_COUNT)) {
      throw new RangeError(`bad port sequence seed ${JSON.stringify(seed)}`);
    }
    this.a = 1 + 4 * r1;
    this.c = 1 + 2 * r2;
    this.n = start;
  }

  /** The next external port, in [32768, 40959]. */
  next(): number {
    // a < 8192 and n < 8192, so a·n + c < 2^27: exact in a double.
    this.n = (this.a * this.n + this.c) % PORT_COUNT;
    return PORT_BASE + this.n;
  }
}

function inRange(x: number, n: number): boolean {
  return Number.isInteger(x) && x >= 0 && x < n;
}
