import assert from "node:assert/strict";
import { createCrlPem, normalizeCrl } from "../../lib/pki/crl.ts";
import { PkiError } from "../../lib/pki/errors.ts";
import { createTestNode } from "../../lib/pki/testing.ts";
import { run, testCa, testKey, withTempDir } from "./fixtures.ts";

Deno.test("the crl network parameter normalises to sorted unique serials", () => {
  assert.deepEqual(normalizeCrl([5, 3n, "12", 3, 0]), [0n, 3n, 5n, 12n]);
  assert.deepEqual(normalizeCrl([]), []);
  for (const bad of [null, "1,2", [-1], [1.5], ["x"], [{}], [Number.MAX_SAFE_INTEGER + 2]]) {
    assert.throws(() => normalizeCrl(bad), PkiError, JSON.stringify(bad));
  }
});

Deno.test("createCrlPem: OpenSSL accepts the CRL and it revokes exactly the listed serials", async () => {
  const { signer, certPem: caPem } = await testCa();
  const key = await testKey("a");
  const revoked = await createTestNode(signer, "0000000000000001", { keyPem: key, serial: 501n });
  const kept = await createTestNode(signer, "0000000000000010", { keyPem: key, serial: 502n });
  const crl = createCrlPem(signer, [
    { serial: 501n, revokedAt: new Date("2026-01-01T00:00:00Z") },
    7n,
  ], {
    crlNumber: 4n,
  });
  assert.match(crl, /^-----BEGIN X509 CRL-----\n/);
  const empty = createCrlPem(signer, []);
  await withTempDir(async (dir) => {
    const w = (name: string, text: string) => Deno.writeTextFile(`${dir}/${name}`, text);
    await w("ca.crt", caPem);
    await w("crl.pem", crl);
    await w("empty.pem", empty);
    await w("revoked.crt", revoked.certPem);
    await w("kept.crt", kept.certPem);
    for (const f of ["crl.pem", "empty.pem"]) {
      const r = await run("openssl", [
        "crl",
        "-in",
        `${dir}/${f}`,
        "-CAfile",
        `${dir}/ca.crt`,
        "-noout",
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout + r.stderr, /verify OK/);
    }
    const text = await run("openssl", ["crl", "-in", `${dir}/crl.pem`, "-noout", "-text"]);
    assert.match(text.stdout, /Serial Number: 01F5/);
    assert.match(text.stdout, /Serial Number: 07/);
    assert.match(text.stdout, /X509v3 CRL Number: \n\s+4/);
    assert.match(text.stdout, /sha512WithRSAEncryption/);
    const check = (cert: string) =>
      run("openssl", [
        "verify",
        "-crl_check",
        "-CRLfile",
        `${dir}/crl.pem`,
        "-CAfile",
        `${dir}/ca.crt`,
        `${dir}/${cert}`,
      ]);
    const bad = await check("revoked.crt");
    assert.notEqual(bad.code, 0);
    assert.match(bad.stdout + bad.stderr, /certificate revoked/);
    const good = await check("kept.crt");
    assert.equal(good.code, 0, good.stdout + good.stderr);
  });
});
