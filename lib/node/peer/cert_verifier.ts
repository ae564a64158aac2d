/**
 * Verification of certificates received in hello0 packets (spec §4.5): issued and signed by
 * our CA, valid at the current time, CN in prefix form. The CRL is checked by the protocol
 * machine. The verifier is injected so the pure machine does not depend on a PKI backend.
 */
import type { KeyObject } from "node:crypto";
import { type CaCertificate, parseCa } from "../../pki/ca.ts";
import { type NodeCertificate, parseNodeCertificate } from "../../pki/certificate.ts";
import type { PemOrDer } from "../../pki/pem.ts";
import { verifyCertificate } from "../../pki/verify.ts";
import type { Bits } from "../../wire/prefix.ts";

/** What the protocol needs from a verified peer certificate. */
export interface VerifiedCert {
  /** Node prefix from the CN (relative to the network). */
  prefix: Bits;
  serial: bigint;
  /** notAfter, ms since the epoch. */
  notAfter: number;
  publicKey: KeyObject;
}

/** Checks a DER certificate against the CA at time `now` (ms since the epoch). */
export type CertVerifier = (der: Uint8Array, now: number) => VerifiedCert | { error: string };

/** A CertVerifier for our CA (parsed, PEM or DER), backed by lib/pki. */
export function caCertVerifier(ca: CaCertificate | PemOrDer): CertVerifier {
  const caCert = typeof ca === "string" || ca instanceof Uint8Array ? parseCa(ca) : ca;
  return (der, now) => {
    let cert: NodeCertificate;
    try {
      cert = parseNodeCertificate(der);
    } catch (e) {
      return { error: `unparsable certificate (${(e as Error).message})` };
    }
    const v = verifyCertificate(cert, caCert, { at: new Date(now) });
    if (!v.ok) return { error: `certificate ${v.reason}` };
    return {
      prefix: cert.prefix,
      serial: cert.serial,
      notAfter: cert.notAfter.getTime(),
      publicKey: cert.publicKey,
    };
  };
}
