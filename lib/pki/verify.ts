/**
 * Certificate verification against the network CA (spec §4.5), in-process.
 *
 * - `verifyCertificate(cert, ca, { at?, crl? })` → `{ ok: true }` or `{ ok: false, reason }`,
 *   reasons checked in this order: `malformed` (unparsable input), `not signed by CA` (issuer
 *   name differs or the signature does not verify with the CA key), `revoked` (serial in `crl`),
 *   `not yet valid`, `expired` (at `at`, default now). Never throws.
 * - `ownCertificateCheckTime(cert, ca, now)` = min(now, max(CA.notBefore, cert.notBefore)): the
 *   time at which a node checks its own certificate, so an expired one is tolerated.
 * Peers: call with the current time and the network's CRL.
 */
import crypto from "node:crypto";
import { Buffer } from "node:buffer";
import type { CaCertificate } from "./ca.ts";
import { type Certificate, parseCertificate } from "./certificate.ts";
import type { PemOrDer } from "./pem.ts";

/** Why a certificate was refused. */
export type VerifyFailure =
  | "malformed"
  | "not signed by CA"
  | "revoked"
  | "not yet valid"
  | "expired";

/** Outcome of `verifyCertificate`. */
export type VerifyResult = { ok: true } | { ok: false; reason: VerifyFailure };

/** Options of `verifyCertificate`. */
export interface VerifyOptions {
  /** Time of the validity check. Default: now. */
  at?: Date;
  /** Revoked X.509 serials. */
  crl?: ReadonlySet<bigint> | readonly bigint[];
}

/** Checks `cert` (parsed, PEM or DER) against the CA, validity time and CRL. */
export function verifyCertificate(
  cert: Certificate | PemOrDer,
  ca: CaCertificate,
  opts: VerifyOptions = {},
): VerifyResult {
  let c: Certificate;
  try {
    c = typeof cert === "string" || cert instanceof Uint8Array ? parseCertificate(cert) : cert;
  } catch {
    return { ok: false, reason: "malformed" };
  }
  if (!Buffer.from(c.issuer.der).equals(ca.subject.der)) {
    return { ok: false, reason: "not signed by CA" };
  }
  let signed = false;
  try {
    signed = crypto.verify(c.signatureHash, c.tbs, ca.publicKey, c.signature);
  } catch {
    signed = false;
  }
  if (!signed) return { ok: false, reason: "not signed by CA" };
  const crl = opts.crl;
  if (crl && (Array.isArray(crl) ? crl.includes(c.serial) : (crl as Set<bigint>).has(c.serial))) {
    return { ok: false, reason: "revoked" };
  }
  const at = (opts.at ?? new Date()).getTime();
  if (at < c.notBefore.getTime()) return { ok: false, reason: "not yet valid" };
  if (at > c.notAfter.getTime()) return { ok: false, reason: "expired" };
  return { ok: true };
}

/** min(now, max(CA.notBefore, cert.notBefore)): when a node checks its own certificate. */
export function ownCertificateCheckTime(cert: Certificate, ca: CaCertificate, now: Date): Date {
  const start = Math.max(ca.notBefore.getTime(), cert.notBefore.getTime());
  return new Date(Math.min(now.getTime(), start));
}
