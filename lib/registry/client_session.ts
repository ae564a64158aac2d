/**
 * Client side of the registry session (spec §3.2): opening the `hello` answer, and the
 * HMAC-SHA1 hash chain. With the current secret K, a request carries
 * `Re6stHMAC: base64(HMAC-SHA1(K, path-and-query))`; the response must carry
 * `base64(HMAC-SHA1(K1, body))` with K1 = SHA1(K); the next request uses K2 = SHA1(K1).
 */
import { Buffer } from "node:buffer";
import crypto from "node:crypto";
import { type PrivateKeyInput, type PublicKeyInput, rsaDecrypt, rsaVerify } from "../pki/rsa.ts";

/** HTTP header carrying the session HMAC in both directions. */
export const HMAC_HEADER = "Re6stHMAC";

/** SHA-1 digest. */
export function sha1(data: Uint8Array): Uint8Array {
  return new Uint8Array(crypto.createHash("sha1").update(data).digest());
}

function hmacSha1(key: Uint8Array, data: Uint8Array): Uint8Array {
  return new Uint8Array(crypto.createHmac("sha1", key).update(data).digest());
}

/** The keys derived from a session secret: K1 checks the response, K2 is the next secret. */
export interface ChainStep {
  requestHeader: string;
  responseKey: Uint8Array;
  nextKey: Uint8Array;
}

/** One step of the hash chain for a request `pathAndQuery` signed with `key`. */
export function chainStep(key: Uint8Array, pathAndQuery: string): ChainStep {
  const tag = hmacSha1(key, new TextEncoder().encode(pathAndQuery));
  const responseKey = sha1(key);
  return {
    requestHeader: Buffer.from(tag).toString("base64"),
    responseKey,
    nextKey: sha1(responseKey),
  };
}

/** True if `header` is base64(HMAC-SHA1(responseKey, body)). */
export function responseAuthentic(
  responseKey: Uint8Array,
  body: Uint8Array,
  header: string | null,
): boolean {
  if (header === null) return false;
  const expected = hmacSha1(responseKey, body);
  const got = Buffer.from(header, "base64");
  return got.length === expected.length && crypto.timingSafeEqual(got, expected);
}

/**
 * Opens a `hello` answer `E ‖ S`: the halves must be of equal length, `S` must be the CA's
 * RSA-SHA512 signature of `E`, and `E` decrypts with the node key to the session secret.
 * Throws an Error saying which check failed.
 */
export function openHello(
  body: Uint8Array,
  caKey: PublicKeyInput,
  nodeKey: PrivateKeyInput,
): Uint8Array {
  if (body.length === 0 || body.length % 2 !== 0) {
    throw new Error(`hello answer of odd or zero length ${body.length}`);
  }
  const half = body.length / 2;
  const encrypted = body.subarray(0, half);
  if (!rsaVerify(caKey, encrypted, body.subarray(half))) {
    throw new Error("hello answer not signed by the CA");
  }
  try {
    return rsaDecrypt(nodeKey, encrypted);
  } catch {
    throw new Error("hello answer does not decrypt with our key");
  }
}
