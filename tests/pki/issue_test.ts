import assert from "node:assert/strict";
import { certificatePem, parseNodeCertificate } from "../../lib/pki/certificate.ts";
import { createCsr, parseCsr } from "../../lib/pki/csr.ts";
import { PkiError } from "../../lib/pki/errors.ts";
import { issueCertificate, renewCertificate } from "../../lib/pki/issue.ts";
import { verifyCertificate } from "../../lib/pki/verify.ts";
import { run, testCa, testKey, withTempDir } from "./fixtures.ts";

const DAY = 86_400_000;

async function opensslText(dir: string, caPem: string, certPem: string) {
  await Deno.writeTextFile(`${dir}/ca.crt`, caPem);
  await Deno.writeTextFile(`${dir}/cert.crt`, certPem);
  const verify = await run("openssl", ["verify", "-CAfile", `${dir}/ca.crt`, `${dir}/cert.crt`]);
  const text = await run("openssl", ["x509", "-in", `${dir}/cert.crt`, "-noout", "-text"]);
  return { verify, text: text.stdout };
}

Deno.test("statement 16: issued certificates follow spec §4.2 and OpenSSL verifies them", async () => {
  const { signer, certPem: caPem } = await testCa();
  const key = await testKey("a");
  const csr = parseCsr(
    createCsr(key, [["C", "FR"], ["O", "acme"], ["CN", "evil"], ["serialNumber", "99"]]),
    { keyBits: signer.ca.keyBits },
  );
  const notBefore = new Date("2026-11-22T01:00:00Z");
  const { pem, der } = issueCertificate(signer, csr, {
    prefix: "0000000000000101",
    subjectSerial: 3,
    serial: 7n,
    notBefore,
  });
  const cert = parseNodeCertificate(pem);
  assert.deepEqual(cert.der, der);
  assert.equal(cert.version, 1);
  assert.equal(cert.cn, "5/16");
  assert.equal(cert.prefix, "0000000000000101");
  assert.equal(cert.subjectSerial, "3");
  assert.equal(cert.serial, 7n);
  assert.equal(cert.signatureHash, "sha512");
  assert.deepEqual(cert.issuer.der, signer.ca.subject.der);
  assert.deepEqual(cert.spki, csr.spki);
  assert.equal(cert.notBefore.getTime(), notBefore.getTime());
  assert.equal(cert.notAfter.getTime() - cert.notBefore.getTime(), 365 * DAY);
  assert.deepEqual(
    cert.subject.attributes.map((a) => `${a.type}=${a.value}`),
    ["C=FR", "O=acme", "serialNumber=3", "CN=5/16"],
  );
  await withTempDir(async (dir) => {
    const { verify, text } = await opensslText(dir, caPem, pem);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    assert.match(text, /Version: 1 \(0x0\)/);
    assert.doesNotMatch(text, /X509v3/);
    assert.match(text, /Signature Algorithm: sha512WithRSAEncryption/);
    assert.match(text, /Issuer: C ?= ?FR, ST ?= ?Lille, L ?= ?Lille, O ?= ?nexedi, CN ?= ?TEST-CA/);
    assert.match(text, /Subject: C ?= ?FR, O ?= ?acme, serialNumber ?= ?3, CN ?= ?5\/16/);
    assert.match(text, /Serial Number: 7 /);
  });
});

Deno.test("default validity is [now, now + 365 d]; long prefixes use the big-integer CN", async () => {
  const { signer } = await testCa();
  const csr = parseCsr(createCsr(await testKey("a"), []));
  const before = Date.now();
  const p80 = "00000000000000" + "1" + "0".repeat(65);
  const cert = parseNodeCertificate(
    issueCertificate(signer, csr, { prefix: p80, subjectSerial: 0n, serial: 1n }).pem,
  );
  assert.ok(Math.abs(cert.notBefore.getTime() - before) < 5000);
  assert.equal(cert.notAfter.getTime() - cert.notBefore.getTime(), 365 * DAY);
  assert.equal(cert.cn, "36893488147419103232/80");
  assert.equal(cert.prefix, p80);
  assert.equal(cert.subjectSerial, "0");
});

Deno.test("a CN inside a multi-valued RDN is replaced, its sibling kept", async () => {
  const key = await testKey("a");
  const { signer } = await testCa();
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/k`, key);
    const r = await run("openssl", [
      "req",
      "-new",
      "-key",
      `${dir}/k`,
      "-multivalue-rdn",
      "-subj",
      "/O=x+CN=y/L=z",
      "-out",
      `${dir}/r`,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const csr = parseCsr(await Deno.readTextFile(`${dir}/r`));
    const cert = parseNodeCertificate(
      issueCertificate(signer, csr, { prefix: "1", subjectSerial: 1, serial: 2n }).pem,
    );
    assert.deepEqual(
      cert.subject.attributes.map((a) => `${a.type}=${a.value}`),
      ["O=x", "L=z", "serialNumber=1", "CN=1/1"],
    );
  });
});

Deno.test("renewal keeps subject and key, takes a new serial and validity", async () => {
  const { signer, certPem: caPem } = await testCa();
  const csr = parseCsr(createCsr(await testKey("a"), [["O", "acme"]]));
  const old = parseNodeCertificate(
    issueCertificate(signer, csr, { prefix: "0000000000000100", subjectSerial: 2, serial: 3n }).pem,
  );
  const notAfter = new Date(old.notAfter.getTime());
  const renewed = parseNodeCertificate(
    renewCertificate(signer, old, { serial: 9n, notAfter }).pem,
  );
  assert.equal(renewed.serial, 9n);
  assert.deepEqual(renewed.subject.der, old.subject.der);
  assert.deepEqual(renewed.spki, old.spki);
  assert.equal(renewed.notAfter.getTime(), notAfter.getTime());
  assert.deepEqual(verifyCertificate(renewed, signer.ca), { ok: true });
  await withTempDir(async (dir) => {
    const { verify } = await opensslText(dir, caPem, certificatePem(renewed));
    assert.equal(verify.code, 0, verify.stderr);
  });
});

Deno.test("issuing with out-of-range arguments throws invalid-argument", async () => {
  const { signer } = await testCa();
  const csr = parseCsr(createCsr(await testKey("a"), []));
  const base = { prefix: "01", subjectSerial: 0, serial: 1n };
  const bad = [
    { ...base, serial: 0n },
    { ...base, prefix: "012" },
    { ...base, prefix: "0".repeat(81) },
    { ...base, subjectSerial: -1 },
    { ...base, notBefore: new Date(2e12), notAfter: new Date(1e12) },
  ];
  for (const opts of bad) {
    assert.throws(
      () => issueCertificate(signer, csr, opts),
      (e) => e instanceof PkiError && e.code === "invalid-argument",
      JSON.stringify(opts, (_, v) => typeof v === "bigint" ? String(v) : v),
    );
  }
});
