/**
 * Diffie-Hellman parameters for OpenVPN servers (`--dh`): the RFC 7919 group ffdhe2048
 * (generator 2), a published constant, so nothing slow is generated at set-up.
 *
 * - `ffdhe2048Prime()`: p = 2^2048 − 2^1984 + (⌊2^1918·e⌋ + 560316)·2^64 − 1 (RFC 7919 §A.1),
 *   computed from its definition;
 * - `dhParamsPem()`: PKCS#3 `DH PARAMETERS` PEM of (p, 2);
 * - `writeDhParams(path)` writes it.
 */
import { derSeq, encInteger } from "./der.ts";
import { toPem } from "./pem.ts";

/** ⌊2^bits · e⌋, from the series e = Σ 1/k! with 64 guard bits. */
function scaledE(bits: bigint): bigint {
  const guard = 64n;
  let term = 1n << (bits + guard);
  let sum = 0n;
  for (let k = 1n; term > 0n; k++) {
    sum += term;
    term /= k;
  }
  return sum >> guard;
}

let prime: bigint | undefined;

/** The ffdhe2048 prime of RFC 7919. */
export function ffdhe2048Prime(): bigint {
  prime ??= (1n << 2048n) - (1n << 1984n) + ((scaledE(1918n) + 560316n) << 64n) - 1n;
  return prime;
}

/** ffdhe2048 as a PEM `DH PARAMETERS` block. */
export function dhParamsPem(): string {
  return toPem("DH PARAMETERS", derSeq(encInteger(ffdhe2048Prime()), encInteger(2n)));
}

/** Writes the ffdhe2048 parameters to `path` (for OpenVPN `--dh`). */
export async function writeDhParams(path: string): Promise<void> {
  await Deno.writeTextFile(path, dhParamsPem());
}
