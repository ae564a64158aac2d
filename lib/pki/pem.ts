/**
 * PEM armour: `toPem(label, der)` and `pemOrDer(input, labels, maxBytes)` which accepts either
 * PEM text (first block with one of `labels`) or raw DER bytes, enforcing a size bound first.
 */
import { PkiError } from "./errors.ts";

/** Input accepted by the parsers: PEM text, or PEM/DER bytes. */
export type PemOrDer = string | Uint8Array;

/** Wraps DER in a PEM block with 64-column base64 lines. */
export function toPem(label: string, der: Uint8Array): string {
  let bin = "";
  for (let i = 0; i < der.length; i += 0x8000) {
    bin += String.fromCharCode(...der.subarray(i, i + 0x8000));
  }
  const b64 = btoa(bin);
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

const latin1 = new TextDecoder("latin1");

/**
 * DER bytes of `input`: bytes starting with a SEQUENCE tag are taken as DER, anything else must
 * hold a PEM block labelled with one of `labels`. Throws `PkiError` (`too-large`, `malformed`).
 */
export function pemOrDer(input: PemOrDer, labels: readonly string[], maxBytes: number): Uint8Array {
  if (typeof input !== "string" && !(input instanceof Uint8Array)) {
    throw new PkiError("malformed", "expected PEM text or DER bytes");
  }
  if (input.length > maxBytes) {
    throw new PkiError("too-large", `input of ${input.length} bytes exceeds ${maxBytes}`);
  }
  if (input instanceof Uint8Array && input[0] === 0x30) return input;
  const text = typeof input === "string" ? input : latin1.decode(input);
  const blocks = text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----([^-]*)-----END \1-----/g);
  const m = blocks.find((b) => labels.includes(b[1]));
  if (!m) {
    throw new PkiError("malformed", `no PEM block labelled ${labels.join(" or ")}`);
  }
  const b64 = m[2].replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0 || b64.length === 0) {
    throw new PkiError("malformed", "invalid base64 in PEM block");
  }
  const bin = atob(b64);
  const der = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) der[i] = bin.charCodeAt(i);
  return der;
}
