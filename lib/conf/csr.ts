/** PKCS#10 certificate request of `re6st conf`, signed with SHA-512 (spec §2.3). */
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import crypto from "node:crypto";
import { encodeName, type SubjectField } from "./subject.ts";

x509.cryptoProvider.set(globalThis.crypto);

/** A PEM request for the RSA key `keyPem` with `subject`; throws on an unusable subject. */
export async function createCsr(keyPem: string, subject: SubjectField[]): Promise<string> {
  const algorithm = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-512" };
  const key = crypto.createPrivateKey(keyPem);
  const pkcs8 = new Uint8Array(key.export({ type: "pkcs8", format: "der" }));
  const spki = new Uint8Array(crypto.createPublicKey(key).export({ type: "spki", format: "der" }));
  const subtle = globalThis.crypto.subtle;
  const keys = {
    privateKey: await subtle.importKey("pkcs8", pkcs8, algorithm, false, ["sign"]),
    publicKey: await subtle.importKey("spki", spki, algorithm, true, ["verify"]),
  };
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: encodeName(subject),
    keys,
    signingAlgorithm: algorithm,
  });
  return csr.toString("pem");
}
