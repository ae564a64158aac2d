/**
 * Node certificate issuing (spec §4.2) and re-issuing (§4.4).
 *
 * - `issueCertificate(signer, csr, { prefix, subjectSerial, serial, notBefore?, notAfter? })`:
 *   X.509 v1 (no extensions), issuer = CA subject, subject = CSR subject with every CN and
 *   serialNumber removed and `serialNumber=<subjectSerial>`, `CN=<prefix CN form>` appended,
 *   the CSR's public key, the given serial, validity [now, now + 365 d] by default,
 *   sha512WithRSAEncryption;
 * - `renewCertificate(signer, cert, { serial, notBefore?, notAfter? })`: same subject and key,
 *   new serial and validity.
 * Both return `{ der, pem }`. The TBSCertificate is built here and signed once with the cached
 * CA `KeyObject`; arguments out of range throw `PkiError("invalid-argument")`.
 */
import { SHA512_WITH_RSA } from "./algorithms.ts";
import type { CaSigner } from "./ca.ts";
import type { Certificate } from "./certificate.ts";
import type { Csr } from "./csr.ts";
import { derSeq, encInteger, encTime } from "./der.ts";
import { PkiError } from "./errors.ts";
import { rewriteName } from "./name.ts";
import { toPem } from "./pem.ts";
import { signTbs } from "./sign.ts";
import { type Bits, bitsToCn, isBits } from "../wire/prefix.ts";

/** Default validity of node certificates. */
export const CERTIFICATE_DAYS = 365;
const DAY_MS = 86_400_000;

/** A signed certificate. */
export interface IssuedCertificate {
  der: Uint8Array;
  pem: string;
}

/** Serial and validity of a certificate to sign. */
export interface Validity {
  /** X.509 serial (registry counter), ≥ 1. */
  serial: bigint;
  /** Default: now (whole seconds). */
  notBefore?: Date;
  /** Default: notBefore + 365 days. */
  notAfter?: Date;
}

/** What `issueCertificate` needs besides the CSR. */
export interface IssueOptions extends Validity {
  /** Node prefix bits (relative to the network). */
  prefix: Bits;
  /** Subject serial (smallest unused non-negative integer, spec §4.2). */
  subjectSerial: number | bigint;
}

/** Issues a node certificate for a parsed CSR. */
export function issueCertificate(
  signer: CaSigner,
  csr: Csr,
  opts: IssueOptions,
): IssuedCertificate {
  if (!isBits(opts.prefix) || signer.ca.network.length + opts.prefix.length > 128) {
    throw new PkiError("invalid-argument", `bad node prefix ${JSON.stringify(opts.prefix)}`);
  }
  const subjectSerial = BigInt(opts.subjectSerial);
  if (subjectSerial < 0n) throw new PkiError("invalid-argument", "negative subject serial");
  const subject = rewriteName(csr.subject, {
    serialNumber: subjectSerial.toString(),
    CN: bitsToCn(opts.prefix),
  });
  return sign(signer, subject, csr.spki, opts);
}

/** Re-issues `cert` (same subject and public key) with a new serial and validity. */
export function renewCertificate(
  signer: CaSigner,
  cert: Certificate,
  opts: Validity,
): IssuedCertificate {
  return sign(signer, cert.subject.der, cert.spki, opts);
}

function sign(signer: CaSigner, subject: Uint8Array, spki: Uint8Array, v: Validity) {
  if (typeof v.serial !== "bigint" || v.serial < 1n) {
    throw new PkiError("invalid-argument", "certificate serial must be a bigint ≥ 1");
  }
  const notBefore = v.notBefore ?? new Date(Math.floor(Date.now() / 1000) * 1000);
  const notAfter = v.notAfter ?? new Date(notBefore.getTime() + CERTIFICATE_DAYS * DAY_MS);
  if (!(notAfter.getTime() >= notBefore.getTime())) {
    throw new PkiError("invalid-argument", "notAfter precedes notBefore");
  }
  const tbs = derSeq(
    encInteger(v.serial),
    SHA512_WITH_RSA,
    signer.ca.subject.der,
    derSeq(encTime(notBefore), encTime(notAfter)),
    subject,
    spki,
  );
  const der = signTbs(signer.key, tbs);
  return { der, pem: toPem("CERTIFICATE", der) };
}
