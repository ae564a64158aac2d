/**
 * Verification of certificates received in hello0 packets (spec §4.5): issued and signed by
 * our CA, valid at the current time, RSA key, CN in prefix form. The CRL is checked by the
 * protocol machine. The verifier is injected so the pure machine can use any PKI backend.
 */
import { KeyObject, X509Certificate } from "node:crypto";
import { type Bits, cnToBits } from "../../wire/prefix.ts";

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

const CN_RE = /^CN=(\d+\/\d+)$/m;

/** A CertVerifier backed by node:crypto's X509Certificate, for the CA given as PEM or DER. */
export function x509CertVerifier(ca: string | Uint8Array): CertVerifier {
  const caCert = new X509Certificate(ca);
  return (der, now) => {
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(der);
    } catch (e) {
      return { error: `unparsable certificate (${(e as Error).message})` };
    }
    if (!cert.checkIssued(caCert) || !cert.verify(caCert.publicKey)) {
      return { error: "certificate not signed by our CA" };
    }
    const notBefore = Date.parse(cert.validFrom);
    const notAfter = Date.parse(cert.validTo);
    if (!(now >= notBefore)) return { error: "certificate not yet valid" };
    if (!(now <= notAfter)) return { error: "certificate expired" };
    if (cert.publicKey.asymmetricKeyType !== "rsa") return { error: "certificate key is not RSA" };
    const cn = CN_RE.exec(cert.subject);
    if (!cn) return { error: "certificate CN is not a prefix" };
    let prefix: Bits;
    try {
      prefix = cnToBits(cn[1]);
    } catch (e) {
      return { error: (e as Error).message };
    }
    return {
      prefix,
      serial: BigInt("0x" + cert.serialNumber),
      notAfter,
      publicKey: cert.publicKey,
    };
  };
}
