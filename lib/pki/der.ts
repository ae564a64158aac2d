/**
 * Minimal strict DER reader and writer for the X.509 structures re6st handles.
 *
 * Reader: `readDer(bytes)` (exactly one TLV), `children(tlv)`, and decoders `derInteger`,
 * `derOid`, `derString`, `derTime`, `derBitString`. Every malformation throws `PkiError`
 * with code `"malformed"`; nothing reads outside the input.
 * Writer: `tlv`, `derSeq`, `derSet`, `encInteger`, `encOid`, `encTime`, `encBitString`,
 * `encOctetString`, `encExplicit`, `encUtf8`, `encPrintable`, `encIa5`, `DER_NULL`,
 * `DER_TRUE`.
 */
import { PkiError } from "./errors.ts";

/** DER universal tags used by re6st. */
export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8: 0x0c,
  PRINTABLE: 0x13,
  TELETEX: 0x14,
  IA5: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  UNIVERSAL: 0x1c,
  BMP: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** One parsed TLV: `tag` is the whole identifier byte; `der` the full encoding, `value` its content. */
export interface Tlv {
  tag: number;
  der: Uint8Array;
  value: Uint8Array;
}

const MAX_DEPTH = 32;

function malformed(what: string): never {
  throw new PkiError("malformed", `malformed DER: ${what}`);
}

/** Reads the TLV starting at `offset` of `buf`. */
export function readTlvAt(buf: Uint8Array, offset: number): Tlv {
  if (offset + 2 > buf.length) malformed("truncated header");
  const tag = buf[offset];
  if ((tag & 0x1f) === 0x1f) malformed("multi-byte tag");
  let len = buf[offset + 1];
  let pos = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0) malformed("indefinite length");
    if (n > 4) malformed("length too large");
    if (pos + n > buf.length) malformed("truncated length");
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[pos + i];
    if (len < 0x80 || (n > 1 && buf[pos] === 0)) malformed("non-minimal length");
    pos += n;
  }
  if (pos + len > buf.length) malformed("truncated value");
  return { tag, der: buf.subarray(offset, pos + len), value: buf.subarray(pos, pos + len) };
}

/** Parses `buf` as exactly one TLV (no trailing bytes). */
export function readDer(buf: Uint8Array): Tlv {
  const t = readTlvAt(buf, 0);
  if (t.der.length !== buf.length) malformed("trailing bytes");
  checkDepth(t, 0);
  return t;
}

function checkDepth(t: Tlv, depth: number): void {
  if (depth > MAX_DEPTH) malformed("nesting too deep");
  if (t.tag & 0x20) { for (const c of children(t)) checkDepth(c, depth + 1); }
}

/** The TLVs inside a constructed TLV, in order. */
export function children(t: Tlv): Tlv[] {
  if (!(t.tag & 0x20)) malformed(`tag 0x${t.tag.toString(16)} is not constructed`);
  const out: Tlv[] = [];
  for (let off = 0; off < t.value.length;) {
    const c = readTlvAt(t.value, off);
    out.push(c);
    off += c.der.length;
  }
  return out;
}

/** Asserts the tag of a TLV and returns it. */
export function expectTag(t: Tlv | undefined, tag: number, what: string): Tlv {
  if (!t || t.tag !== tag) malformed(`expected ${what}`);
  return t;
}

/** Decodes an INTEGER (two's complement) as a bigint. */
export function derInteger(t: Tlv): bigint {
  expectTag(t, TAG.INTEGER, "INTEGER");
  const v = t.value;
  if (v.length === 0) malformed("empty INTEGER");
  let n = 0n;
  for (const b of v) n = (n << 8n) | BigInt(b);
  if (v[0] & 0x80) n -= 1n << BigInt(8 * v.length);
  return n;
}

/** Decodes an OBJECT IDENTIFIER to dotted form. */
export function derOid(t: Tlv): string {
  expectTag(t, TAG.OID, "OBJECT IDENTIFIER");
  const v = t.value;
  if (v.length === 0 || v[v.length - 1] & 0x80) malformed("bad OID");
  const arcs: number[] = [];
  let n = 0;
  for (const b of v) {
    if (n === 0 && b === 0x80) malformed("non-minimal OID arc");
    n = n * 128 + (b & 0x7f);
    if (n > Number.MAX_SAFE_INTEGER / 256) malformed("OID arc too large");
    if (!(b & 0x80)) {
      arcs.push(n);
      n = 0;
    }
  }
  const first = arcs[0] < 40 ? 0 : arcs[0] < 80 ? 1 : 2;
  return [first, arcs[0] - 40 * first, ...arcs.slice(1)].join(".");
}

const latin1 = new TextDecoder("latin1");
const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Decodes any X.500 directory string type to a JS string. */
export function derString(t: Tlv): string {
  const v = t.value;
  try {
    switch (t.tag) {
      case TAG.UTF8:
        return utf8.decode(v);
      case TAG.PRINTABLE:
      case TAG.IA5:
      case TAG.TELETEX:
      case 0x1a: // VisibleString
      case 0x12: // NumericString
        return latin1.decode(v);
      case TAG.BMP: {
        if (v.length % 2) malformed("odd BMPString");
        let s = "";
        for (let i = 0; i < v.length; i += 2) s += String.fromCharCode((v[i] << 8) | v[i + 1]);
        return s;
      }
      case TAG.UNIVERSAL: {
        if (v.length % 4) malformed("bad UniversalString");
        let s = "";
        for (let i = 0; i < v.length; i += 4) {
          const cp = ((v[i] << 24) | (v[i + 1] << 16) | (v[i + 2] << 8) | v[i + 3]) >>> 0;
          if (cp > 0x10ffff) malformed("bad UniversalString");
          s += String.fromCodePoint(cp);
        }
        return s;
      }
    }
  } catch (e) {
    if (e instanceof PkiError) throw e;
    malformed("bad string encoding");
  }
  malformed(`tag 0x${t.tag.toString(16)} is not a string`);
}

