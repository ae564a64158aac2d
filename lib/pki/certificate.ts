/**
 * X.509 certificates from untrusted input.
 *
 * - `parseCertificate(pemOrDer)` → `Certificate` (any version, RSA key required);
 * - `parseNodeCertificate(pemOrDer)` → `NodeCertificate`: also requires the subject CN to be a
 *   prefix in CN form (`"5/16"`) and exposes `prefix` bits and `subjectSerial`;
 * - `certificatePem(cert)` PEM text of a parsed certificate.
 * Both parsers throw only `PkiError` (codes `malformed`, `too-large`, `unsupported-key`,
 * `unsupported-algorithm`).
 */
import crypto from "node:crypto";
import type { KeyObject } from "node:crypto";
import { signatureHash } from "./algorithms.ts";
import {
  children,
  derBitString,
  derInteger,
  derTime,
  expectTag,
  readDer,
  TAG,
  type Tlv,
} from "./der.ts";
import { PkiError } from "./errors.ts";
import { keyBits, loadPublicKey } from "./keys.ts";
import { type Name, nameValue, parseName } from "./name.ts";
import { type PemOrDer, pemOrDer, toPem } from "./pem.ts";
import { type Bits, cnToBits } from "../wire/prefix.ts";

/** Certificates larger than this are refused before parsing. */
export const MAX_CERTIFICATE_BYTES = 16 * 1024;

/** A parsed X.509 certificate. Byte fields are views of `der`. */
export interface Certificate {
  der: Uint8Array;
  /** Raw TBSCertificate (the signed part). */
  tbs: Uint8Array;
  /** 1, 2 or 3. */
  version: number;
  /** X.509 serial number. */
  serial: bigint;
  /** node:crypto hash of the signature algorithm (e.g. `sha512`). */
  signatureHash: string;
  signature: Uint8Array;
  issuer: Name;
  subject: Name;
  notBefore: Date;
  notAfter: Date;
  /** DER SubjectPublicKeyInfo. */
  spki: Uint8Array;
  publicKey: KeyObject;
  keyBits: number;
  /** SHA-1 of `der` (20 bytes): the fingerprint of the peer protocol (spec §9.2). */
  sha1: Uint8Array;
}

/** A node certificate: CN is the node prefix in CN form. */
export interface NodeCertificate extends Certificate {
  cn: string;
  /** Node prefix bits decoded from the CN. */
  prefix: Bits;
  /** Subject serialNumber attribute as written (decimal for registry-issued certs). */
  subjectSerial: string | undefined;
}

const LABELS = ["CERTIFICATE", "X509 CERTIFICATE"];

/** Parses a PEM or DER X.509 certificate with an RSA key. */
export function parseCertificate(input: PemOrDer): Certificate {
  const der = pemOrDer(input, LABELS, MAX_CERTIFICATE_BYTES);
  const [tbsTlv, sigAlg, sigValue, extra] = children(expectTag(readDer(der), TAG.SEQUENCE, "cert"));
  if (!sigValue || extra) throw new PkiError("malformed", "certificate must have 3 parts");
  const fields = children(expectTag(tbsTlv, TAG.SEQUENCE, "TBSCertificate"));
  let i = 0;
  let version = 1;
  if (fields[0]?.tag === 0xa0) {
    const [v] = children(fields[i++]);
    const n = v ? derInteger(v) : -1n;
    if (n < 0n || n > 2n) throw new PkiError("malformed", "bad certificate version");
    version = Number(n) + 1;
  }
  const serialTlv = fields[i++], tbsAlg = fields[i++], issuer = fields[i++];
  const validity = fields[i++], subject = fields[i++], spki = fields[i++];
  if (!spki) throw new PkiError("malformed", "TBSCertificate too short");
  const hash = signatureHash(sigAlg);
  if (!sameAlg(tbsAlg, sigAlg)) {
    throw new PkiError("malformed", "inner and outer signature algorithms differ");
  }
  const [nb, na, more] = children(expectTag(validity, TAG.SEQUENCE, "Validity"));
  if (!na || more) throw new PkiError("malformed", "bad Validity");
  expectTag(spki, TAG.SEQUENCE, "SubjectPublicKeyInfo");
  const publicKey = loadPublicKey(spki.der);
  return {
    der,
    tbs: tbsTlv.der,
    version,
    serial: derInteger(serialTlv),
    signatureHash: hash,
    signature: derBitString(sigValue),
    issuer: parseName(issuer),
    subject: parseName(subject),
    notBefore: derTime(nb),
    notAfter: derTime(na),
    spki: spki.der,
    publicKey,
    keyBits: keyBits(publicKey),
    sha1: new Uint8Array(crypto.createHash("sha1").update(der).digest()),
  };
}

function sameAlg(a: Tlv, b: Tlv): boolean {
  return a.der.length === b.der.length && a.der.every((x, k) => x === b.der[k]);
}

/** Parses a node certificate: a certificate whose subject CN is a prefix (`"5/16"`). */
export function parseNodeCertificate(input: PemOrDer): NodeCertificate {
  const cert = parseCertificate(input);
  const cn = nameValue(cert.subject, "CN");
  if (cn === undefined) throw new PkiError("malformed", "certificate has no CN");
  let prefix: Bits;
  try {
    prefix = cnToBits(cn);
  } catch {
    throw new PkiError("malformed", `certificate CN is not a prefix: ${JSON.stringify(cn)}`);
  }
  return { ...cert, cn, prefix, subjectSerial: nameValue(cert.subject, "serialNumber") };
}

/** PEM text of a parsed certificate. */
export function certificatePem(cert: Certificate): string {
  return toPem("CERTIFICATE", cert.der);
}
