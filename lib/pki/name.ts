/**
 * X.500 distinguished names (certificate subject/issuer).
 *
 * - `parseName(tlv)` → `Name` (raw DER kept, attributes flattened in order);
 * - `nameValue(name, "CN")` first value of an attribute;
 * - `encodeName(fields)` builds a Name from `[type, value]` pairs, one RDN each, with the string
 *   types OpenSSL uses (C/serialNumber PrintableString, emailAddress/DC IA5String, else UTF8);
 * - `rewriteName(name, overrides)` drops every attribute named in `overrides` and appends the
 *   new values in the given order, keeping the other RDNs byte for byte (spec §4.2);
 * - `nameFields(name, except?)` → `[type, value]` pairs, e.g. to rebuild a CSR subject from an
 *   existing certificate without its CN and serialNumber (spec §2.3);
 * - `formatName(name)` → `/C=FR/O=x/CN=y`; `parseSubject("/C=FR/O=x/CN=y")` → fields.
 */
import { children, derOid, derSeq, derSet, derString, encOid, type Tlv } from "./der.ts";
import { encIa5, encPrintable, encUtf8, expectTag, readTlvAt, TAG } from "./der.ts";
import { PkiError } from "./errors.ts";

/** Short attribute names and their OIDs (OpenSSL's spelling). */
export const ATTRIBUTE_OIDS: Readonly<Record<string, string>> = {
  CN: "2.5.4.3",
  SN: "2.5.4.4",
  serialNumber: "2.5.4.5",
  C: "2.5.4.6",
  L: "2.5.4.7",
  ST: "2.5.4.8",
  street: "2.5.4.9",
  O: "2.5.4.10",
  OU: "2.5.4.11",
  title: "2.5.4.12",
  description: "2.5.4.13",
  postalCode: "2.5.4.17",
  name: "2.5.4.41",
  GN: "2.5.4.42",
  initials: "2.5.4.43",
  dnQualifier: "2.5.4.46",
  pseudonym: "2.5.4.65",
  emailAddress: "1.2.840.113549.1.9.1",
  UID: "0.9.2342.19200300.100.1.1",
  DC: "0.9.2342.19200300.100.1.25",
};

const SHORT_NAMES: Record<string, string> = Object.fromEntries(
  Object.entries(ATTRIBUTE_OIDS).map(([k, v]) => [v, k]),
);

/** One attribute of a name. `type` is the short name, or the dotted OID if unknown. */
export interface NameAttribute {
  oid: string;
  type: string;
  value: string;
}

/** A parsed name: its DER and its attributes in order (RDN index kept for rewriting). */
export interface Name {
  der: Uint8Array;
  attributes: NameAttribute[];
  /** DER of each RDN SET, in order. */
  rdns: Uint8Array[];
  /** OIDs of the attributes of each RDN, parallel to `rdns`. */
  rdnOids: string[][];
}

/** A subject field to encode: `[type, value]`, type a short name or a dotted OID. */
export type SubjectField = readonly [type: string, value: string];

/** Parses a Name (SEQUENCE OF RDN SET OF AttributeTypeAndValue). */
export function parseName(t: Tlv): Name {
  expectTag(t, TAG.SEQUENCE, "Name");
  const attributes: NameAttribute[] = [];
  const rdns: Uint8Array[] = [];
  const rdnOids: string[][] = [];
  for (const rdn of children(t)) {
    expectTag(rdn, TAG.SET, "RDN");
    const atvs = children(rdn);
    if (atvs.length === 0) throw new PkiError("malformed", "empty RDN");
    const oids: string[] = [];
    for (const atv of atvs) {
      const [type, value, extra] = children(expectTag(atv, TAG.SEQUENCE, "attribute"));
      if (!value || extra) throw new PkiError("malformed", "bad attribute");
      const oid = derOid(type);
      attributes.push({ oid, type: SHORT_NAMES[oid] ?? oid, value: derString(value) });
      oids.push(oid);
    }
    rdns.push(rdn.der);
    rdnOids.push(oids);
  }
  return { der: t.der, attributes, rdns, rdnOids };
}

