/**
 * RSA keys.
 *
 * - `generateRsaKey(bits)` → PKCS#8 PEM (`BEGIN PRIVATE KEY`, read by OpenSSL and OpenVPN);
 * - `writePrivateKey(path, pem)` writes atomically with mode 0600;
 * - `loadPrivateKey(pem)` / `loadPublicKey(spkiDer)` → RSA `KeyObject` or `PkiError`;
 * - `keyBits(key)` modulus size in bits.
 */
import crypto from "node:crypto";
import { Buffer } from "node:buffer";
import { PkiError } from "./errors.ts";

/** Smallest and largest RSA modulus sizes re6st accepts. */
export const MIN_RSA_BITS = 1024;
export const MAX_RSA_BITS = 8192;

/** Generates an RSA private key (e = 65537) as PKCS#8 PEM. */
export function generateRsaKey(bits: number): Promise<string> {
  if (!Number.isInteger(bits) || bits < MIN_RSA_BITS || bits > MAX_RSA_BITS || bits % 8) {
    const e = new PkiError("invalid-argument", "RSA key size must be a multiple of 8 in 1024–8192");
    return Promise.reject(e);
  }
  return new Promise((resolve, reject) => {
    crypto.generateKeyPair("rsa", {
      modulusLength: bits,
      publicExponent: 0x10001,
      privateKeyEncoding: { type: "pkcs8", format: "pem" },
      publicKeyEncoding: { type: "spki", format: "pem" },
    }, (err, _pub, priv) => err ? reject(err) : resolve(priv));
  });
}

/** Writes a private key readable only by its owner (0600), replacing `path` atomically. */
export async function writePrivateKey(path: string, pem: string): Promise<void> {
  const tmp = `${path}.${crypto.randomBytes(6).toString("hex")}.tmp`;
  try {
    await Deno.writeTextFile(tmp, pem, { mode: 0o600, createNew: true });
    await Deno.chmod(tmp, 0o600);
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}

function requireRsa(key: crypto.KeyObject): crypto.KeyObject {
  if (key.asymmetricKeyType !== "rsa") {
    throw new PkiError("unsupported-key", `not an RSA key (${key.asymmetricKeyType})`);
  }
  return key;
}

/** Parses an RSA private key (PEM, PKCS#1 or PKCS#8, unencrypted). */
export function loadPrivateKey(pem: string | crypto.KeyObject): crypto.KeyObject {
  if (typeof pem !== "string") return requireRsa(pem);
  let key: crypto.KeyObject;
  try {
    key = crypto.createPrivateKey(pem);
  } catch {
    throw new PkiError("malformed", "not a readable private key");
  }
  return requireRsa(key);
}

/** Parses a DER SubjectPublicKeyInfo holding an RSA key. */
export function loadPublicKey(spki: Uint8Array): crypto.KeyObject {
  let key: crypto.KeyObject;
  try {
    key = crypto.createPublicKey({ key: Buffer.from(spki), format: "der", type: "spki" });
  } catch {
    throw new PkiError("malformed", "unreadable public key");
  }
  return requireRsa(key);
}

/** Modulus size in bits of an RSA key. */
export function keyBits(key: crypto.KeyObject): number {
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (!bits) throw new PkiError("unsupported-key", "not an RSA key");
  return bits;
}
