import assert from "node:assert/strict";
import { PkiError } from "../../lib/pki/errors.ts";
import { pemOrDer, toPem } from "../../lib/pki/pem.ts";

Deno.test("PEM round-trips and the first block with a wanted label is taken", () => {
  const der = new Uint8Array(200).map((_, i) => i);
  der[0] = 0x30;
  const cert = toPem("CERTIFICATE", der);
  assert.match(cert, /^-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/]{64}\n/);
  const bundle = toPem("PRIVATE KEY", new Uint8Array([1, 2, 3])) + "junk\n" + cert;
  assert.deepEqual(pemOrDer(bundle, ["CERTIFICATE"], 1e4), der);
  assert.deepEqual(pemOrDer(new TextEncoder().encode(bundle), ["CERTIFICATE"], 1e4), der);
  assert.equal(pemOrDer(der, ["CERTIFICATE"], 1e4), der, "DER bytes pass through");
});

Deno.test("bad PEM input is refused before decoding", () => {
  const bad: [unknown, string][] = [
    ["", "malformed"],
    ["-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n", "malformed"],
    ["-----BEGIN CERTIFICATE-----\nQUJD=A\n-----END CERTIFICATE-----\n", "malformed"],
    ["-----BEGIN CERTIFICATE-----\nQUJD\n-----END X509 CRL-----\n", "malformed"],
    [toPem("X509 CRL", new Uint8Array([0x30, 0])), "malformed"],
    [new Uint8Array(20_000), "too-large"],
    [null, "malformed"],
    [{ length: 1 }, "malformed"],
  ];
  for (const [input, code] of bad) {
    assert.throws(
      () => pemOrDer(input as string, ["CERTIFICATE"], 10_000),
      (e) => e instanceof PkiError && e.code === code,
      String(input),
    );
  }
});
