/**
 * Test PKI for the peer protocol tests: a real RSA-2048 CA with serial 0x120010db80042
 * (network 2001:db8:42::/48), node certificates for 1/16, 2/16, 3/16, and bad ones: expired,
 * signed by a foreign CA, revoked. Built with @peculiar/x509 on WebCrypto.
 */
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import nodeCrypto, { type KeyObject } from "node:crypto";
import { packInteger } from "../../lib/wire/pack_integer.ts";
import { rsaSign } from "../../lib/pki/rsa.ts";
import { bitsToCn, cidrToBits } from "../../lib/wire/prefix.ts";

x509.cryptoProvider.set(crypto);

const ALG = {
  name: "RSASSA-PKCS1-v1_5",
  hash: "SHA-512",
  publicExponent: new Uint8Array([1, 0, 1]),
  modulusLength: 2048,
};
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

async function newKeys(): Promise<CryptoKeyPair> {
  return await crypto.subtle.generateKey(ALG, true, ["sign", "verify"]) as CryptoKeyPair;
}

async function nodeKey(keys: CryptoKeyPair): Promise<KeyObject> {
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", keys.privateKey));
  return nodeCrypto.createPrivateKey({ key: Buffer.from(pkcs8), format: "der", type: "pkcs8" });
}

async function issue(
  ca: x509.X509Certificate,
  caKeys: CryptoKeyPair,
  keys: CryptoKeyPair,
  prefix: string,
  serial: bigint,
  notBefore: number,
  notAfter: number,
): Promise<TestNode> {
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial.toString(16).padStart(2, "0"),
    subject: `2.5.4.5=0,CN=${bitsToCn(prefix)}`,
    issuer: ca.subject,
    notBefore: new Date(notBefore),
    notAfter: new Date(notAfter),
    signingKey: caKeys.privateKey,
    publicKey: keys.publicKey,
    signingAlgorithm: ALG,
  });
  return { prefix, cert: new Uint8Array(cert.rawData), key: await nodeKey(keys), serial };
}

async function selfSigned(keys: CryptoKeyPair, serial: string, name: string) {
  const now = Date.now();
  return await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial,
    name,
    notBefore: new Date(now - HOUR),
    notAfter: new Date(now + 24 * HOUR),
    keys,
    signingAlgorithm: ALG,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
  });
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
  const now = Date.now();
  const [caKeys, foreignKeys, k1, k2, k3] = await Promise.all(
    Array.from({ length: 5 }, newKeys),
  );
  const ca = await selfSigned(caKeys, "0120010db80042", "C=FR,O=nexedi,CN=TEST-CA");
  const foreignCa = await selfSigned(foreignKeys, "0120010db80042", "CN=OTHER-CA");
  const valid = [now - HOUR, now + 24 * HOUR] as const;
  const nodes = [
    await issue(ca, caKeys, k1, prefix16(1), 1n, ...valid),
    await issue(ca, caKeys, k2, prefix16(2), 2n, ...valid),
    await issue(ca, caKeys, k3, prefix16(3), 3n, ...valid),
  ];
  const expired = await issue(ca, caKeys, k3, prefix16(3), 97n, now - 48 * HOUR, now - HOUR);
  const foreign = await issue(foreignCa, foreignKeys, k3, prefix16(3), 98n, ...valid);
  const revoked = await issue(ca, caKeys, k3, prefix16(3), 99n, ...valid);
  const caKey = await nodeKey(caKeys);
  return {
    caPem: ca.toString("pem"),
    caKey,
    caPublicKey: nodeCrypto.createPublicKey(caKey),
    nodes,
    expired,
    foreign,
    revoked,
    crl: [99n],
    version: (v) => signedVersion(caKey, v),
    issueMore: (prefixes) =>
      Promise.all(
        prefixes.map((p, i) => issue(ca, caKeys, k2, p, 1000n + BigInt(i), ...valid)),
      ),
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
