import assert from "node:assert/strict";
import { createCa, loadCaSigner, parseCa } from "../../lib/pki/ca.ts";
import { PkiError } from "../../lib/pki/errors.ts";
import { fingerprint } from "../../lib/pki/fingerprint.ts";
import { bitsToCidr, networkToSerial } from "../../lib/wire/prefix.ts";
import { run, selfSignedArgs, testCa, testKey, withTempDir } from "./fixtures.ts";

Deno.test("statement 3: the CA serial encodes the network prefix (2001:db8:42::/48 ↔ 0x120010db80042)", async () => {
  const { signer, certPem } = await testCa();
  assert.equal(signer.ca.serial, 0x120010db80042n);
  assert.equal(signer.ca.network, (0x20010db80042).toString(2).padStart(48, "0"));
  assert.equal(bitsToCidr(signer.ca.network), "2001:db8:42::/48");
  assert.equal(signer.ca.subjectText, "/C=FR/ST=Lille/L=Lille/O=nexedi/CN=TEST-CA");
  assert.equal(signer.ca.email, undefined);
  assert.equal(signer.ca.keyBits, 2048);
  assert.equal(signer.ca.signatureHash, "sha512");
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/ca.crt`, certPem);
    const r = await run("openssl", [
      "x509",
      "-in",
      `${dir}/ca.crt`,
      "-noout",
      "-serial",
      "-fingerprint",
      "-sha256",
      "-text",
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /serial=0120010DB80042/);
    assert.match(r.stdout, /CA:TRUE/);
    const hex = /Fingerprint=([0-9A-F:]+)/.exec(r.stdout)![1].replaceAll(":", "").toLowerCase();
    assert.equal(fingerprint(signer.ca.der), `sha256:${hex}`);
    const v = await run("openssl", ["verify", "-CAfile", `${dir}/ca.crt`, `${dir}/ca.crt`]);
    assert.equal(v.code, 0, v.stdout + v.stderr);
  });
});

Deno.test("createCa: other prefixes, e-mail, validity, reused key", async () => {
  const keyPem = await testKey("ca2");
  const now = new Date("2026-01-02T03:04:05Z");
  const { signer } = await createCa({
    prefixCidr: "fd00:1::/32",
    days: 10,
    subject: [["O", "example"], ["CN", "re6st CA"]],
    email: "registry@example.com",
    keyPem,
    now,
  });
  assert.equal(signer.ca.serial, networkToSerial("1111110100000000" + "0000000000000001"));
  assert.equal(signer.ca.network.length, 32);
  assert.equal(signer.ca.email, "registry@example.com");
  assert.equal(signer.ca.subjectText, "/O=example/CN=re6st CA/emailAddress=registry@example.com");
  assert.equal(signer.ca.notBefore.toISOString(), "2026-01-02T03:04:05.000Z");
  assert.equal(signer.ca.notAfter.toISOString(), "2026-01-12T03:04:05.000Z");
  const bad = [
    { prefixCidr: "2001:db8:42::1/48" },
    { prefixCidr: "198.18.0.0/15" },
    { prefixCidr: "2001:db8::/32", days: 0 },
    { prefixCidr: "2001:db8::/32", subject: "CN=x" },
    { prefixCidr: "2001:db8::/32", subject: "/XX=x" },
    { prefixCidr: "2001:db8::/32", email: "é@example.com" },
  ];
  for (const opts of bad) {
    await assert.rejects(createCa({ keyPem, ...opts }), PkiError, JSON.stringify(opts));
  }
});

Deno.test("a CA made by openssl req (re6stnet's documented way) loads", async () => {
  await withTempDir(async (dir) => {
    const r = await run(
      "openssl",
      selfSignedArgs({
        newKey: "rsa:2048",
        keyOut: `${dir}/ca.key`,
        serial: "0x120010db80042",
        days: 365,
        subject: "/O=x/CN=y/emailAddress=ca@example.com",
        out: `${dir}/ca.crt`,
      }),
    );
    assert.equal(r.code, 0, r.stderr);
    const signer = loadCaSigner(
      await Deno.readTextFile(`${dir}/ca.crt`),
      await Deno.readTextFile(`${dir}/ca.key`),
    );
    assert.equal(signer.ca.serial, 0x120010db80042n);
    assert.equal(signer.ca.email, "ca@example.com");
    assert.equal(signer.ca.subjectText, "/O=x/CN=y/emailAddress=ca@example.com");
    // Serial 0x1 followed by any bit pattern: that exact pattern is the network.
    const r2 = await run(
      "openssl",
      selfSignedArgs({
        key: `${dir}/ca.key`,
        serial: "0x1000b",
        subject: "/CN=odd",
        out: `${dir}/odd.crt`,
      }),
    );
    assert.equal(r2.code, 0, r2.stderr);
    assert.equal(parseCa(await Deno.readTextFile(`${dir}/odd.crt`)).network, "0000000000001011");
  });
});

Deno.test("CA loading errors: wrong key, serial 0, garbage", async () => {
  const { signer } = await testCa();
  const other = await testKey("a");
  assert.throws(
    () => loadCaSigner(signer.ca.der, other),
    (e) => e instanceof PkiError && e.code === "key-mismatch",
  );
  assert.throws(
    () => loadCaSigner(signer.ca.der, "nope"),
    (e) => e instanceof PkiError && e.code === "malformed",
  );
  assert.throws(() => parseCa("nope"), (e) => e instanceof PkiError && e.code === "malformed");
  await withTempDir(async (dir) => {
    const r = await run(
      "openssl",
      selfSignedArgs({
        newKey: "rsa:1024",
        keyOut: `${dir}/k`,
        serial: "0",
        subject: "/CN=zero",
        out: `${dir}/c`,
      }),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.throws(() => parseCa(Deno.readTextFileSync(`${dir}/c`)), /serial must be ≥ 1/);
  });
});
