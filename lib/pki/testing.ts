/**
 * Test helpers (spec §16), for every area's tests:
 * - `createTestCa(opts?)`: 2048-bit RSA CA, serial 0x120010db80042 (network 2001:db8:42::/48),
 *   subject `/C=FR/ST=Lille/L=Lille/O=nexedi/CN=TEST-CA`, SHA-512;
 * - `createTestNode(signer, prefix, opts?)`: a node key (CA-sized unless `keyPem` is given),
 *   CSR and certificate whose CN is `prefix` in CN form.
 * Key generation costs ~0.5 s per 2048-bit key: reuse keys (`keyPem`) where a test allows.
 */
import { type CaSigner, createCa, type CreateCaOptions } from "./ca.ts";
import { type NodeCertificate, parseNodeCertificate } from "./certificate.ts";
import { createCsr, parseCsr } from "./csr.ts";
import { issueCertificate } from "./issue.ts";
import { generateRsaKey } from "./keys.ts";
import type { SubjectField } from "./name.ts";
import type { Bits } from "../wire/prefix.ts";

/** The subject of the reference test suite's CA. */
export const TEST_CA_SUBJECT = "/C=FR/ST=Lille/L=Lille/O=nexedi/CN=TEST-CA";

/** A CA for tests; `prefixCidr` defaults to `2001:db8:42::/48`. */
export async function createTestCa(
  opts: Partial<CreateCaOptions> = {},
): Promise<{ keyPem: string; certPem: string; signer: CaSigner }> {
  return await createCa({
    prefixCidr: "2001:db8:42::/48",
    bits: 2048,
    subject: TEST_CA_SUBJECT,
    ...opts,
  });
}

/** Options of `createTestNode`. */
export interface TestNodeOptions {
  keyPem?: string;
  subjectSerial?: number;
  serial?: bigint;
  notBefore?: Date;
  notAfter?: Date;
  fields?: readonly SubjectField[];
}

/** A node identity for tests: private key, certificate PEM and parsed certificate. */
export interface TestNode {
  keyPem: string;
  certPem: string;
  cert: NodeCertificate;
}

let nextSerial = 1n;

/** Issues a node certificate for `prefix` (fresh key unless `keyPem` is given). */
export async function createTestNode(
  signer: CaSigner,
  prefix: Bits,
  opts: TestNodeOptions = {},
): Promise<TestNode> {
  const keyPem = opts.keyPem ?? await generateRsaKey(signer.ca.keyBits);
  const csr = parseCsr(createCsr(keyPem, opts.fields ?? []));
  const serial = opts.serial ?? nextSerial++;
  const { pem } = issueCertificate(signer, csr, {
    prefix,
    subjectSerial: opts.subjectSerial ?? Number(serial) - 1,
    serial,
    notBefore: opts.notBefore,
    notAfter: opts.notAfter,
  });
  return { keyPem, certPem: pem, cert: parseNodeCertificate(pem) };
}
