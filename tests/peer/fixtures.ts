/**
 * Test PKI for the peer protocol tests, made with lib/pki: an RSA-2048 CA with serial
 * 0x120010db80042 (network 2001:db8:42::/48), node certificates for 1/16, 2/16, 3/16, and bad
 * ones: expired, signed by a foreign CA, revoked.
 */
import nodeCrypto, { type KeyObject } from "node:crypto";
import { packInteger } from "../../lib/wire/pack_integer.ts";
import { rsaSign } from "../../lib/pki/rsa.ts";
import { generateRsaKey } from "../../lib/pki/keys.ts";
import { createTestCa, createTestNode } from "../../lib/pki/testing.ts";
import type { CaSigner } from "../../lib/pki/ca.ts";
import { cidrToBits } from "../../lib/wire/prefix.ts";

const HOUR = 3600_000;

/** Network of the test CA. */
export const NETWORK = cidrToBits("2001:db8:42::/48");

/** A node identity: prefix, certificate DER, private key. */
export interface TestNode {
  prefix: string;
  cert: Uint8Array;
  key: KeyObject;
  serial: bigint;
}

/** The whole test PKI. */
export interface TestPki {
  caPem: string;
  caKey: KeyObject;
  caPublicKey: KeyObject;
  nodes: TestNode[];
  /** 3/16 but notAfter one hour ago. */
  expired: TestNode;
  /** 3/16 issued by a foreign CA. */
  foreign: TestNode;
  /** 3/16 whose serial (99) is listed in `crl`. */
  revoked: TestNode;
  crl: bigint[];
  /** A correctly signed version blob for version number `v`. */
  version(v: number): Uint8Array;
  /** Issues more valid node certificates (sharing node 2's key) for the given prefixes. */
  issueMore?(prefixes: string[]): Promise<TestNode[]>;
}

async function issue(
  signer: CaSigner,
  keyPem: string,
  prefix: string,
  serial: bigint,
  notBefore: number,
  notAfter: number,
): Promise<TestNode> {
  const t = await createTestNode(signer, prefix, {
    keyPem,
    serial,
    notBefore: new Date(notBefore),
    notAfter: new Date(notAfter),
  });
  return { prefix, cert: t.cert.der, key: nodeCrypto.createPrivateKey(keyPem), serial };
}

/** Prefix bits of test node `n` (16 bits). */
export function prefix16(n: number): string {
  return n.toString(2).padStart(16, "0");
}

let cached: Promise<TestPki> | undefined;

/** Builds (once per process) the test PKI. */
export function testPki(): Promise<TestPki> {
  cached ??= build();
  return cached;
}

async function build(): Promise<TestPki> {
  const now = Math.floor(Date.now() / 1000) * 1000;
  const [ca, foreignCa, k1, k2, k3] = await Promise.all([
    createTestCa(),
    createTestCa(),
    generateRsaKey(2048),
    generateRsaKey(2048),
    generateRsaKey(2048),
  ]);
  const signer = ca.signer;
  const valid = [now - HOUR, now + 24 * HOUR] as const;
  const nodes = [
    await issue(signer, k1, prefix16(1), 1n, ...valid),
    await issue(signer, k2, prefix16(2), 2n, ...valid),
    await issue(signer, k3, prefix16(3), 3n, ...valid),
  ];
  const expired = await issue(signer, k3, prefix16(3), 97n, now - 48 * HOUR, now - HOUR);
  const foreign = await issue(foreignCa.signer, k3, prefix16(3), 98n, ...valid);
  const revoked = await issue(signer, k3, prefix16(3), 99n, ...valid);
  const caKey = signer.key;
  return {
    caPem: ca.certPem,
    caKey,
    caPublicKey: nodeCrypto.createPublicKey(caKey),
    nodes,
    expired,
    foreign,
    revoked,
    crl: [99n],
    version: (v) => signedVersion(caKey, v),
    issueMore: (prefixes) =>
      Promise.all(prefixes.map((p, i) => issue(signer, k2, p, 1000n + BigInt(i), ...valid))),
  };
}

/** Deterministic random bytes for reproducible secrets. */
export function seededRandom(seed: number): (n: number) => Uint8Array {
  let x = seed >>> 0 || 1;
  return (n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      out[i] = x & 0xff;
    }
    return out;
  };
}

/** JSON form of a TestPki, so processes in other namespaces share the same keys. */
interface PkiFile {
  caPem: string;
  caKey: string;
  nodes: Record<"n1" | "n2" | "n3" | "expired" | "foreign" | "revoked", SavedNode>;
  crl: string[];
}
interface SavedNode {
  prefix: string;
  cert: string;
  key: string;
  serial: string;
}

const b64 = (b: Uint8Array) => btoa(String.fromCharCode(...b));
const unb64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

/** Writes the test PKI to a JSON file. */
export async function savePki(pki: TestPki, path: string): Promise<void> {
  const save = (n: TestNode): SavedNode => ({
    prefix: n.prefix,
    cert: b64(n.cert),
    key: n.key.export({ format: "pem", type: "pkcs8" }) as string,
    serial: n.serial.toString(),
  });
  const file: PkiFile = {
    caPem: pki.caPem,
    caKey: pki.caKey.export({ format: "pem", type: "pkcs8" }) as string,
    nodes: {
      n1: save(pki.nodes[0]),
      n2: save(pki.nodes[1]),
      n3: save(pki.nodes[2]),
      expired: save(pki.expired),
      foreign: save(pki.foreign),
      revoked: save(pki.revoked),
    },
    crl: pki.crl.map(String),
  };
  await Deno.writeTextFile(path, JSON.stringify(file));
}

/** Reads a test PKI written by savePki. */
export async function loadPki(path: string): Promise<TestPki> {
  const file: PkiFile = JSON.parse(await Deno.readTextFile(path));
  const load = (n: SavedNode): TestNode => ({
    prefix: n.prefix,
    cert: unb64(n.cert),
    key: nodeCrypto.createPrivateKey(n.key),
    serial: BigInt(n.serial),
  });
  const caKey = nodeCrypto.createPrivateKey(file.caKey);
  return {
    caPem: file.caPem,
    caKey,
    caPublicKey: nodeCrypto.createPublicKey(caKey),
    nodes: [load(file.nodes.n1), load(file.nodes.n2), load(file.nodes.n3)],
    expired: load(file.nodes.expired),
    foreign: load(file.nodes.foreign),
    revoked: load(file.nodes.revoked),
    crl: file.crl.map(BigInt),
    version: (v) => signedVersion(caKey, v),
  };
}

function signedVersion(caKey: KeyObject, v: number): Uint8Array {
  const head = packInteger(v);
  const sig = rsaSign(caKey, head);
  const out = new Uint8Array(head.length + sig.length);
  out.set(head);
  out.set(sig, head.length);
  return out;
}
