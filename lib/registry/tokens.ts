/** Registration tokens (spec §6): 8 distinct random lowercase ASCII letters. */
import crypto from "node:crypto";

/** Token length. */
export const TOKEN_LENGTH = 8;

const LETTERS = "abcdefghijklmnopqrstuvwxyz";

/**
 * A new token: a random sample of 8 distinct letters. `randomInt(n)` returns an integer in
 * [0, n) and defaults to a cryptographic source.
 */
export function makeToken(randomInt: (n: number) => number = crypto.randomInt): string {
  const pool = [...LETTERS];
  let token = "";
  for (let i = 0; i < TOKEN_LENGTH; i++) token += pool.splice(randomInt(pool.length), 1)[0];
  return token;
}

/** True if `s` has the shape of a token (used to reject garbage early). */
export function isTokenShaped(s: string): boolean {
  return /^[a-z]{8}$/.test(s) && new Set(s).size === TOKEN_LENGTH;
}