/** The first value of attribute `type` (short name or OID), if any. */
export function nameValue(name: Name, type: string): string | undefined {
  const oid = Object.hasOwn(ATTRIBUTE_OIDS, type) ? ATTRIBUTE_OIDS[type] : type;
  return name.attributes.find((a) => a.oid === oid)?.value;
}

function oidOf(type: string): string {
  const oid = Object.hasOwn(ATTRIBUTE_OIDS, type)
    ? ATTRIBUTE_OIDS[type]
    : /^\d+(\.\d+)+$/.test(type)
    ? type
    : undefined;
  if (!oid) throw new PkiError("invalid-argument", `unknown subject attribute: ${type}`);
  return oid;
}

const PRINTABLE_RE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;
// deno-lint-ignore no-control-regex
const IA5_RE = /^[\x00-\x7f]*$/;

function encodeValue(oid: string, value: string): Uint8Array {
  if (value.length === 0) throw new PkiError("invalid-argument", "empty subject value");
  const type = SHORT_NAMES[oid];
  if (type === "C" || type === "serialNumber" || type === "dnQualifier") {
    if (!PRINTABLE_RE.test(value) || (type === "C" && value.length !== 2)) {
      throw new PkiError("invalid-argument", `bad ${type} value: ${JSON.stringify(value)}`);
    }
    return encPrintable(value);
  }
  if (type === "emailAddress" || type === "DC") {
    if (!IA5_RE.test(value)) {
      throw new PkiError("invalid-argument", `non-ASCII ${type}: ${JSON.stringify(value)}`);
    }
    return encIa5(value);
  }
  return encUtf8(value);
}

/** One single-attribute RDN. */
function encodeRdn(type: string, value: string): Uint8Array {
  const oid = oidOf(type);
  return derSet(derSeq(encOid(oid), encodeValue(oid, value)));
}

/** Encodes a Name with one RDN per field, in the given order. */
export function encodeName(fields: readonly SubjectField[]): Uint8Array {
  return derSeq(...fields.map(([t, v]) => encodeRdn(t, v)));
}

/**
 * Re-encodes `name` without any attribute whose type is a key of `overrides`, then appends one
 * RDN per override in insertion order. Untouched RDNs keep their exact bytes.
 */
export function rewriteName(name: Name, overrides: Readonly<Record<string, string>>): Uint8Array {
  const dropped = new Set(Object.keys(overrides).map(oidOf));
  const out: Uint8Array[] = [];
  name.rdns.forEach((rdn, i) => {
    const oids = name.rdnOids[i];
    if (!oids.some((o) => dropped.has(o))) return out.push(rdn);
    // A multi-valued RDN mixing a dropped attribute with others keeps the others.
    const rest = children(readTlvAt(rdn, 0)).filter((_, j) => !dropped.has(oids[j]));
    if (rest.length) out.push(derSet(...rest.map((a) => a.der)));
  });
  for (const [t, v] of Object.entries(overrides)) out.push(encodeRdn(t, v));
  return derSeq(...out);
}

/** The fields of `name` in order, without attributes whose type is in `except`. */
export function nameFields(name: Name, except: readonly string[] = []): SubjectField[] {
  const skip = new Set(except.map(oidOf));
  return name.attributes.filter((a) => !skip.has(a.oid)).map((a) => [a.type, a.value] as const);
}

/** OpenSSL-style one-line form: `/C=FR/O=example/CN=re6st CA`. */
export function formatName(name: Name): string {
  return name.attributes.map((a) => `/${a.type}=${a.value.replaceAll("/", "\\/")}`).join("");
}

/** Parses `/C=FR/O=example/CN=re6st CA` (`\/` escapes a slash) into fields. */
export function parseSubject(text: string): SubjectField[] {
  if (!text.startsWith("/")) {
    throw new PkiError("invalid-argument", `subject must start with '/': ${text}`);
  }
  const parts = text.slice(1).split(/(?<!\\)\//);
  return parts.map((part) => {
    const eq = part.indexOf("=");
    if (eq <= 0 || eq === part.length - 1) {
      throw new PkiError("invalid-argument", `bad subject component: ${JSON.stringify(part)}`);
    }
    const type = part.slice(0, eq);
    oidOf(type);
    return [type, part.slice(eq + 1).replaceAll("\\/", "/")] as const;
  });
}
