/**
 * The network's CA (spec §4.1).
 *
 * - `parseCa(pemOrDer)` → `CaCertificate`: a certificate plus `network` (prefix bits decoded from
 *   its X.509 serial), `email` (subject emailAddress, the token mail sender), `subjectText`;
 * - `loadCaSigner(certPem, keyPem)` → `CaSigner` (CA + cached private `KeyObject`), checking the
 *   key belongs to the certificate;
 * - `createCa({ prefixCidr, bits, days, subject, email?, keyPem?, now? })` → a new self-signed
 *   v3 CA (basicConstraints CA:TRUE, SHA-512) whose serial is `1‖network bits`.
 */
import crypto from "node:crypto";
import { Buffer } from "node:buffer";
import { SHA512_WITH_RSA } from "./algorithms.ts";
import { type Certificate, parseCertificate } from "./certificate.ts";
import {
  children,
  DER_TRUE,
  derBitString,
  derSeq,
  encExplicit,
  encInteger,
  encOctetString,
  encOid,
  encTime,
  readDer,
} from "./der.ts";
import { PkiError } from "./errors.ts";
import { generateRsaKey, loadPrivateKey } from "./keys.ts";
import { encodeName, formatName, nameValue, parseSubject, type SubjectField } from "./name.ts";
import { type PemOrDer, toPem } from "./pem.ts";
import { signTbs } from "./sign.ts";
import { type Bits, cidrToBits, networkToSerial, serialToNetwork } from "../wire/prefix.ts";

/** A CA certificate with the re6st meaning of its fields. */
export interface CaCertificate extends Certificate {
  /** Network prefix bits, from the X.509 serial (`1‖bits`). */
  network: Bits;
  /** Subject emailAddress, if any: the sender of token e-mails. */
  email: string | undefined;
  /** Subject in OpenSSL one-line form, e.g. `/C=FR/O=example/CN=re6st CA`. */
  subjectText: string;
}

/** A CA able to sign: its certificate and its private key (cached KeyObject). */
export interface CaSigner {
  ca: CaCertificate;
  key: crypto.KeyObject;
}

/** Parses a CA certificate; its serial must encode a network prefix (≥ 1). */
export function parseCa(input: PemOrDer): CaCertificate {
  const cert = parseCertificate(input);
  if (cert.serial < 1n) {
    throw new PkiError("malformed", "CA serial must be ≥ 1 to encode the network prefix");
  }
  const network = serialToNetwork(cert.serial);
  if (network.length > 128) throw new PkiError("malformed", "CA serial encodes > 128 bits");
  return {
    ...cert,
    network,
    email: nameValue(cert.subject, "emailAddress"),
    subjectText: formatName(cert.subject),
  };
}

/** CA certificate + private key, checking that they match. */
export function loadCaSigner(certInput: PemOrDer, keyPem: string | crypto.KeyObject): CaSigner {
  const ca = parseCa(certInput);
  const key = loadPrivateKey(keyPem);
  const spki = crypto.createPublicKey(key).export({ type: "spki", format: "der" });
  if (!Buffer.from(ca.spki).equals(spki)) {
    throw new PkiError("key-mismatch", "the CA key does not match the CA certificate");
  }
  return { ca, key };
}

/** Parameters of `createCa`. */
export interface CreateCaOptions {
  /** Network prefix, e.g. `2001:db8:42::/48` (host bits zero). */
  prefixCidr: string;
  /** RSA key size (ignored when `keyPem` is given). Default 2048. */
  bits?: number;
  /** Validity in days. Default 3650. */
  days?: number;
  /** Subject as `/C=FR/O=x/CN=y` or fields. Default `/CN=re6st CA`. */
  subject?: string | readonly SubjectField[];
  /** Subject emailAddress appended to the subject (token mail sender). */
  email?: string;
  /** Reuse this private key (re-issuing a CA for another prefix keeps its key). */
  keyPem?: string;
  /** Start of validity. Default: now. */
  now?: Date;
}

/** A freshly created CA. */
export interface CreatedCa {
  keyPem: string;
  certPem: string;
  signer: CaSigner;
}

const DAY_MS = 86_400_000;

/** Creates a self-signed SHA-512 CA whose serial encodes the network prefix. */
export async function createCa(opts: CreateCaOptions): Promise<CreatedCa> {
  let network: Bits;
  try {
    network = cidrToBits(opts.prefixCidr);
  } catch (e) {
    throw new PkiError("invalid-argument", (e as Error).message);
  }
  const days = opts.days ?? 3650;
  if (!Number.isInteger(days) || days < 1) {
    throw new PkiError("invalid-argument", "days must be a positive integer");
  }
  const subject = typeof opts.subject === "string"
    ? parseSubject(opts.subject)
    : [...(opts.subject ?? [["CN", "re6st CA"] as const])];
  if (opts.email !== undefined) subject.push(["emailAddress", opts.email]);
  const keyPem = opts.keyPem ?? await generateRsaKey(opts.bits ?? 2048);
  const key = loadPrivateKey(keyPem);
  const spki = new Uint8Array(crypto.createPublicKey(key).export({ type: "spki", format: "der" }));
  const name = encodeName(subject);
  const start = new Date(Math.floor((opts.now ?? new Date()).getTime() / 1000) * 1000);
  const keyId = subjectKeyId(spki);
  const extensions = derSeq(
    extension("2.5.29.14", encOctetString(keyId)),
    extension("2.5.29.35", derSeq(new Uint8Array([0x80, keyId.length]), keyId)),
    extension("2.5.29.19", derSeq(DER_TRUE), true),
  );
  const tbs = derSeq(
    encExplicit(0, encInteger(2n)),
    encInteger(networkToSerial(network)),
    SHA512_WITH_RSA,
    name,
    derSeq(encTime(start), encTime(new Date(start.getTime() + days * DAY_MS))),
    name,
    spki,
    encExplicit(3, extensions),
  );
  const certPem = toPem("CERTIFICATE", signTbs(key, tbs));
  return { keyPem, certPem, signer: loadCaSigner(certPem, key) };
}

function extension(oid: string, value: Uint8Array, critical = false): Uint8Array {
  return critical
    ? derSeq(encOid(oid), DER_TRUE, encOctetString(value))
    : derSeq(encOid(oid), encOctetString(value));
}

/** RFC 5280 method 1: SHA-1 of the subjectPublicKey BIT STRING contents. */
function subjectKeyId(spki: Uint8Array): Uint8Array {
  const [, key] = children(readDer(spki));
  return new Uint8Array(crypto.createHash("sha1").update(derBitString(key)).digest());
}
