/**
 * Revocation lists (spec §4.6).
 *
 * - `normalizeCrl(list)`: the network parameter `crl` (revoked X.509 serials) as a sorted,
 *   de-duplicated `bigint[]`; throws `PkiError("malformed")` on anything but non-negative
 *   integers (numbers, bigints or decimal strings);
 * - `createCrlPem(signer, entries, { thisUpdate?, nextUpdate?, crlNumber? })`: a CA-signed
 *   X.509 v2 CRL, PEM label `X509 CRL` (what OpenSSL and OpenVPN `--crl-verify` read).
 *   `nextUpdate` defaults to the CA's notAfter: a CRL republished on change must not make
 *   OpenVPN refuse every peer when it ages.
 */
import { SHA512_WITH_RSA } from "./algorithms.ts";
import type { CaSigner } from "./ca.ts";
import { derSeq, encExplicit, encInteger, encOctetString, encOid, encTime } from "./der.ts";
import { PkiError } from "./errors.ts";
import { toPem } from "./pem.ts";
import { signTbs } from "./sign.ts";

/** A revoked certificate: its serial and when it was revoked (default: `thisUpdate`). */
export interface CrlEntry {
  serial: bigint;
  revokedAt?: Date;
}

/** Options of `createCrlPem`. */
export interface CrlOptions {
  /** Default: now. */
  thisUpdate?: Date;
  /** Default: the CA's notAfter. */
  nextUpdate?: Date;
  /** cRLNumber extension. Default 1. */
  crlNumber?: bigint;
}

/** Sorted, de-duplicated serials from a `crl` network parameter. */
export function normalizeCrl(list: unknown): bigint[] {
  if (!Array.isArray(list)) throw new PkiError("malformed", "crl must be a list");
  const serials = list.map((x) => {
    if (typeof x === "bigint" && x >= 0n) return x;
    if (typeof x === "number" && Number.isSafeInteger(x) && x >= 0) return BigInt(x);
    if (typeof x === "string" && /^\d{1,80}$/.test(x)) return BigInt(x);
    throw new PkiError("malformed", `bad serial in crl: ${JSON.stringify(String(x))}`);
  });
  return [...new Set(serials)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** A CA-signed X.509 v2 CRL in PEM. */
export function createCrlPem(
  signer: CaSigner,
  entries: readonly (CrlEntry | bigint)[],
  opts: CrlOptions = {},
): string {
  const thisUpdate = opts.thisUpdate ?? new Date(Math.floor(Date.now() / 1000) * 1000);
  const nextUpdate = opts.nextUpdate ?? signer.ca.notAfter;
  const revoked = entries.map((e) => {
    const { serial, revokedAt } = typeof e === "bigint" ? { serial: e, revokedAt: undefined } : e;
    if (serial < 0n) throw new PkiError("invalid-argument", "negative serial in CRL");
    return derSeq(encInteger(serial), encTime(revokedAt ?? thisUpdate));
  });
  const crlNumber = derSeq(encOid("2.5.29.20"), encOctetString(encInteger(opts.crlNumber ?? 1n)));
  const tbs = derSeq(
    encInteger(1n),
    SHA512_WITH_RSA,
    signer.ca.subject.der,
    encTime(thisUpdate),
    encTime(nextUpdate),
    ...(revoked.length ? [derSeq(...revoked)] : []),
    encExplicit(0, derSeq(crlNumber)),
  );
  return toPem("X509 CRL", signTbs(signer.key, tbs));
}
