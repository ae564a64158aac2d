/**
 * Certificate issuing throughput of lib/pki on one core: parse + check a ready-made CSR, then
 * issue and PEM-encode its certificate (what the registry does per `requestCertificate`),
 * RSA-2048 CA. Prints the median of 5 runs with min/max.
 * Usage: deno run -A bench/pki_issue.ts [certificates-per-run]
 */
import { createCsr, parseCsr } from "../lib/pki/csr.ts";
import { issueCertificate } from "../lib/pki/issue.ts";
import { generateRsaKey } from "../lib/pki/keys.ts";
import { nativeSigning } from "../lib/pki/sha512_sign.ts";
import { createTestCa } from "../lib/pki/testing.ts";

const n = Number(Deno.args[0] ?? 1000);
const { signer } = await createTestCa();
const csrPem = createCsr(await generateRsaKey(2048), [["O", "bench"]]);
const rates: number[] = [];
let serial = 1n;
for (let run = 0; run < 5; run++) {
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const csr = parseCsr(csrPem, { keyBits: signer.ca.keyBits });
    issueCertificate(signer, csr, {
      prefix: "0000000000000101",
      subjectSerial: i,
      serial: serial++,
    });
  }
  rates.push(n / ((performance.now() - start) / 1000));
}
rates.sort((a, b) => a - b);
const f = (x: number) => x.toFixed(0);
console.log(
  `pki issue (native signing: ${nativeSigning()}): median ${f(rates[2])} certs/s ` +
    `(min ${f(rates[0])}, max ${f(rates[4])}) on one core`,
);
