import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import { createCsr } from "../../lib/conf/csr.ts";
import { encodeName, overlaySubject, subjectFieldProblem } from "../../lib/conf/subject.ts";

Deno.test("CSR: SHA-512 signature and subject values OpenSSL reads back exactly", async () => {
  const { privateKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
  const pem = privateKey.export({ type: "pkcs8", format: "pem" }) as string;
  const csr = await createCsr(pem, [
    ["C", "FR"],
    ["O", 'Ex, "q" \\ é'],
    ["emailAddress", "a@example.org"],
    ["OU", "x".repeat(300)],
  ]);
  const text = execFileSync("openssl", [
    "req",
    "-noout",
    "-verify",
    "-text",
    "-nameopt",
    "multiline,utf8,-esc_msb",
  ], { input: csr, stdio: ["pipe", "pipe", "pipe"] }).toString();
  assert.match(text, /Signature Algorithm: sha512WithRSAEncryption/);
  assert.match(text, /countryName\s+= FR/);
  // OpenSSL shows a backslash escaped as `\\`.
  assert.match(text, /organizationName\s+= Ex, "q" \\\\ é/);
  assert.match(text, /emailAddress\s+= a@example\.org/);
  assert.match(text, new RegExp(`organizationalUnitName\\s+= x{300}`));
  assert.ok((await createCsr(pem, [])).startsWith("-----BEGIN CERTIFICATE REQUEST-----"));
});

Deno.test("subject: reserved and unknown fields, bad values, overlay", () => {
  assert.match(subjectFieldProblem("CN")!, /reserved/);
  assert.match(subjectFieldProblem("serial")!, /reserved/);
  assert.match(subjectFieldProblem("serialNumber")!, /reserved/);
  assert.match(subjectFieldProblem("XX")!, /unknown subject field 'XX'/);
  assert.equal(subjectFieldProblem("OU"), undefined);
  assert.throws(() => encodeName([["C", "France"]]), /C must be a 2-letter code/);
  assert.throws(() => encodeName([["emailAddress", "é@example.org"]]), /must be ASCII/);
  assert.deepEqual(overlaySubject([["C", "FR"], ["O", "a"]], [["O", "b"], ["L", "Lille"]]), [
    ["C", "FR"],
    ["O", "b"],
    ["L", "Lille"],
  ]);
});
