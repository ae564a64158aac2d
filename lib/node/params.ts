/**
 * Network parameters on the node (spec §7.4–§7.5): fetch them from the registry, store them in
 * the cache's `config` table, read them back as a typed `NetworkParams`, verify the stored
 * version's CA signature; how a change is applied is lib/node/lifecycle/reaction.ts.
 *
 * Start-up rule: cached parameters with a correctly signed `version` are used as they are
 * (fetched once anyway, failures tolerated, if we are the registry node or the stored protocol
 * is older than ours); otherwise the node blocks, fetching with back-off 1, 2, 4 … 60 s.
 */
import { inflateSync } from "node:zlib";
import type { KeyObject } from "node:crypto";
import { logger } from "../log.ts";
import { type PublicKeyInput, rsaDecrypt } from "../pki/rsa.ts";
import type { RegistryClient } from "../registry/client.ts";
import { PROTOCOL } from "../version.ts";
import { type Bits, isBits } from "../wire/prefix.ts";
import { configRows } from "./cache/config_rows.ts";
import type { PeerCache } from "./cache/peer_cache.ts";
import { isSignedVersion } from "./peer/network_version.ts";

const log = logger("params");

/** The parameters a node runs with, typed (spec §7.1). */
export interface NetworkParams {
  version: Uint8Array;
  protocol: number;
  minProtocol: number;
  registryPrefix: Bits;
  clientCount: number;
  maxClients: number;
  encrypt: boolean;
  hello: number;
  tunnelRefresh: number;
  babelDefault: string;
  crl: bigint[];
  hmacSign?: Uint8Array;
  hmacAccept?: Uint8Array;
  sameCountry?: string[];
  ipv4?: string;
  ipv4Sublen?: number;
  /** epoch seconds, during the first phase of an HMAC rotation */
  validUntil?: number;
  delayRestart: number;
}

function int(v: unknown, fallback: number): number {
  return typeof v === "number" && Number.isFinite(v) ? v : fallback;
}

function bytes(v: unknown): Uint8Array | undefined {
  return v instanceof Uint8Array ? v : undefined;
}

/** Typed parameters from the cache, or a reason why they are unusable. */
export function readParams(cache: PeerCache, caKey: PublicKeyInput): NetworkParams | string {
  const c = cache.allConfig();
  const version = bytes(c.get("version"));
  if (!version) return "no cached network parameters";
  if (!isSignedVersion(version, caKey)) return "cached network version is not signed by the CA";
  const registryPrefix = c.get("registry_prefix");
  if (typeof registryPrefix !== "string" || !isBits(registryPrefix) || registryPrefix === "") {
    return "cached parameters have no registry prefix";
  }
  const clientCount = int(c.get("client_count"), 10);
  const crlRaw = c.get("crl");
  const crl = Array.isArray(crlRaw)
    ? crlRaw.filter((x) => Number.isInteger(x)).map((x) => BigInt(x))
    : [];
  const sameCountry = c.get("same_country");
  const ipv4 = c.get("ipv4");
  return {
    version,
    protocol: int(c.get("protocol"), 0),
    minProtocol: int(c.get("min_protocol"), 0),
    registryPrefix,
    clientCount,
    maxClients: int(c.get("max_clients"), 2 * clientCount),
    encrypt: Boolean(c.get("encrypt")),
    hello: int(c.get("hello"), 15),
    tunnelRefresh: int(c.get("tunnel_refresh"), 300),
    babelDefault: String(c.get("babel_default") ?? ""),
    crl,
    hmacSign: bytes(c.get("babel_hmac_sign")),
    hmacAccept: bytes(c.get("babel_hmac_accept")),
    sameCountry: Array.isArray(sameCountry) ? sameCountry.map(String) : undefined,
    ipv4: typeof ipv4 === "string" ? ipv4 : undefined,
    ipv4Sublen: c.has("ipv4_sublen") ? int(c.get("ipv4_sublen"), 0) : undefined,
    validUntil: c.has("valid_until") ? int(c.get("valid_until"), 0) : undefined,
    delayRestart: int(c.get("delay_restart"), 0),
  };
}

/** Told the outcome of every parameter fetch (metrics). */
export type FetchObserver = (ok: boolean) => void;

/**
 * Fetches the parameters once and stores them; returns the changed names, or undefined if the
 * registry gave no usable answer (logged). `observe` is told whether it worked.
 */
export async function fetchParams(
  client: RegistryClient,
  cache: PeerCache,
  key: KeyObject,
  observe?: FetchObserver,
): Promise<string[] | undefined> {
  const changed = await fetchOnce(client, cache, key);
  observe?.(changed !== undefined);
  return changed;
}

async function fetchOnce(
  client: RegistryClient,
  cache: PeerCache,
  key: KeyObject,
): Promise<string[] | undefined> {
  const body = await client.getNetworkConfig();
  if (body === undefined) {
    log.warn(`cannot get network parameters: ${client.lastFailure ?? "no answer"}`);
    return undefined;
  }
  try {
    const json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(inflateSync(body)));
    if (typeof json !== "object" || json === null || Array.isArray(json)) {
      throw new Error("not a JSON object");
    }
    return cache.updateConfig(configRows(json, (enc) => rsaDecrypt(key, enc)));
  } catch (e) {
    log.warn(`dropping malformed network parameters: ${(e as Error).message}`);
    return undefined;
  }
}

/** Back-off of the blocking fetch: 1, 2, 4 … 60 s. */
export function fetchBackoffSeconds(attempt: number): number {
  return Math.min(60, 2 ** attempt);
}

/** What `obtainParams` needs. */
export interface ObtainParamsOptions {
  client: RegistryClient;
  cache: PeerCache;
  key: KeyObject;
  caKey: PublicKeyInput;
  /** our prefix (a registry node always refreshes its parameters at start) */
  prefix: Bits;
  /** resolves when the daemon is asked to stop while still blocking */
  aborted: Promise<unknown>;
  /** told the outcome of every fetch */
  observe?: FetchObserver;
}

/**
 * The parameters to start with (§7.5): cached and signed, else fetched with back-off until it
 * works. Returns undefined if stopped while waiting.
 */
export async function obtainParams(o: ObtainParamsOptions): Promise<NetworkParams | undefined> {
  const cached = readParams(o.cache, o.caKey);
  if (typeof cached !== "string") {
    if (cached.registryPrefix === o.prefix || cached.protocol < PROTOCOL) {
      await fetchParams(o.client, o.cache, o.key, o.observe);
      const fresh = readParams(o.cache, o.caKey);
      if (typeof fresh !== "string") return fresh;
    }
    return cached;
  }
  log.info(`${cached}: asking the registry`);
  let stop = false;
  o.aborted.then(() => stop = true);
  for (let attempt = 0; !stop; attempt++) {
    if (await fetchParams(o.client, o.cache, o.key, o.observe) !== undefined) {
      const p = readParams(o.cache, o.caKey);
      if (typeof p !== "string") return p;
      log.warn(`registry parameters unusable: ${p}`);
    }
    const wait = fetchBackoffSeconds(attempt);
    log.info(`retrying in ${wait} s`);
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      new Promise((r) => timer = setTimeout(r, wait * 1000)),
      o.aborted,
    ]);
    clearTimeout(timer);
  }
  return undefined;
}
