/**
 * Node side of `getBootstrapPeer` (spec §3.5): the registry's answer is
 * RSA-PKCS#1-v1.5-encrypt(our key, `"<peer prefix bits> <address string>"`). An empty body
 * (HTTP 204) means no peer was available.
 */
import { type PrivateKeyInput, rsaDecrypt } from "../../pki/rsa.ts";
import { type Bits, isBits } from "../../wire/prefix.ts";

/** Outcome of decoding a bootstrap answer. */
export type BootstrapPeer =
  | { kind: "peer"; prefix: Bits; address: string }
  | { kind: "none"; reason: string };

const decoder = new TextDecoder("utf-8", { fatal: true });

/** Decrypts and parses a bootstrap answer; our own prefix and malformed answers give "none". */
export function decodeBootstrapPeer(
  body: Uint8Array,
  key: PrivateKeyInput,
  ourPrefix: Bits,
): BootstrapPeer {
  if (body.length === 0) return { kind: "none", reason: "the registry has no peer to offer" };
  let plain: Uint8Array;
  try {
    plain = rsaDecrypt(key, body);
  } catch {
    return { kind: "none", reason: "bootstrap answer does not decrypt with our key" };
  }
  let text: string;
  try {
    text = decoder.decode(plain);
  } catch {
    return { kind: "none", reason: "bootstrap answer is not UTF-8 text" };
  }
  const m = /^\s*(\S+)\s+(\S+)\s*$/.exec(text);
  if (!m || !isBits(m[1]) || m[1] === "") {
    return { kind: "none", reason: `malformed bootstrap answer ${JSON.stringify(text)}` };
  }
  if (m[1] === ourPrefix) return { kind: "none", reason: "the registry offered our own prefix" };
  return { kind: "peer", prefix: m[1], address: m[2] };
}
