import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import crypto from "node:crypto";
import zlib from "node:zlib";
import {
  BABEL_DEFAULT,
  canonicalJson,
  type HmacKeys,
  hmacParameters,
  nodeParameters,
  rotateHmac,
  staticParameters,
  versionBlob,
} from "../../lib/registry/network_config.ts";
import { packInteger } from "../../lib/wire/pack_integer.ts";
import { TEST_PARAMETERS } from "./service_fixture.ts";

const { privateKey: caKey, publicKey: caPub } = crypto.generateKeyPairSync("rsa", {
  modulusLength: 2048,
});
const { privateKey: nodeKey, publicKey: nodePub } = crypto.generateKeyPairSync("rsa", {
  modulusLength: 2048,
});

const decrypt = (b64: string) =>
  Buffer.from(
    crypto.privateDecrypt(
      { key: nodeKey, padding: crypto.constants.RSA_PKCS1_PADDING },
      Buffer.from(b64, "base64"),
    ),
  ).toString("hex");

Deno.test("statement 30: five updateHMAC steps from no HMAC follow the rotation table", () => {
  let n = 0;
  const newKey = () => new Uint8Array(16).fill(++n);
  const hex = (k: Uint8Array) => Buffer.from(k).toString("hex");
  const K1 = hex(new Uint8Array(16).fill(1)), K2 = hex(new Uint8Array(16).fill(2));
  let keys: HmacKeys = [undefined, undefined, undefined];
  const expected = [
    { sign: K1, accept: "", validUntil: false },
    { sign: K1, accept: undefined, validUntil: false },
    { sign: K1, accept: K2, validUntil: true },
    { sign: K2, accept: K1, validUntil: false },
    { sign: K2, accept: undefined, validUntil: false },
  ];
  for (const step of expected) {
    const r = rotateHmac(keys, newKey);
    keys = r.keys;
    const p = hmacParameters(keys, nodePub);
    assert.equal(p.babel_hmac_sign === "" ? "" : decrypt(p.babel_hmac_sign), step.sign);
    const accept = p.babel_hmac_accept;
    assert.equal(
      accept === undefined ? undefined : accept === "" ? "" : decrypt(accept),
      step.accept,
    );
    assert.equal(r.setValidUntil, step.validUntil);
  }
  assert.deepEqual(keys.map((k) => k && hex(k)), [K2, undefined, undefined]);
  assert.deepEqual(hmacParameters([undefined, undefined, undefined], nodePub), {});
});

Deno.test("statement 27: served parameters contain every required key, zlib JSON", () => {
  const statics = staticParameters(
    { ...TEST_PARAMETERS, ipv4: { network: "198.18.0.0/16", sublen: 8 }, sameCountry: ["FR"] },
    [7n, 3n],
    "0000000000000000",
  );
  const blob = versionBlob(3, caKey);
  const body = nodeParameters(
    statics,
    blob,
    [new Uint8Array(16), undefined, undefined],
    nodePub,
    1234,
  );
  const cfg = JSON.parse(zlib.inflateSync(body).toString());
  assert.equal(cfg.babel_default, BABEL_DEFAULT);
  assert.deepEqual(cfg.crl, [3, 7]);
  for (
    const k of [
      "protocol",
      "min_protocol",
      "registry_prefix",
      "client_count",
      "max_clients",
      "encrypt",
      "hello",
      "tunnel_refresh",
      "version",
    ]
  ) {
    assert.ok(k in cfg, k);
  }
  assert.deepEqual(cfg[""], ["version"]);
  assert.equal(cfg.ipv4, "198.18.0.0/16");
  assert.equal(cfg.ipv4_sublen, 8);
  assert.deepEqual(cfg.same_country, ["FR"]);
  assert.equal(cfg.valid_until, 1234);
  assert.equal(decrypt(cfg.babel_hmac_sign), "00".repeat(16));
  assert.deepEqual(Buffer.from(cfg.version, "base64"), Buffer.from(blob));
});

Deno.test("statement 29 (registry side): version blobs verify with the CA key only", () => {
  const blob = versionBlob(7, caKey);
  const k = 1 + (blob[0] >> 5);
  assert.ok(crypto.verify("sha512", blob.subarray(0, k), caPub, blob.subarray(k)));
  assert.equal(crypto.verify("sha512", blob.subarray(0, k), nodePub, blob.subarray(k)), false);
  const forged = versionBlob(8, nodeKey);
  assert.equal(crypto.verify("sha512", forged.subarray(0, k), caPub, forged.subarray(k)), false);
});

Deno.test("version blob: packInteger(v) ‖ CA signature; v = 0 is the bare byte", () => {
  assert.deepEqual(versionBlob(0, caKey), new Uint8Array([0]));
  const blob = versionBlob(100000, caKey);
  const n = packInteger(100000);
  assert.deepEqual(blob.subarray(0, n.length), n);
  const k = 1 + (blob[0] >> 5);
  assert.equal(k, n.length);
  assert.ok(crypto.verify("sha512", blob.subarray(0, k), caPub, blob.subarray(k)));
});

Deno.test("change detection: canonical JSON has sorted keys and Python separators", () => {
  assert.equal(
    canonicalJson({ b: [1, 2], a: { d: true, c: "x" } }),
    '{"a": {"c": "x", "d": true}, "b": [1, 2]}',
  );
  const a = canonicalJson(staticParameters(TEST_PARAMETERS, [], "01"));
  assert.equal(a, canonicalJson(staticParameters({ ...TEST_PARAMETERS }, [], "01")));
  assert.notEqual(
    a,
    canonicalJson(staticParameters({ ...TEST_PARAMETERS, clientCount: 3 }, [], "01")),
  );
  assert.notEqual(a, canonicalJson(staticParameters(TEST_PARAMETERS, [1n], "01")));
  assert.equal("registry_prefix" in staticParameters(TEST_PARAMETERS, [], undefined), false);
});
