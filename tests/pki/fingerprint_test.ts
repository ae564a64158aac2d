import assert from "node:assert/strict";
import crypto from "node:crypto";
import { PkiError } from "../../lib/pki/errors.ts";
import { fingerprint, matchesFingerprint } from "../../lib/pki/fingerprint.ts";

Deno.test("fingerprints use re6st-conf's ALG:HEX form for any hash", () => {
  const der = new TextEncoder().encode("certificate bytes");
  const hex = crypto.createHash("sha256").update(der).digest("hex");
  assert.equal(fingerprint(der), `sha256:${hex}`);
  assert.equal(
    fingerprint(der, "SHA1"),
    `sha1:${crypto.createHash("sha1").update(der).digest("hex")}`,
  );
  assert.equal(matchesFingerprint(der, `sha256:${hex}`), true);
  assert.equal(matchesFingerprint(der, `SHA256:${hex.toUpperCase()}`), true);
  assert.equal(matchesFingerprint(der, `sha256:${hex.match(/../g)!.join(":")}`), true);
  assert.equal(matchesFingerprint(der, `sha256:${hex.replace(/^./, "0")}` + "0"), false);
  assert.equal(matchesFingerprint(der, `sha512:${hex}`), false);
  for (const bad of ["sha256", ":abc", "sha256:xyz", "nohash:abcd"]) {
    assert.throws(() => matchesFingerprint(der, bad), PkiError, bad);
  }
});