/** Decodes a UTCTime or GeneralizedTime (must be in UTC, `Z`). */
export function derTime(t: Tlv): Date {
  const s = latin1.decode(t.value);
  let m: RegExpExecArray | null;
  let year: number;
  if (t.tag === TAG.UTC_TIME) {
    m = /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)?Z$/.exec(s);
    if (!m) malformed("bad UTCTime");
    const yy = Number(m[1]);
    year = yy < 50 ? 2000 + yy : 1900 + yy;
  } else if (t.tag === TAG.GENERALIZED_TIME) {
    m = /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(?:\.\d+)?Z$/.exec(s);
    if (!m) malformed("bad GeneralizedTime");
    year = Number(m[1]);
  } else {
    malformed("expected a time");
  }
  const [mo, d, h, mi, se] = [m[2], m[3], m[4], m[5], m[6] ?? "0"].map(Number);
  const date = new Date(Date.UTC(year, mo - 1, d, h, mi, se));
  if (
    mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60 ||
    date.getUTCDate() !== d
  ) {
    malformed("invalid date");
  }
  return date;
}

/** Decodes a BIT STRING with no unused bits into its bytes. */
export function derBitString(t: Tlv): Uint8Array {
  expectTag(t, TAG.BIT_STRING, "BIT STRING");
  if (t.value.length === 0 || t.value[0] !== 0) malformed("BIT STRING with unused bits");
  return t.value.subarray(1);
}

// ---------------------------------------------------------------- writer

function lengthBytes(n: number): number[] {
  if (n < 0x80) return [n];
  const out: number[] = [];
  for (let x = n; x > 0; x = Math.floor(x / 256)) out.unshift(x & 0xff);
  return [0x80 | out.length, ...out];
}

/** Encodes one TLV whose content is the concatenation of `parts`. */
export function tlv(tag: number, ...parts: Uint8Array[]): Uint8Array {
  let len = 0;
  for (const p of parts) len += p.length;
  const head = lengthBytes(len);
  const out = new Uint8Array(1 + head.length + len);
  out[0] = tag;
  out.set(head, 1);
  let off = 1 + head.length;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** SEQUENCE of the given encodings. */
export function derSeq(...parts: Uint8Array[]): Uint8Array {
  return tlv(TAG.SEQUENCE, ...parts);
}

/** SET OF the given encodings, sorted as DER requires. */
export function derSet(...parts: Uint8Array[]): Uint8Array {
  const sorted = [...parts].sort(compareBytes);
  return tlv(TAG.SET, ...sorted);
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/** INTEGER (minimal two's complement). */
export function encInteger(n: bigint): Uint8Array {
  const bytes: number[] = [];
  let x = n;
  for (;;) {
    bytes.unshift(Number(x & 0xffn));
    x >>= 8n;
    if ((x === 0n && !(bytes[0] & 0x80)) || (x === -1n && bytes[0] & 0x80)) break;
  }
  return tlv(TAG.INTEGER, new Uint8Array(bytes));
}

/** OBJECT IDENTIFIER from dotted form. */
export function encOid(oid: string): Uint8Array {
  const arcs = oid.split(".").map(Number);
  const out: number[] = [];
  for (const arc of [arcs[0] * 40 + arcs[1], ...arcs.slice(2)]) {
    const chunk = [arc & 0x7f];
    for (let x = Math.floor(arc / 128); x > 0; x = Math.floor(x / 128)) {
      chunk.unshift(0x80 | (x & 0x7f));
    }
    out.push(...chunk);
  }
  return tlv(TAG.OID, new Uint8Array(out));
}

const ascii = new TextEncoder();

/** UTCTime for 1950–2049, GeneralizedTime otherwise (RFC 5280 §4.1.2.5), second precision. */
export function encTime(d: Date): Uint8Array {
  const y = d.getUTCFullYear();
  const p = (n: number) => String(n).padStart(2, "0");
  const rest = `${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}` +
    `${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
  if (y >= 1950 && y < 2050) return tlv(TAG.UTC_TIME, ascii.encode(p(y % 100) + rest));
  return tlv(TAG.GENERALIZED_TIME, ascii.encode(String(y).padStart(4, "0") + rest));
}

/** BIT STRING with no unused bits. */
export function encBitString(bytes: Uint8Array): Uint8Array {
  return tlv(TAG.BIT_STRING, new Uint8Array([0]), bytes);
}

/** OCTET STRING. */
export function encOctetString(bytes: Uint8Array): Uint8Array {
  return tlv(TAG.OCTET_STRING, bytes);
}

/** Context-specific constructed `[n] EXPLICIT` wrapper. */
export function encExplicit(n: number, inner: Uint8Array): Uint8Array {
  return tlv(0xa0 | n, inner);
}

/** UTF8String. */
export function encUtf8(s: string): Uint8Array {
  return tlv(TAG.UTF8, ascii.encode(s));
}

/** PrintableString (caller checks the character set). */
export function encPrintable(s: string): Uint8Array {
  return tlv(TAG.PRINTABLE, ascii.encode(s));
}

/** IA5String (caller checks the character set). */
export function encIa5(s: string): Uint8Array {
  return tlv(TAG.IA5, ascii.encode(s));
}

/** NULL. */
export const DER_NULL: Uint8Array = new Uint8Array([TAG.NULL, 0]);
/** BOOLEAN TRUE. */
export const DER_TRUE: Uint8Array = new Uint8Array([TAG.BOOLEAN, 1, 0xff]);
