/**
 * RSA primitives of the re6st protocol (spec §0): RSAES-PKCS1-v1_5 encryption and
 * RSASSA-PKCS1-v1_5 signatures with SHA-512, through `node:crypto`.
 */
import crypto from "node:crypto";
import { signSha512 } from "./sha512_sign.ts";

/** A public key in any form node:crypto accepts (PEM text, KeyObject). */
export type PublicKeyInput = string | crypto.KeyObject;
/** A private key in any form node:crypto accepts (PEM text, KeyObject). */
export type PrivateKeyInput = string | crypto.KeyObject;

/** RSAES-PKCS1-v1_5 encryption with the recipient's public key. */
export function rsaEncrypt(key: PublicKeyInput, plain: Uint8Array): Uint8Array {
  return new Uint8Array(
    crypto.publicEncrypt({ key, padding: crypto.constants.RSA_PKCS1_PADDING }, plain),
  );
}

/** RSAES-PKCS1-v1_5 decryption with our private key; throws on bad padding. */
export function rsaDecrypt(key: PrivateKeyInput, cipher: Uint8Array): Uint8Array {
  return new Uint8Array(
    crypto.privateDecrypt({ key, padding: crypto.constants.RSA_PKCS1_PADDING }, cipher),
  );
}

/** RSASSA-PKCS1-v1_5 signature with SHA-512 (through the system OpenSSL when available). */
export function rsaSign(key: PrivateKeyInput, data: Uint8Array): Uint8Array {
  return signSha512(typeof key === "string" ? crypto.createPrivateKey(key) : key, data);
}

/** Verifies an RSASSA-PKCS1-v1_5 SHA-512 signature; false on any mismatch or malformed input. */
export function rsaVerify(key: PublicKeyInput, data: Uint8Array, signature: Uint8Array): boolean {
  try {
    return crypto.verify("sha512", data, key, signature);
  } catch {
    return false;
  }
}

/** Modulus size in bytes of an RSA key (the length of its ciphertexts and signatures). */
export function rsaSize(key: PublicKeyInput | PrivateKeyInput): number {
  const k = typeof key === "string"
    ? (key.includes("PRIVATE") ? crypto.createPrivateKey(key) : crypto.createPublicKey(key))
    : key;
  const bits = k.asymmetricKeyDetails?.modulusLength;
  if (!bits) throw new Error("not an RSA key");
  return bits / 8;
}
