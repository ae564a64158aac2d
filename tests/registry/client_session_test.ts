import assert from "node:assert/strict";
import crypto from "node:crypto";
import { formEncode, methodPath, registryBase } from "../../lib/registry/client_request.ts";
import { chainStep, openHello, responseAuthentic } from "../../lib/registry/client_session.ts";
import { rsaEncrypt, rsaSign } from "../../lib/pki/rsa.ts";

const hex = (s: string) => new Uint8Array(s.match(/../g)!.map((b) => parseInt(b, 16)));
const toHex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const utf8 = (s: string) => new TextEncoder().encode(s);

// Expected values computed with `openssl dgst -sha1 [-mac HMAC -macopt hexkey:…]`.
const K = hex("000102030405060708090a0b0c0d0e0f10111213");
const K1 = "602c63d2f3d13ca3206cdf204cde24e7d8f4266c";
const K2 = "8f610962f8582709735b1a7964b86202a5e4a9df";

Deno.test("statement 10 (client side): HMAC chain matches hand-computed values", () => {
  const step = chainStep(K, "/getNetworkConfig?cn=0000000000000101");
  assert.equal(step.requestHeader, "W4UsRdp4/ZIEfmasenV6oB9545o=");
  assert.equal(toHex(step.responseKey), K1);
  assert.equal(toHex(step.nextKey), K2);
  assert.equal(responseAuthentic(hex(K1), utf8("hello"), "m3yO6PxCi3uZElLGkYytn4nGeO8="), true);
  assert.equal(responseAuthentic(hex(K1), new Uint8Array(), "bqShDSWQrJk2uDC8dhyVue6nB2Y="), true);
  assert.equal(responseAuthentic(hex(K1), utf8("hellO"), "m3yO6PxCi3uZElLGkYytn4nGeO8="), false);
  assert.equal(responseAuthentic(K, utf8("hello"), "m3yO6PxCi3uZElLGkYytn4nGeO8="), false);
  assert.equal(responseAuthentic(hex(K1), utf8("hello"), null), false);
  assert.equal(responseAuthentic(hex(K1), utf8("hello"), "not base64!"), false);
});

Deno.test("request URLs carry every parameter in order, form-encoded like urlencode", () => {
  // Expected strings produced by Python's urllib.parse.urlencode.
  assert.equal(
    methodPath("requestCertificate", [
      ["token", "abc"],
      ["req", "-----BEGIN CERTIFICATE REQUEST-----\nMII+/=\n"],
      ["location", "FR,EU"],
      ["ip", ""],
    ]),
    "/requestCertificate?token=abc&req=-----BEGIN+CERTIFICATE+REQUEST-----%0AMII%2B%2F%3D%0A" +
      "&location=FR%2CEU&ip=",
  );
  assert.equal(formEncode("a b+c@ex.org"), "a+b%2Bc%40ex.org");
  assert.equal(formEncode("é!*()~'"), "%C3%A9%21%2A%28%29~%27");
  assert.equal(methodPath("getCa", []), "/getCa");
  assert.equal(
    methodPath("hello", [["client_prefix", "0101"], ["protocol", "10"]]),
    "/hello?client_prefix=0101&protocol=10",
  );
});

Deno.test("registry base URL keeps the path without trailing slash", () => {
  assert.equal(registryBase("http://198.18.0.1/"), "http://198.18.0.1");
  assert.equal(
    registryBase("https://reg.example:8443/re6st//?x=1"),
    "https://reg.example:8443/re6st",
  );
  assert.equal(registryBase("http://[2001:db8::1]:9080/a/b"), "http://[2001:db8::1]:9080/a/b");
  assert.throws(() => registryBase("ftp://198.18.0.1/"), /must be http/);
  assert.throws(() => registryBase("not a url"));
});

Deno.test("statement 9 (client side): hello halves are verified with the CA key and decrypted", () => {
  const ca = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
  const node = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
  const other = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
  const secret = crypto.randomBytes(20);
  const e = rsaEncrypt(node.publicKey, secret);
  const answer = new Uint8Array([...e, ...rsaSign(ca.privateKey, e)]);
  assert.deepEqual(openHello(answer, ca.publicKey, node.privateKey), new Uint8Array(secret));

  const forged = new Uint8Array([...e, ...rsaSign(other.privateKey, e)]);
  assert.throws(() => openHello(forged, ca.publicKey, node.privateKey), /not signed by the CA/);
  assert.throws(() => openHello(answer, ca.publicKey, other.privateKey), /does not decrypt/);
  assert.throws(() => openHello(answer.subarray(1), ca.publicKey, node.privateKey), /odd/);
  assert.throws(() => openHello(new Uint8Array(), ca.publicKey, node.privateKey), /zero length/);
});
