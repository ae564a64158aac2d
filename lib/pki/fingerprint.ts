/**
 * Certificate fingerprints in re6st-conf's `--fingerprint ALG:HEX` form.
 *
 * - `fingerprint(der, alg = "sha256")` → `"sha256:<lowercase hex>"` (any node:crypto hash);
 * - `matchesFingerprint(der, "ALG:HEX")` compares (hex case and `:` separators ignored).
 * Unknown algorithms or a malformed spec throw `PkiError("invalid-argument")`.
 */
import crypto from "node:crypto";
import { PkiError } from "./errors.ts";

/** `alg:hex` digest of `der`. */
export function fingerprint(der: Uint8Array, alg = "sha256"): string {
  const name = alg.toLowerCase();
  if (!crypto.getHashes().includes(name)) {
    throw new PkiError("invalid-argument", `unknown hash algorithm: ${alg}`);
  }
  return `${name}:${crypto.createHash(name).update(der).digest("hex")}`;
}

/** True if `der` hashes to the `ALG:HEX` fingerprint `spec`. */
export function matchesFingerprint(der: Uint8Array, spec: string): boolean {
  const m = /^([A-Za-z0-9-]+):([0-9A-Fa-f:]+)$/.exec(spec.trim());
  if (!m) throw new PkiError("invalid-argument", `fingerprint must be ALG:HEX, got ${spec}`);
  const expected = m[2].replaceAll(":", "").toLowerCase();
  return fingerprint(der, m[1]).split(":")[1] === expected;
}
