/**
 * Certificate subjects for `re6st conf` (spec §2.3): the attribute names `--req` accepts, the
 * fields kept from a previous certificate, and the DER encoding of a subject Name.
 */
import "reflect-metadata";
import * as x509 from "@peculiar/x509";

/** A subject field as given to `--req`: attribute name (`O`, `emailAddress`) and value. */
export type SubjectField = [string, string];

/** Attribute names accepted in subjects, with their OIDs. */
export const SUBJECT_OIDS: Readonly<Record<string, string>> = {
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
  postalCode: "2.5.4.17",
  GN: "2.5.4.42",
  emailAddress: "1.2.840.113549.1.9.1",
  DC: "0.9.2342.19200300.100.1.25",
};
const NAME_OF = new Map(Object.entries(SUBJECT_OIDS).map(([name, oid]) => [oid, name]));
/** @peculiar/x509's own short names that differ from ours. */
const ALIASES: Record<string, string> = { E: "emailAddress" };

/** Fields the registry sets, never copied from an old certificate nor accepted in `--req`. */
export const REGISTRY_FIELDS: readonly string[] = ["CN", "serialNumber"];

/** Why `key` cannot be used in `--req`, or undefined if it can. */
export function subjectFieldProblem(key: string): string | undefined {
  if (REGISTRY_FIELDS.includes(key) || key === "serial") {
    return `subject field '${key}' is reserved (set by the registry)`;
  }
  if (!(key in SUBJECT_OIDS)) {
    return `unknown subject field '${key}' (known: ${
      Object.keys(SUBJECT_OIDS).filter((k) => !REGISTRY_FIELDS.includes(k)).join(", ")
    })`;
  }
  return undefined;
}

/** Subject fields of a PEM certificate, except CN and serialNumber, in order. */
export function reusableSubject(certPem: string): SubjectField[] {
  const out: SubjectField[] = [];
  for (const rdn of new x509.X509Certificate(certPem).subjectName.toJSON()) {
    for (const [type, values] of Object.entries(rdn)) {
      const key = NAME_OF.get(type) ?? ALIASES[type] ?? type;
      if (key in SUBJECT_OIDS && !REGISTRY_FIELDS.includes(key)) {
        for (const v of values) out.push([key, v]);
      }
    }
  }
  return out;
}

/** `base` with each `overlay` field replacing the field of the same name, or appended. */
export function overlaySubject(base: SubjectField[], overlay: SubjectField[]): SubjectField[] {
  const out = [...base];
  for (const [key, value] of overlay) {
    const i = out.findIndex(([k]) => k === key);
    if (i >= 0) out[i] = [key, value];
    else out.push([key, value]);
  }
  return out;
}

function der(tag: number, content: Uint8Array): Uint8Array<ArrayBuffer> {
  const n = content.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return new Uint8Array([tag, ...len, ...content]);
}

function concat(parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  return new Uint8Array(parts.flatMap((p) => [...p]));
}

function oid(dotted: string): Uint8Array {
  const [a, b, ...rest] = dotted.split(".").map(Number);
  const bytes = [40 * a + b];
  for (const arc of rest) {
    const groups = [arc & 0x7f];
    for (let v = arc >>> 7; v > 0; v >>>= 7) groups.unshift((v & 0x7f) | 0x80);
    bytes.push(...groups);
  }
  return der(0x06, new Uint8Array(bytes));
}

/**
 * DER of an X.501 Name with one attribute per RDN, in order. Country is a PrintableString,
 * emailAddress and DC are IA5Strings, the rest UTF8Strings. Throws on unknown names and on
 * values those string types cannot hold.
 */
export function encodeName(subject: SubjectField[]): x509.Name {
  const rdns = subject.map(([key, value]) => {
    const id = SUBJECT_OIDS[key];
    if (!id) throw new Error(`unknown subject field '${key}'`);
    let tag = 0x0c;
    if (key === "C") {
      if (!/^[A-Za-z]{2}$/.test(value)) throw new Error(`C must be a 2-letter code: '${value}'`);
      tag = 0x13;
    } else if (key === "emailAddress" || key === "DC") {
      if (!/^[\x20-\x7e]*$/.test(value)) throw new Error(`${key} must be ASCII: '${value}'`);
      tag = 0x16;
    }
    const attr = der(0x30, concat([oid(id), der(tag, new TextEncoder().encode(value))]));
    return der(0x31, attr);
  });
  return new x509.Name(der(0x30, concat(rdns)));
}
