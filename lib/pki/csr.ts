/**
 * Certificate signing requests (PKCS#10).
 *
 * - `createCsr(key, fields)` → PEM CSR signed with SHA-512 (what `re6st conf` sends);
 * - `parseCsr(input, { keyBits?, maxBytes? })` → `Csr` from untrusted PEM/DER: bounded size
 *   (checked first), strict DER, version 0, RSA key, valid self-signature (RSA PKCS#1 v1.5,
 *   SHA-1…SHA-512), and, when `keyBits` is given, that exact modulus size (the CA's: the
 *   protocol splits `ciphertext‖signature` in equal halves).
 * `parseCsr` throws only `PkiError`; for the registry every such error means HTTP 400.
 * A CN or serialNumber in the CSR subject is accepted: issuing overwrites both (spec §4.2).
 */
import crypto from "node:crypto";
import type { KeyObject } from "node:crypto";
import { signatureHash } from "./algorithms.ts";
import { children, derBitString, derInteger, derSeq, expectTag, readDer, TAG, tlv } from "./der.ts";
import { PkiError } from "./errors.ts";
import { keyBits, loadPrivateKey, loadPublicKey } from "./keys.ts";
import { encodeName, type Name, parseName, type SubjectField } from "./name.ts";
import { type PemOrDer, pemOrDer, toPem } from "./pem.ts";
import { signTbs } from "./sign.ts";

/** Default bound on CSR input size (PEM text or DER bytes). */
export const MAX_CSR_BYTES = 16 * 1024;

/** A parsed and self-signature-checked CSR. */
export interface Csr {
  der: Uint8Array;
  subject: Name;
  /** DER SubjectPublicKeyInfo. */
  spki: Uint8Array;
  publicKey: KeyObject;
  keyBits: number;
}

/** Options of `parseCsr`. */
export interface ParseCsrOptions {
  /** Required RSA modulus size in bits (the CA's). */
  keyBits?: number;
  /** Size bound on the input. Default `MAX_CSR_BYTES`. */
  maxBytes?: number;
}

const LABELS = ["CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST"];

/** Builds a SHA-512 signed CSR for `key` with the given subject fields. */
export function createCsr(key: string | KeyObject, fields: readonly SubjectField[]): string {
  const privateKey = loadPrivateKey(key);
  const spki = new Uint8Array(
    crypto.createPublicKey(privateKey).export({ type: "spki", format: "der" }),
  );
  const info = derSeq(
    new Uint8Array([TAG.INTEGER, 1, 0]),
    encodeName(fields),
    spki,
    tlv(0xa0),
  );
  return toPem("CERTIFICATE REQUEST", signTbs(privateKey, info));
}

/** Parses and checks an untrusted CSR. */
export function parseCsr(input: PemOrDer, opts: ParseCsrOptions = {}): Csr {
  const der = pemOrDer(input, LABELS, opts.maxBytes ?? MAX_CSR_BYTES);
  const [info, sigAlg, sigValue, extra] = children(expectTag(readDer(der), TAG.SEQUENCE, "CSR"));
  if (!sigValue || extra) throw new PkiError("malformed", "CSR must have 3 parts");
  const [version, subject, spki, attributes] = children(
    expectTag(info, TAG.SEQUENCE, "CertificationRequestInfo"),
  );
  if (!spki || derInteger(version) !== 0n) throw new PkiError("malformed", "bad CSR version");
  if (attributes && attributes.tag !== 0xa0) throw new PkiError("malformed", "bad CSR attributes");
  expectTag(spki, TAG.SEQUENCE, "SubjectPublicKeyInfo");
  const name = parseName(subject);
  const publicKey = loadPublicKey(spki.der);
  const bits = keyBits(publicKey);
  if (opts.keyBits !== undefined && bits !== opts.keyBits) {
    throw new PkiError("key-size", `CSR key has ${bits} bits, the CA's has ${opts.keyBits}`);
  }
  const hash = signatureHash(sigAlg);
  const signature = derBitString(sigValue);
  let valid = false;
  try {
    valid = crypto.verify(hash, info.der, publicKey, signature);
  } catch {
    valid = false;
  }
  if (!valid) throw new PkiError("bad-signature", "CSR self-signature does not verify");
  return { der, subject: name, spki: spki.der, publicKey, keyBits: bits };
}
