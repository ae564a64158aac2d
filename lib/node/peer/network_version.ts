/**
 * Network version blobs as gossiped with code 0 (spec §7.2, §9.5):
 * `packInteger(v) ‖ RSA-SHA512-sign(CA key, packInteger(v))`, compared byte-wise.
 */
import type { PublicKeyInput } from "../../pki/rsa.ts";
import { rsaVerify } from "../../pki/rsa.ts";
import { compareBytes } from "./secret.ts";

/** True if the blob's signature over its leading packInteger verifies with the CA key. */
export function isSignedVersion(blob: Uint8Array, caKey: PublicKeyInput): boolean {
  if (blob.length === 0) return false;
  const k = 1 + (blob[0] >> 5);
  if (blob.length <= k) return false;
  return rsaVerify(caKey, blob.subarray(0, k), blob.subarray(k));
}

/** How a received version relates to ours. */
export type VersionVerdict = "same" | "invalid" | "older" | "newer";

/** Classifies a received version blob: equal, badly signed, older or newer than `ours`. */
export function judgeVersion(
  theirs: Uint8Array,
  ours: Uint8Array,
  caKey: PublicKeyInput,
): VersionVerdict {
  const order = compareBytes(theirs, ours);
  if (order === 0) return "same";
  if (!isSignedVersion(theirs, caKey)) return "invalid";
  return order < 0 ? "older" : "newer";
}
