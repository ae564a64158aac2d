import assert from "node:assert/strict";
import { parseCa } from "../../lib/pki/ca.ts";
import { parseNodeCertificate } from "../../lib/pki/certificate.ts";
import { createCsr, parseCsr } from "../../lib/pki/csr.ts";
import { PkiError } from "../../lib/pki/errors.ts";
import { pemOrDer } from "../../lib/pki/pem.ts";
import { createTestNode } from "../../lib/pki/testing.ts";
import { verifyCertificate } from "../../lib/pki/verify.ts";
import { testCa, testKey } from "./fixtures.ts";

/** Deterministic xorshift32 so failures reproduce. */
function rng(seed: number) {
  let x = seed;
  return (n: number) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };
}

function mutate(der: Uint8Array, r: (n: number) => number): Uint8Array {
  const out = der.slice();
  switch (r(4)) {
    case 0: // flip a few bytes
      for (let k = 0; k <= r(3); k++) out[r(out.length)] = r(256);
      return out;
    case 1: // truncate
      return out.subarray(0, r(out.length));
    case 2: // tweak a length byte near a tag
      out[1 + r(Math.min(out.length - 1, 60))] ^= 1 << r(8);
      return out;
    default: // splice a random chunk elsewhere
      return new Uint8Array([...out.subarray(0, r(out.length)), ...out.subarray(r(out.length))]);
  }
}

function onlyPkiErrors(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof PkiError)) throw e;
  }
}

Deno.test("mutated certificates and CSRs only ever raise PkiError", async () => {
  const { signer } = await testCa();
  const key = await testKey("a");
  const node = await createTestNode(signer, "0000000000000101", { keyPem: key });
  const cert = pemOrDer(node.certPem, ["CERTIFICATE"], 1e5);
  const csr = pemOrDer(
    createCsr(key, [["O", "fuzz"], ["CN", "1/1"]]),
    ["CERTIFICATE REQUEST"],
    1e5,
  );
  const r = rng(0x5eed);
  let accepted = 0;
  for (let i = 0; i < 1500; i++) {
    const c = mutate(cert, r);
    onlyPkiErrors(() => parseNodeCertificate(c));
    onlyPkiErrors(() => parseCa(c));
    if (verifyCertificate(c, signer.ca).ok) {
      accepted++;
      assert.deepEqual(c, cert, "only an unchanged certificate verifies");
    }
    onlyPkiErrors(() => parseCsr(mutate(csr, r), { keyBits: 2048 }));
  }
  assert.ok(accepted < 100, `accepted ${accepted} no-op mutations`);
});
