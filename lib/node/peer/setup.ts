/**
 * Builds the peer-protocol machine from the node's files (CA, certificate, key as PEM) and
 * the daemon's live state, deriving the network from the CA serial and our prefix from our
 * certificate's CN.
 */
import crypto from "node:crypto";
import { parseCa } from "../../pki/ca.ts";
import { parseNodeCertificate } from "../../pki/certificate.ts";
import { loadPrivateKey } from "../../pki/keys.ts";
import { platform, VERSION } from "../../version.ts";
import type { Bits } from "../../wire/prefix.ts";
import { caCertVerifier } from "./cert_verifier.ts";
import { PeerProtocol } from "./protocol.ts";

/** What `createPeerProtocol` needs. */
export interface PeerSetup {
  caPem: string;
  certPem: string;
  keyPem: string;
  /** Our network version blob (from the cached parameters). */
  version: Uint8Array;
  /** Revoked serials (network parameter `crl`). */
  crl: Iterable<bigint>;
  /** Network parameter `registry_prefix`. */
  registryPrefix?: Bits;
  /** Our address string (cache row ''), with country fields. */
  addresses(): string;
  /** Code 5 answer from the tunnel manager. */
  tunnelList?(): string | undefined;
}

/** A PeerProtocol for this node, with real randomness and the current time. */
export function createPeerProtocol(setup: PeerSetup): PeerProtocol {
  const ca = parseCa(setup.caPem);
  const cert = parseNodeCertificate(setup.certPem);
  return new PeerProtocol({
    network: ca.network,
    prefix: cert.prefix,
    cert: cert.der,
    key: loadPrivateKey(setup.keyPem),
    caKey: ca.publicKey,
    verifyCert: caCertVerifier(ca),
    version: setup.version,
    crl: setup.crl,
    registryPrefix: setup.registryPrefix,
    software: `${VERSION}, ${platform()}`,
    addresses: setup.addresses,
    tunnelList: setup.tunnelList,
    random: (n) => new Uint8Array(crypto.randomBytes(n)),
    now: Date.now(),
  });
}
