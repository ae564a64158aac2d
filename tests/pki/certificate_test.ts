import assert from "node:assert/strict";
import crypto from "node:crypto";
import {
  MAX_CERTIFICATE_BYTES,
  parseCertificate,
  parseNodeCertificate,
} from "../../lib/pki/certificate.ts";
import { PkiError, type PkiErrorCode } from "../../lib/pki/errors.ts";
import { pemOrDer, toPem } from "../../lib/pki/pem.ts";
import { createTestNode } from "../../lib/pki/testing.ts";
import { run, selfSignedArgs, testCa, testKey, withTempDir } from "./fixtures.ts";

function rejects(input: string | Uint8Array, code: PkiErrorCode, node = true) {
  assert.throws(
    () => (node ? parseNodeCertificate : parseCertificate)(input),
    (e) => e instanceof PkiError && e.code === code,
    `expected ${code}`,
  );
}

Deno.test("a node certificate parses from PEM and DER to the same fields", async () => {
  const { signer } = await testCa();
  const node = await createTestNode(signer, "0000000000000111", {
    keyPem: await testKey("a"),
    subjectSerial: 4,
    serial: 12n,
  });
  const der = pemOrDer(node.certPem, ["CERTIFICATE"], 1e5);
  const fromDer = parseNodeCertificate(der);
  assert.equal(fromDer.cn, "7/16");
  assert.equal(fromDer.prefix, "0000000000000111");
  assert.equal(fromDer.subjectSerial, "4");
  assert.equal(fromDer.serial, 12n);
  assert.equal(fromDer.keyBits, 2048);
  assert.equal(fromDer.publicKey.asymmetricKeyType, "rsa");
  assert.deepEqual(fromDer.der, der);
  assert.deepEqual(fromDer.sha1, new Uint8Array(crypto.createHash("sha1").update(der).digest()));
  assert.equal(fromDer.sha1.length, 20);
  assert.deepEqual(fromDer.notAfter, node.cert.notAfter);
  // The public key is usable for the protocol's RSA operations.
  const sig = crypto.sign("sha512", der, node.keyPem);
  assert.ok(crypto.verify("sha512", der, fromDer.publicKey, sig));
});

Deno.test("OpenSSL-made v3 certificates parse too", async () => {
  await withTempDir(async (dir) => {
    const r = await run(
      "openssl",
      selfSignedArgs({
        newKey: "rsa:2048",
        keyOut: `${dir}/k`,
        subject: "/O=x/CN=12\\/16/serialNumber=5",
        days: 2,
        serial: "0x120010db80042",
        digest: "sha256",
        out: `${dir}/c`,
      }),
    );
    assert.equal(r.code, 0, r.stderr);
    const cert = parseNodeCertificate(await Deno.readTextFile(`${dir}/c`));
    assert.equal(cert.version, 3);
    assert.equal(cert.serial, 0x120010db80042n);
    assert.equal(cert.signatureHash, "sha256");
    assert.equal(cert.prefix, "0000000000001100");
    assert.equal(cert.subjectSerial, "5");
  });
});

Deno.test("bad certificates give typed errors", async () => {
  const { certPem } = await testCa();
  const der = pemOrDer(certPem, ["CERTIFICATE"], 1e5);
  rejects("garbage", "malformed");
  rejects(new Uint8Array([1, 2, 3]), "malformed");
  rejects(der.subarray(0, der.length - 1), "malformed");
  rejects(der.subarray(0, 100), "malformed");
  rejects(toPem("CERTIFICATE", der.subarray(0, 300)), "malformed");
  rejects(toPem("CERTIFICATE", new Uint8Array([0x30, 0])), "malformed");
  rejects("A".repeat(MAX_CERTIFICATE_BYTES + 1), "too-large");
  rejects(certPem, "malformed"); // CA CN "TEST-CA" is not a prefix
  assert.equal(parseCertificate(certPem).serial, 0x120010db80042n);
  rejects(123 as unknown as string, "malformed");
  await withTempDir(async (dir) => {
    const r = await run(
      "openssl",
      selfSignedArgs({
        newKey: "ec",
        keyOut: `${dir}/k`,
        extra: ["-pkeyopt", "ec_paramgen_curve:P-256"],
        subject: "/CN=1\\/16",
        out: `${dir}/ec`,
      }),
    );
    assert.equal(r.code, 0, r.stderr);
    const ec = await Deno.readTextFile(`${dir}/ec`);
    assert.throws(() => parseNodeCertificate(ec), PkiError);
    const r2 = await run(
      "openssl",
      selfSignedArgs({
        newKey: "rsa:1024",
        keyOut: `${dir}/k2`,
        subject: "/O=none",
        out: `${dir}/nocn`,
      }),
    );
    assert.equal(r2.code, 0, r2.stderr);
    rejects(await Deno.readTextFile(`${dir}/nocn`), "malformed");
  });
});
