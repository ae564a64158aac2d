import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { overlaySubject, reusableSubject, subjectFieldProblem } from "../../lib/conf/subject.ts";
import { createCsr, parseCsr } from "../../lib/pki/csr.ts";
import { issueCertificate } from "../../lib/pki/issue.ts";
import { createTestCa } from "../../lib/pki/testing.ts";

Deno.test("--req fields: reserved, unknown and unencodable ones are refused", () => {
  assert.match(subjectFieldProblem("CN", "x")!, /'CN' is reserved/);
  assert.match(subjectFieldProblem("serial", "3")!, /'serial' is reserved/);
  assert.match(subjectFieldProblem("serialNumber", "3")!, /reserved/);
  assert.match(subjectFieldProblem("XX", "x")!, /unknown subject field 'XX'/);
  assert.match(subjectFieldProblem("toString", "x")!, /unknown subject field/);
  assert.match(subjectFieldProblem("C", "France")!, /bad C value/);
  assert.match(subjectFieldProblem("emailAddress", "é@example.org")!, /non-ASCII/);
  assert.equal(subjectFieldProblem("O", 'Ex, "q" \\ é'), undefined);
});

Deno.test("subject of a previous certificate is reused without CN/serialNumber, then overlaid", async () => {
  const { signer, keyPem } = await createTestCa();
  const fields = [["C", "FR"], ["O", 'Ex, "q" \\ é'], ["emailAddress", "a@example.org"]] as const;
  const csr = createCsr(keyPem, fields);
  const text = execFileSync("openssl", ["req", "-noout", "-verify", "-text"], {
    input: csr,
    stdio: ["pipe", "pipe", "pipe"],
  }).toString();
  assert.match(text, /Signature Algorithm: sha512WithRSAEncryption/);
  const { pem } = issueCertificate(signer, parseCsr(csr), {
    prefix: "0000000000000111",
    subjectSerial: 6,
    serial: 7n,
  });
  const reused = reusableSubject(pem);
  assert.deepEqual(reused, fields);
  assert.deepEqual(overlaySubject(reused, [["O", "b"], ["L", "Lille"]]), [
    ["C", "FR"],
    ["O", "b"],
    ["emailAddress", "a@example.org"],
    ["L", "Lille"],
  ]);
});
