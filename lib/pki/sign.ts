/**
 * `signTbs(key, tbs)`: wraps a to-be-signed structure (TBSCertificate, TBSCertList,
 * CertificationRequestInfo) into its signed SEQUENCE with sha512WithRSAEncryption.
 */
import type { KeyObject } from "node:crypto";
import { SHA512_WITH_RSA } from "./algorithms.ts";
import { derSeq, encBitString } from "./der.ts";
import { signSha512 } from "./sha512_sign.ts";

/** `SEQUENCE { tbs, sha512WithRSAEncryption, BIT STRING signature }`. */
export function signTbs(key: KeyObject, tbs: Uint8Array): Uint8Array {
  return derSeq(tbs, SHA512_WITH_RSA, encBitString(signSha512(key, tbs)));
}
