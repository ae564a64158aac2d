/**
 * Signature algorithms: `SHA512_WITH_RSA` (the AlgorithmIdentifier DER re6st signs with),
 * `RSA_ENCRYPTION_OID`, and `signatureHash(tlv)` mapping an RSA PKCS#1 v1.5 signature
 * AlgorithmIdentifier to its node:crypto hash name (throws `unsupported-algorithm` otherwise).
 */
import { children, DER_NULL, derOid, derSeq, encOid, expectTag, TAG, type Tlv } from "./der.ts";
import { PkiError } from "./errors.ts";

/** rsaEncryption, the SubjectPublicKeyInfo algorithm of RSA keys. */
export const RSA_ENCRYPTION_OID = "1.2.840.113549.1.1.1";
/** sha512WithRSAEncryption. */
export const SHA512_WITH_RSA_OID = "1.2.840.113549.1.1.13";

/** AlgorithmIdentifier DER of sha512WithRSAEncryption (with NULL parameters). */
export const SHA512_WITH_RSA: Uint8Array = derSeq(encOid(SHA512_WITH_RSA_OID), DER_NULL);

const HASHES: Record<string, string> = {
  "1.2.840.113549.1.1.5": "sha1",
  "1.2.840.113549.1.1.14": "sha224",
  "1.2.840.113549.1.1.11": "sha256",
  "1.2.840.113549.1.1.12": "sha384",
  [SHA512_WITH_RSA_OID]: "sha512",
};

/** Hash name of an RSA PKCS#1 v1.5 signature AlgorithmIdentifier. */
export function signatureHash(alg: Tlv): string {
  const [oid] = children(expectTag(alg, TAG.SEQUENCE, "AlgorithmIdentifier"));
  const name = oid && HASHES[derOid(oid)];
  if (!name) {
    throw new PkiError("unsupported-algorithm", "signature algorithm is not RSA PKCS#1 v1.5 SHA-*");
  }
  return name;
}
