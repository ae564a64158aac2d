/**
 * Network parameters distributed by the registry (spec §7.1–7.3): the static part and its
 * change detection, the CA-signed version blob, the babel HMAC key rotation, and the per-node
 * zlib JSON served by `getNetworkConfig`.
 */
import { Buffer } from "node:buffer";
import zlib from "node:zlib";
import { packInteger } from "../wire/pack_integer.ts";
import type { KeyObject } from "node:crypto";
import { type PublicKeyInput, rsaEncrypt } from "../pki/rsa.ts";
import { signSha512 } from "../pki/sha512_sign.ts";

/** Fixed babeld `default` interface options distributed to nodes. */
export const BABEL_DEFAULT = "max-rtt-penalty 5000 rtt-max 500 rtt-decay 125";

/** Lifetime of `valid_until` during the first phase of an HMAC rotation. */
export const HMAC_ROTATION_VALIDITY = 3600;

/** Registry settings that end up in the network parameters. */
export interface ParameterSettings {
  protocol: number;
  minProtocol: number;
  clientCount: number;
  maxClients: number;
  encrypt: boolean;
  hello: number;
  tunnelRefresh: number;
  /** normalised `a.b.c.d/M` and the per-node sub-length, if IPv4 payload is enabled */
  ipv4?: { network: string; sublen: number };
  sameCountry: string[];
}

/** The static parameters: everything but `version`, `""`, `valid_until` and the HMAC keys. */
export type StaticParameters = Record<string, unknown>;

/** Builds the static parameters from the settings, the CRL and the registry node's prefix. */
export function staticParameters(
  s: ParameterSettings,
  crl: readonly bigint[],
  registryPrefix: string | undefined,
): StaticParameters {
  const p: StaticParameters = {
    babel_default: BABEL_DEFAULT,
    client_count: s.clientCount,
    crl: crl.map(Number).sort((a, b) => a - b),
    encrypt: s.encrypt,
    hello: s.hello,
    max_clients: s.maxClients,
    min_protocol: s.minProtocol,
    protocol: s.protocol,
    tunnel_refresh: s.tunnelRefresh,
  };
  if (registryPrefix !== undefined) p.registry_prefix = registryPrefix;
  if (s.ipv4) {
    p.ipv4 = s.ipv4.network;
    p.ipv4_sublen = s.ipv4.sublen;
  }
  if (s.sameCountry.length) p.same_country = s.sameCountry;
  return p;
}

/**
 * JSON with sorted keys and Python's default separators (`", "`, `": "`), the form the
 * reference stores as `last_config`; compared to detect parameter changes.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(", ")}]`;
  if (value !== null && typeof value === "object") {
    const o = value as Record<string, unknown>;
    const items = Object.keys(o).sort().map((k) => `${JSON.stringify(k)}: ${canonicalJson(o[k])}`);
    return `{${items.join(", ")}}`;
  }
  return JSON.stringify(value);
}

/** Version blob: `packInteger(v) ‖ RSA-SHA512(CA key, packInteger(v))`; v = 0 is unsigned. */
export function versionBlob(v: number, caKey: KeyObject): Uint8Array {
  const n = packInteger(v);
  if (v === 0) return n;
  const sig = signSha512(caKey, n);
  const out = new Uint8Array(n.length + sig.length);
  out.set(n);
  out.set(sig, n.length);
  return out;
}

/** The babel HMAC key rows `babel_hmac0..2`; undefined = absent, empty = "accept bad". */
export type HmacKeys = [Uint8Array | undefined, Uint8Array | undefined, Uint8Array | undefined];

/** Result of one `updateHMAC` step. */
export interface HmacRotation {
  keys: HmacKeys;
  /** true when entering the (K1, K2, -) phase: `valid_until` must be set to now + 3600 s */
  setValidUntil: boolean;
}

/**
 * One step of the babel HMAC rotation (spec §7.3):
 * (-,-,-)→(-,K1,"")→(K1,-,-)→(K1,K2,-)→(-,K2,K1)→(K2,-,-). `newKey` makes a random key.
 */
export function rotateHmac(keys: HmacKeys, newKey: () => Uint8Array): HmacRotation {
  const [h0, h1] = keys;
  if (h0 !== undefined) {
    if (h1 === undefined) return { keys: [h0, newKey(), undefined], setValidUntil: true };
    return { keys: [undefined, h1, h0], setValidUntil: false };
  }
  if (h1 !== undefined) return { keys: [h1, undefined, undefined], setValidUntil: false };
  return { keys: [undefined, newKey(), new Uint8Array(0)], setValidUntil: false };
}

/**
 * `babel_hmac_sign` / `babel_hmac_accept` for one node: the present keys in order h0, h1, h2,
 * each non-empty one RSA-encrypted with the node's key and base64-encoded; empty ⇒ `""`.
 */
export function hmacParameters(keys: HmacKeys, nodeKey: PublicKeyInput): Record<string, string> {
  const present = keys.filter((k): k is Uint8Array => k !== undefined);
  const encode = (k: Uint8Array) =>
    k.length ? Buffer.from(rsaEncrypt(nodeKey, k)).toString("base64") : "";
  const out: Record<string, string> = {};
  if (present[0]) out.babel_hmac_sign = encode(present[0]);
  if (present[1]) out.babel_hmac_accept = encode(present[1]);
  return out;
}

/** The parameters as served to one node, zlib-compressed JSON (`getNetworkConfig`). */
export function nodeParameters(
  statics: StaticParameters,
  version: Uint8Array,
  keys: HmacKeys,
  nodeKey: PublicKeyInput,
  validUntil: number | undefined,
): Uint8Array {
  const p: Record<string, unknown> = {
    ...statics,
    ...hmacParameters(keys, nodeKey),
    version: Buffer.from(version).toString("base64"),
    "": ["version"],
  };
  if (validUntil !== undefined) p.valid_until = validUntil;
  return new Uint8Array(zlib.deflateSync(JSON.stringify(p)));
}
