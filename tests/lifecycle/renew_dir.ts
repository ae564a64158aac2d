/** The node's renewal adapter on a node directory, as the renewal tests drive it. */
import {
  renewCertificates,
  type RenewResult,
} from "../../lib/node/lifecycle/renew_certificates.ts";
import type { RegistryClient } from "../../lib/registry/client.ts";

/** One renewal pass on `<dir>/cert.crt` and `<dir>/ca.crt` through `registry`, given a CRL. */
export function dirRenewal(
  dir: string,
  registry: RegistryClient,
): (crl?: bigint[]) => Promise<RenewResult> {
  return (crl = []) =>
    renewCertificates({
      registry,
      certPath: `${dir}/cert.crt`,
      caPath: `${dir}/ca.crt`,
      crl,
      now: Date.now,
    });
}
