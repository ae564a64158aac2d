import assert from "node:assert/strict";
import { createCsr, MAX_CSR_BYTES, parseCsr, type ParseCsrOptions } from "../../lib/pki/csr.ts";
import { PkiError, type PkiErrorCode } from "../../lib/pki/errors.ts";
import { nameValue } from "../../lib/pki/name.ts";
import { pemOrDer, toPem } from "../../lib/pki/pem.ts";
import { run, testKey, withTempDir } from "./fixtures.ts";

function rejects(
  input: string | Uint8Array,
  code: PkiErrorCode,
  opts: ParseCsrOptions = { keyBits: 2048 },
) {
  assert.throws(
    () => parseCsr(input, opts),
    (e) => e instanceof PkiError && e.code === code,
    `expected ${code}`,
  );
}

Deno.test("createCsr makes a SHA-512 CSR that OpenSSL verifies and parseCsr reads back", async () => {
  const key = await testKey("a");
  const pem = createCsr(key, [["C", "FR"], ["O", "re6st test"], ["emailAddress", "n@example.com"]]);
  const csr = parseCsr(pem, { keyBits: 2048 });
  assert.equal(csr.keyBits, 2048);
  assert.equal(nameValue(csr.subject, "O"), "re6st test");
  assert.equal(nameValue(csr.subject, "emailAddress"), "n@example.com");
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/req.csr`, pem);
    const r = await run("openssl", ["req", "-in", `${dir}/req.csr`, "-noout", "-verify", "-text"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout + r.stderr, /verify OK/);
    assert.match(r.stdout, /sha512WithRSAEncryption/);
    assert.match(r.stdout, /Subject: C ?= ?FR, O ?= ?re6st test, emailAddress ?= ?n@example.com/);
  });
});

Deno.test("parseCsr accepts OpenSSL's CSRs, as PEM or DER, with an empty subject too", async () => {
  const key = await testKey("a");
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/k.pem`, key);
    const r = await run("openssl", [
      "req",
      "-new",
      "-key",
      `${dir}/k.pem`,
      "-sha512",
      "-subj",
      "/O=x/CN=1\\/16/serialNumber=7",
      "-out",
      `${dir}/r.csr`,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const pem = await Deno.readTextFile(`${dir}/r.csr`);
    const csr = parseCsr(pem, { keyBits: 2048 });
    assert.equal(
      nameValue(csr.subject, "CN"),
      "1/16",
      "CN in a CSR is accepted (overwritten at issue)",
    );
    assert.equal(nameValue(csr.subject, "serialNumber"), "7");
    assert.deepEqual(parseCsr(pemOrDer(pem, ["CERTIFICATE REQUEST"], 1e5)).der, csr.der);
  });
  assert.equal(parseCsr(createCsr(key, [])).subject.attributes.length, 0);
});

Deno.test("bad CSRs are rejected with typed errors", async () => {
  const key = await testKey("a");
  const pem = createCsr(key, [["O", "x"]]);
  const der = pemOrDer(pem, ["CERTIFICATE REQUEST"], 1e5);
  rejects("hello", "malformed");
  rejects("", "malformed");
  rejects(
    "-----BEGIN CERTIFICATE REQUEST-----\n!!!!\n-----END CERTIFICATE REQUEST-----\n",
    "malformed",
  );
  rejects(pem.replace("REQUEST", "THING").replace("REQUEST", "THING"), "malformed");
  rejects(der.subarray(0, der.length - 10), "malformed");
  rejects(toPem("CERTIFICATE REQUEST", der.subarray(0, 200)), "malformed");
  rejects(new Uint8Array([0x30, 0x03, 2, 1, 0]), "malformed");
  // Bad signature: flip one bit of the signature.
  const forged = der.slice();
  forged[forged.length - 5] ^= 1;
  rejects(forged, "bad-signature");
  // Tampered subject: the signature no longer covers it.
  const tampered = der.slice();
  const at = tampered.indexOf(0x78); // the "x" of O=x
  tampered[at] = 0x79;
  rejects(tampered, "bad-signature");
  // Oversized: refused before any parsing.
  rejects("A".repeat(MAX_CSR_BYTES + 1), "too-large");
  rejects(pem, "too-large", { keyBits: 2048, maxBytes: 100 });
});

Deno.test("CSR keys of another size than the CA's are refused", async () => {
  const small = createCsr(await testKey("small", 1024), []);
  rejects(small, "key-size");
  assert.equal(parseCsr(small, { keyBits: 1024 }).keyBits, 1024);
});

Deno.test("non-RSA CSRs are refused", async () => {
  await withTempDir(async (dir) => {
    for (
      const alg of [["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"], [
        "-newkey",
        "ed25519",
      ]]
    ) {
      const r = await run("openssl", [
        "req",
        "-new",
        ...alg,
        "-nodes",
        "-keyout",
        `${dir}/k`,
        "-subj",
        "/O=x",
        "-out",
        `${dir}/r`,
      ]);
      assert.equal(r.code, 0, r.stderr);
      rejects(await Deno.readTextFile(`${dir}/r`), "unsupported-key");
    }
  });
});
