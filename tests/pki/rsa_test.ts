import assert from "node:assert/strict";
import crypto from "node:crypto";
import { rsaDecrypt, rsaEncrypt, rsaSign, rsaSize, rsaVerify } from "../../lib/pki/rsa.ts";
import { testCa, testKey } from "./fixtures.ts";

Deno.test("RSA PKCS#1 v1.5 encryption round-trips with a certificate's public key", async () => {
  const { signer } = await testCa();
  const secret = crypto.randomBytes(20);
  const cipher = rsaEncrypt(signer.ca.publicKey, secret);
  assert.equal(cipher.length, 256);
  assert.deepEqual(rsaDecrypt(signer.key, cipher), new Uint8Array(secret));
  const keyPem = await testKey("a");
  const pub = crypto.createPublicKey(keyPem).export({ type: "spki", format: "pem" }) as string;
  assert.deepEqual(rsaDecrypt(keyPem, rsaEncrypt(pub, secret)), new Uint8Array(secret));
  assert.throws(() => rsaDecrypt(signer.key, cipher.map((b, i) => i === 10 ? b ^ 1 : b)));
});

Deno.test("SHA-512 signatures verify and are the size of the modulus", async () => {
  const { signer } = await testCa();
  const data = new TextEncoder().encode("hello");
  const sig = rsaSign(signer.key, data);
  assert.equal(sig.length, rsaSize(signer.ca.publicKey));
  assert.equal(rsaVerify(signer.ca.publicKey, data, sig), true);
  assert.equal(rsaVerify(signer.ca.publicKey, new TextEncoder().encode("hellO"), sig), false);
  assert.equal(rsaVerify(signer.ca.publicKey, data, sig.subarray(1)), false);
  assert.equal(rsaVerify(signer.ca.publicKey, data, new Uint8Array(0)), false);
  // The protocol splits ciphertext‖signature in two halves: equal sizes with CA-sized keys.
  const cipher = rsaEncrypt(signer.ca.publicKey, new Uint8Array(20));
  assert.equal(cipher.length, sig.length);
  // PEM or KeyObject, the signature is the deterministic PKCS#1 v1.5 one.
  const keyPem = await testKey("a");
  assert.deepEqual(rsaSign(keyPem, data), new Uint8Array(crypto.sign("sha512", data, keyPem)));
});

Deno.test("rsaSize reads PEM keys of either kind", async () => {
  const keyPem = await testKey("small", 1024);
  assert.equal(rsaSize(keyPem), 128);
  const pub = crypto.createPublicKey(keyPem).export({ type: "spki", format: "pem" }) as string;
  assert.equal(rsaSize(pub), 128);
});
