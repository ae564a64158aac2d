import assert from "node:assert/strict";
import { createCsr } from "../../lib/pki/csr.ts";
import { pemOrDer } from "../../lib/pki/pem.ts";
import { createTestCa, createTestNode } from "../../lib/pki/testing.ts";
import { ownCertificateCheckTime, verifyCertificate } from "../../lib/pki/verify.ts";
import { run, testCa, testKey, withTempDir } from "./fixtures.ts";

const DAY = 86_400_000;

Deno.test("a certificate of our CA verifies strictly at the current time", async () => {
  const { signer } = await testCa();
  const node = await createTestNode(signer, "0000000000000001", { keyPem: await testKey("a") });
  assert.deepEqual(verifyCertificate(node.cert, signer.ca), { ok: true });
  assert.deepEqual(verifyCertificate(node.certPem, signer.ca, { crl: [] }), { ok: true });
  const der = pemOrDer(node.certPem, ["CERTIFICATE"], 1e5);
  assert.deepEqual(verifyCertificate(der, signer.ca, { crl: new Set([99n]) }), { ok: true });
});

Deno.test("foreign CA, tampering, expiry, future validity, revocation and garbage are refused", async () => {
  const { signer } = await testCa();
  const key = await testKey("a");
  const now = Date.now();
  const node = await createTestNode(signer, "0000000000000010", { keyPem: key, serial: 40n });
  // Same subject, other key: only the signature tells them apart.
  const foreign = await createTestCa({ keyPem: await testKey("foreign-ca") });
  const alien = await createTestNode(foreign.signer, "0000000000000010", { keyPem: key });
  assert.deepEqual(verifyCertificate(alien.cert, signer.ca), {
    ok: false,
    reason: "not signed by CA",
  });
  const other = await createTestCa({ keyPem: await testKey("foreign-ca"), subject: "/CN=other" });
  const alien2 = await createTestNode(other.signer, "01", { keyPem: key });
  assert.equal(verifyCertificate(alien2.certPem, signer.ca).ok, false);
  const der = pemOrDer(node.certPem, ["CERTIFICATE"], 1e5).slice();
  der[der.length - 300] ^= 0x01; // inside the TBS public key
  assert.deepEqual(verifyCertificate(der, signer.ca), { ok: false, reason: "not signed by CA" });

  const expired = await createTestNode(signer, "0000000000000011", {
    keyPem: key,
    notBefore: new Date(now - 400 * DAY),
    notAfter: new Date(now - 35 * DAY),
  });
  assert.deepEqual(verifyCertificate(expired.cert, signer.ca), { ok: false, reason: "expired" });
  const future = await createTestNode(signer, "0000000000000100", {
    keyPem: key,
    notBefore: new Date(now + DAY),
  });
  assert.deepEqual(verifyCertificate(future.cert, signer.ca), {
    ok: false,
    reason: "not yet valid",
  });
  assert.deepEqual(verifyCertificate(node.cert, signer.ca, { crl: [1n, 40n] }), {
    ok: false,
    reason: "revoked",
  });
  assert.deepEqual(verifyCertificate(node.cert, signer.ca, { crl: new Set([40n]) }), {
    ok: false,
    reason: "revoked",
  });
  for (const junk of ["", "junk", new Uint8Array([0x30, 0x82, 0xff]), der.subarray(0, 50)]) {
    assert.deepEqual(verifyCertificate(junk, signer.ca), { ok: false, reason: "malformed" });
  }
  // An expired own certificate is checked at min(now, max(CA.notBefore, cert.notBefore)).
  const later = new Date(now + 400 * DAY);
  assert.deepEqual(verifyCertificate(node.cert, signer.ca, { at: later }), {
    ok: false,
    reason: "expired",
  });
  const at = ownCertificateCheckTime(node.cert, signer.ca, later);
  assert.equal(
    at.getTime(),
    Math.max(signer.ca.notBefore.getTime(), node.cert.notBefore.getTime()),
  );
  assert.deepEqual(verifyCertificate(node.cert, signer.ca, { at }), { ok: true });
  const early = new Date(future.cert.notBefore.getTime() - 1000);
  assert.deepEqual(ownCertificateCheckTime(future.cert, signer.ca, early), early);
});

Deno.test("certificates signed by the openssl CLI with our CA key verify too", async () => {
  const { keyPem, certPem } = await testCa();
  const { signer } = await testCa();
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/ca.key`, keyPem);
    await Deno.writeTextFile(`${dir}/ca.crt`, certPem);
    await Deno.writeTextFile(`${dir}/req`, createCsr(await testKey("a"), [["CN", "3/16"]]));
    const r = await run("openssl", [
      "x509",
      "-req",
      "-in",
      `${dir}/req`,
      "-CA",
      `${dir}/ca.crt`,
      "-CAkey",
      `${dir}/ca.key`,
      "-set_serial",
      "77",
      "-days",
      "1",
      "-sha512",
      "-out",
      `${dir}/c`,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(verifyCertificate(await Deno.readTextFile(`${dir}/c`), signer.ca), {
      ok: true,
    });
  });
});
