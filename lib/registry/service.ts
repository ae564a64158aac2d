/**
 * The registry's RPC methods (spec §3.3–3.6, §4.2–4.6, §5, §6, §7): everything behind the HTTP
 * layer. Database mutations are synchronous `BEGIN IMMEDIATE` transactions (certificates are
 * signed inside them), so a crash leaves either the old or the new state; talking to the mail
 * server and to the local node happens after the commit.
 */
import crypto from "node:crypto";
import type { KeyObject } from "node:crypto";
import { mergePrefixes, newPrefix, NoFreePrefixError } from "./allocator.ts";
import { routedPrefixes } from "./babel_routes.ts";
import {
  checkCommunities,
  type Community,
  type Geolocator,
  locateRequester,
  selectCommunity,
} from "./communities.ts";
import type { RegistryDb, TokenRow } from "./db.ts";
import type { LocalNode } from "./local_node.ts";
import type { Mailer } from "./mail.ts";
import {
  canonicalJson,
  HMAC_ROTATION_VALIDITY,
  type HmacKeys,
  nodeParameters,
  type ParameterSettings,
  rotateHmac,
  staticParameters,
  versionBlob,
} from "./network_config.ts";
import { RpcError } from "./rpc_error.ts";
import type { SessionTable } from "./sessions.ts";
import { makeToken } from "./tokens.ts";
import type { CaSigner } from "../pki/ca.ts";
import { parseNodeCertificate } from "../pki/certificate.ts";
import { parseCsr } from "../pki/csr.ts";
import { PkiError } from "../pki/errors.ts";
import { issueCertificate, renewCertificate } from "../pki/issue.ts";
import { rsaEncrypt } from "../pki/rsa.ts";
import { signSha512 } from "../pki/sha512_sign.ts";
import { logger } from "../log.ts";
import { isIPv4, isIPv6 } from "../config/checks.ts";
import type { BabelDump } from "../node/babel/types.ts";
import { type Endpoint, formatAddresses, parseAddresses } from "../wire/address.ts";
import { type Bits, bitsToBytes, bitsToCn, cnToBits, formatIPv6, isBits } from "../wire/prefix.ts";

const log = logger("registry");

const DAY = 86400;
/** Certificates are renewed in their last 30 days (spec §4.4). */
export const RENEW_PERIOD = 30 * DAY;
/** Validity of issued certificates. */
export const CERT_DAYS = 365;
/** Lifetime of the bootstrap candidate list (spec §3.5). */
export const BOOTSTRAP_LIST_TTL = 60;

/** Everything the registry service is built from. */
export interface RegistryDeps {
  db: RegistryDb;
  signer: CaSigner;
  caPem: string;
  dhPem: string;
  sessions: SessionTable;
  localNode: LocalNode;
  parameters: ParameterSettings;
  prefixLength: number;
  anonymousPrefixLength: number;
  gracePeriod: number;
  communities: readonly Community[];
  /** the co-located node's babeld (its local socket) */
  babel: { dump(): Promise<BabelDump> };
  mailer?: Mailer;
  geolocator?: Geolocator;
  /** current time in ms (injectable) */
  now?: () => number;
  /** random bytes (injectable) */
  randomBytes?: (n: number) => Uint8Array;
  /** told about what happened (metrics) */
  onEvent?: (event: RegistryEvent) => void;
}

/** What the service reports to an observer (`RegistryDeps.onEvent`), e.g. for metrics. */
export type RegistryEvent =
  | { type: "certificate"; action: "issued" | "renewed" | "revoked" }
  | { type: "token_created" }
  | { type: "bootstrap"; answer: "given" | "empty" }
  | { type: "local_node_timeout"; query: "address" | "topology" };

/** A registered node as the admin page lists it. */
export interface NodeSummary {
  cn: string;
  prefix: Bits;
  email: string | null;
  subjectSerial: number;
  serial: bigint;
  /** seconds since the epoch */
  notAfter: number;
  /** this is the registry's own node */
  registryNode: boolean;
}

/** Figures read on demand (metrics gauges). */
export interface RegistryStats {
  sessions: number;
  tokens: number;
  prefixes: { allocated: number; reserved: number; free: number };
  networkVersion: number;
}

/** A value an RPC returns: bytes or text (200), or null (204). */
export type RpcResult = Uint8Array | string | null;

/** Thrown when the registry must stop (its own certificate would be purged). */
export class FatalError extends Error {}

/** The registry. */
export class Registry {
  readonly #d: RegistryDeps;
  readonly #now: () => number;
  readonly #random: (n: number) => Uint8Array;
  readonly #event: (event: RegistryEvent) => void;
  readonly #network: Bits;
  readonly #keyBits: number;
  readonly #maxLen: number;
  readonly #keys = new Map<Bits, { pem: string; key: KeyObject }>();
  /** Served parameters per node, valid for one version blob and one certificate. */
  readonly #served = new Map<Bits, { version: Uint8Array; key: KeyObject; body: Uint8Array }>();
  #statics: Record<string, unknown> = {};
  #version: Uint8Array = new Uint8Array([0]);
  #bootstrap: { list: Bits[]; until: number } = { list: [], until: 0 };
  #bootstrapRebuild?: Promise<void>;
  #purgeTimer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;
  /** a version made at start-up, not yet told to the local node */
  #unannounced = false;
  /** Called when a scheduled purge hits a fatal condition. */
  onFatal: (e: Error) => void = (e) => log.error(e.message);

  constructor(deps: RegistryDeps) {
    this.#d = deps;
    this.#now = deps.now ?? Date.now;
    this.#random = deps.randomBytes ?? ((n) => new Uint8Array(crypto.randomBytes(n)));
    this.#event = deps.onEvent ?? (() => {});
    this.#network = deps.signer.ca.network;
    this.#keyBits = deps.signer.ca.keyBits;
    this.#maxLen = 128 - this.#network.length;
  }

  /** Seconds since the epoch. */
  #time(): number {
    return Math.floor(this.#now() / 1000);
  }

  /** The registry node's prefix, once the first certificate is issued. */
  get registryPrefix(): Bits | undefined {
    const p = this.#d.db.getConfig("prefix");
    return typeof p === "string" ? p : undefined;
  }

  /**
   * Start-up: checks communities against allocations, enables babel HMAC on a brand-new
   * registry, regenerates the network parameters (new version if they changed) and purges.
   * A new version is told to the local node by `announce`, once the HTTP server listens.
   */
  start(): void {
    const db = this.#d.db;
    checkCommunities(this.#d.communities, db.usedBlocks().filter((p) => p !== ""));
    const changed = db.transaction(() => {
      if (this.registryPrefix === undefined && this.#hmacKeys().every((k) => k === undefined)) {
        db.setConfig("babel_hmac0", this.#random(16));
      }
      return this.#regenerate();
    });
    this.#loadVersion();
    this.#unannounced = changed;
    this.purge();
  }

  /**
   * Tells the local node about a version made at start-up; call once the HTTP server listens
   * (the node fetches the parameters at once, and retries only 300 s after a failure).
   */
  async announce(): Promise<void> {
    if (!this.#unannounced) return;
    this.#unannounced = false;
    await this.#notify();
  }

  /** Stops timers. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#purgeTimer);
  }

  // ---- network parameters ---------------------------------------------------------------

  #hmacKeys(): HmacKeys {
    const get = (i: number) => {
      const v = this.#d.db.getConfig(`babel_hmac${i}`);
      return v instanceof Uint8Array
        ? v
        : typeof v === "string"
        ? new TextEncoder().encode(v)
        : undefined;
    };
    return [get(0), get(1), get(2)];
  }

  /** Recomputes the static parameters; bumps the version if they changed. In a transaction. */
  #regenerate(): boolean {
    const db = this.#d.db;
    const statics = staticParameters(this.#d.parameters, db.crlSerials(), this.registryPrefix);
    const json = canonicalJson(statics);
    if (json === db.getConfig("last_config")) return false;
    db.setConfig("last_config", json);
    this.#bumpVersion();
    return true;
  }

  #bumpVersion(): void {
    this.#d.db.setConfig("version", Number(this.#d.db.getConfig("version") ?? 0) + 1);
  }

  #loadVersion(): void {
    const db = this.#d.db;
    this.#statics = staticParameters(this.#d.parameters, db.crlSerials(), this.registryPrefix);
    this.#version = versionBlob(Number(db.getConfig("version") ?? 0), this.#d.signer.key);
  }

  /** Tells the local node that new parameters are available. */
  async #notify(): Promise<void> {
    const self = this.registryPrefix;
    if (self !== undefined) await this.#d.localNode.notifyNewVersion(self);
  }

  /** The current version blob. */
  get version(): Uint8Array {
    return this.#version;
  }

  // ---- certificates ---------------------------------------------------------------------

  #publicKey(prefix: Bits): KeyObject {
    const row = this.#d.db.getCert(prefix);
    if (!row) throw new RpcError(404, `no certificate for ${prefix}`);
    const cached = this.#keys.get(prefix);
    if (cached && cached.pem === row.cert) return cached.key;
    const key = parseNodeCertificate(row.cert).publicKey;
    this.#keys.set(prefix, { pem: row.cert, key });
    return key;
  }

  #nextSerial(): bigint {
    const serial = BigInt(Number(this.#d.db.getConfig("serial") ?? 0)) + 1n;
    this.#d.db.setConfig("serial", Number(serial));
    return serial;
  }

  #checkCn(cn: string): Bits {
    if (!isBits(cn) || cn.length > this.#maxLen) throw new RpcError(400, "cn is not a prefix");
    return cn;
  }

  // ---- public methods -------------------------------------------------------------------

  /** `hello`: a fresh session secret, encrypted for the node and signed by the CA. */
  hello(clientPrefix: string, protocol: string): Uint8Array {
    const prefix = this.#checkCn(clientPrefix);
    if (!/^\d{1,9}$/.test(protocol)) throw new RpcError(400, "protocol is not an integer");
    const key = this.#publicKey(prefix);
    const secret = this.#random(20);
    const e = rsaEncrypt(key, secret);
    const s = signSha512(this.#d.signer.key, e);
    if (e.length !== s.length) {
      throw new RpcError(500, `key size of ${prefix} differs from the CA's`);
    }
    this.#d.sessions.hello(prefix, secret, Number(protocol));
    const out = new Uint8Array(e.length * 2);
    out.set(e);
    out.set(s, e.length);
    return out;
  }

  /** `getCa`: the CA certificate. */
  getCa(): string {
    return this.#d.caPem;
  }

  /** `requestToken`: creates a token and mails it. */
  async requestToken(email: string): Promise<null> {
    if (!this.#d.mailer || this.#d.prefixLength === 0) {
      throw new RpcError(403, "e-mail registration is disabled");
    }
    checkEmail(email);
    const token = this.#createToken(email);
    await this.#d.mailer.sendToken(email, token);
    log.info(`token sent to ${email}`);
    return null;
  }

  #createToken(email: string, given?: string): string {
    const created = this.#d.db.transaction(() => {
      for (;;) {
        const token = given ?? makeToken();
        const row = { token, email, prefixLen: this.#d.prefixLength, date: this.#time() };
        if (this.#d.db.insertToken(row)) {
          this.#schedulePurge();
          return token;
        }
        if (given !== undefined) throw new RpcError(409, "token already exists");
      }
    });
    this.#event({ type: "token_created" });
    return created;
  }

  /** `requestCertificate`: a new certificate for a token (or anonymously), or 204. */
  async requestCertificate(
    token: string,
    req: string,
    location: string,
    ip: string,
  ): Promise<string | null> {
    const anonymous = token === "";
    if (anonymous ? this.#d.anonymousPrefixLength <= 0 : this.#d.prefixLength <= 0) {
      throw new RpcError(403, `${anonymous ? "anonymous" : "e-mail"} registration is disabled`);
    }
    let csr;
    try {
      csr = parseCsr(req, { keyBits: this.#keyBits });
    } catch (e) {
      if (e instanceof PkiError) throw new RpcError(400, `bad certificate request: ${e.message}`);
      throw e;
    }
    const where = locateRequester(this.#d.geolocator, location, ip);
    const community = selectCommunity(this.#d.communities, where);
    const db = this.#d.db;
    const result = db.transaction(() => {
      let email: string | null = null;
      let prefixLen = this.#d.anonymousPrefixLength;
      if (!anonymous) {
        const t = db.getToken(token);
        if (!t) return undefined;
        db.deleteToken(token);
        email = t.email;
        prefixLen = t.prefixLen;
      }
      let prefix: Bits;
      try {
        prefix = newPrefix(db, prefixLen, community, this.#maxLen);
      } catch (e) {
        if (e instanceof NoFreePrefixError || e instanceof RangeError) {
          throw new RpcError(500, e.message);
        }
        throw e;
      }
      const subjectSerial = db.smallestFreeSubjectSerial();
      const serial = this.#nextSerial();
      const now = this.#time();
      const notAfter = now + CERT_DAYS * DAY;
      const cert = issueCertificate(this.#d.signer, csr, {
        prefix,
        subjectSerial,
        serial,
        notBefore: new Date(now * 1000),
        notAfter: new Date(notAfter * 1000),
      });
      db.storeCert({ prefix, email, cert: cert.pem, serial, subjectSerial, notAfter });
      const first = this.registryPrefix === undefined;
      if (first) db.setConfig("prefix", prefix);
      return { pem: cert.pem, prefix, first, changed: first && this.#regenerate() };
    });
    if (!result) return null;
    this.#event({ type: "certificate", action: "issued" });
    log.info(`new certificate for ${bitsToCn(result.prefix)}${anonymous ? " (anonymous)" : ""}`);
    this.#schedulePurge();
    if (result.first) {
      log.info(`${bitsToCn(result.prefix)} is the registry node`);
      this.#loadVersion();
      if (result.changed) await this.#notify();
    }
    return result.pem;
  }

  /** `renewCertificate` (spec §4.4). */
  renewCertificate(cn: string): string {
    const prefix = this.#checkCn(cn);
    const db = this.#d.db;
    const renewed = db.transaction(() => {
      const row = db.getCert(prefix);
      if (!row) throw new RpcError(404, `no certificate for ${prefix}`);
      const now = this.#time();
      let notAfter: number;
      if (row.notAfter - RENEW_PERIOD < now) notAfter = now + CERT_DAYS * DAY;
      else if (db.isRevoked(row.serial)) notAfter = row.notAfter;
      else return { pem: row.cert, renewed: false };
      const old = parseNodeCertificate(row.cert);
      const serial = this.#nextSerial();
      const cert = renewCertificate(this.#d.signer, old, {
        serial,
        notBefore: new Date(now * 1000),
        notAfter: new Date(notAfter * 1000),
      });
      db.storeCert({ ...row, cert: cert.pem, serial, notAfter });
      log.info(`renewed certificate of ${bitsToCn(prefix)} (serial ${serial})`);
      this.#schedulePurge();
      return { pem: cert.pem, renewed: true };
    });
    if (renewed.renewed) this.#event({ type: "certificate", action: "renewed" });
    return renewed.pem;
  }

  /** `getDh`: the DH parameters file. */
  getDh(_cn: string): string {
    return this.#d.dhPem;
  }

  /**
   * `getNetworkConfig`: zlib JSON parameters with HMAC keys encrypted for the node. Every
   * parameter change yields a new version blob, so the body is cached per node and version.
   */
  getNetworkConfig(cn: string): Uint8Array {
    const prefix = this.#checkCn(cn);
    const key = this.#publicKey(prefix);
    const cached = this.#served.get(prefix);
    if (cached && cached.version === this.#version && cached.key === key) return cached.body;
    const validUntil = this.#d.db.getConfig("valid_until");
    const body = nodeParameters(
      this.#statics,
      this.#version,
      this.#hmacKeys(),
      key,
      typeof validUntil === "number" ? validUntil : undefined,
    );
    this.#served.set(prefix, { version: this.#version, key, body });
    return body;
  }

  /** `getCountry`: country of an address (needs a geolocator); null (204) when unknown. */
  getCountry(_cn: string, address: string): string | null {
    if (!this.#d.geolocator) throw new RpcError(400, "the registry has no GeoIP database");
    if (!isIPv4(address) && !isIPv6(address)) {
      throw new RpcError(400, `not an IP address: ${JSON.stringify(address.slice(0, 60))}`);
    }
    return this.#d.geolocator.locate(address)?.country ?? null;
  }

  /** Node prefixes routed by the co-located babeld, plus the registry's own. */
  async #routedNodes(): Promise<Bits[]> {
    const self = this.registryPrefix;
    let routed: Bits[] = [];
    try {
      routed = routedPrefixes(await this.#d.babel.dump(), this.#network);
    } catch (e) {
      log.debug(`cannot dump the local babeld: ${(e as Error).message}`);
    }
    return self === undefined || routed.includes(self) ? routed : [...routed, self];
  }

  /** `getBootstrapPeer`: an encrypted `"<bits> <addresses>"` of some node, or 204. */
  async getBootstrapPeer(cn: string, protocol: number): Promise<Uint8Array | null> {
    const prefix = this.#checkCn(cn);
    const key = this.#publicKey(prefix);
    let peer = await this.#nextBootstrapCandidate();
    if (peer === prefix) peer = this.registryPrefix;
    const text = peer === undefined || peer === prefix ? undefined : await this.#queryAddress(peer);
    const endpoints = text === undefined ? [] : parseAddresses(text, (w) => log.debug(w));
    const answer = text === undefined
      ? null
      : encryptBootstrap(key, peer!, endpoints, protocol >= 7);
    this.#event({ type: "bootstrap", answer: answer ? "given" : "empty" });
    return answer;
  }

  /**
   * The next bootstrap candidate from the shuffled list of routed nodes, rebuilt when empty or
   * older than its TTL. Rebuilds are serialised (spec §3.5: under a lock): a request that finds
   * one running waits for it and takes from the new list; one that then finds the list empty
   * again rebuilds it itself, as it would after taking the lock.
   */
  async #nextBootstrapCandidate(): Promise<Bits | undefined> {
    for (;;) {
      const now = this.#time();
      if (this.#bootstrap.list.length > 0 && this.#bootstrap.until > now) {
        return this.#bootstrap.list.pop();
      }
      if (this.#bootstrapRebuild) {
        await this.#bootstrapRebuild;
        continue;
      }
      this.#bootstrapRebuild = this.#routedNodes().then((list) => {
        shuffle(list);
        this.#bootstrap = { list, until: now + BOOTSTRAP_LIST_TTL };
      }).finally(() => this.#bootstrapRebuild = undefined);
      await this.#bootstrapRebuild;
      return this.#bootstrap.list.pop();
    }
  }

  /** Asks the local node for `peer`'s addresses; a silent node is reported as a timeout. */
  async #queryAddress(peer: Bits): Promise<string | undefined> {
    const text = await this.#d.localNode.queryAddress(peer);
    if (text === undefined) this.#event({ type: "local_node_timeout", query: "address" });
    return text;
  }

  // ---- private methods ------------------------------------------------------------------

  /** `isToken`: "1" if the token exists. */
  isToken(token: string): string | null {
    return this.#d.db.getToken(token) ? "1" : null;
  }

  /** `deleteToken`. */
  deleteToken(token: string): null {
    this.#d.db.transaction(() => this.#d.db.deleteToken(token));
    return null;
  }

  /**
   * `addToken`: stores the given token (204), or a generated one when `token` is empty (its
   * text is returned). 409 if it exists, 403 when e-mail registration is disabled.
   */
  addToken(email: string, token: string): string | null {
    if (this.#d.prefixLength === 0) throw new RpcError(403, "e-mail registration is disabled");
    checkEmail(email);
    if (token !== "" && !/^[\x21-\x7e]{1,64}$/.test(token)) {
      throw new RpcError(400, "tokens are 1 to 64 printable ASCII characters");
    }
    if (token === "") return this.#createToken(email);
    this.#createToken(email, token);
    return null;
  }

  /** `revoke` by X.509 serial or by CN (spec §3.4, §4.6). */
  async revoke(cnOrSerial: string): Promise<null> {
    const db = this.#d.db;
    const byCn = cnOrSerial.includes("/");
    let prefix: Bits | undefined;
    if (byCn) {
      try {
        prefix = cnToBits(cnOrSerial);
      } catch {
        throw new RpcError(400, `malformed CN ${JSON.stringify(cnOrSerial)}`);
      }
    } else if (!/^\d{1,30}$/.test(cnOrSerial)) {
      throw new RpcError(400, `neither a CN nor a serial: ${JSON.stringify(cnOrSerial)}`);
    }
    const changed = db.transaction(() => {
      const row = byCn ? db.getCert(prefix!) : db.getCertBySerial(BigInt(cnOrSerial));
      if (!row) throw new RpcError(404, `no certificate for ${cnOrSerial}`);
      if (byCn) {
        db.freeBlock(row.prefix);
        this.#d.sessions.drop(row.prefix);
        this.#keys.delete(row.prefix);
        this.#served.delete(row.prefix);
      }
      log.info(`revoked ${bitsToCn(row.prefix)} (serial ${row.serial})`);
      if (row.notAfter <= this.#time()) return false;
      db.insertCrl(row.serial, row.notAfter);
      return this.#regenerate();
    });
    this.#event({ type: "certificate", action: "revoked" });
    if (changed) {
      this.#loadVersion();
      await this.#notify();
    }
    return null;
  }

  /** `updateHMAC`: one step of the babel key rotation, new version, node notified. */
  async updateHMAC(): Promise<null> {
    const db = this.#d.db;
    db.transaction(() => {
      const { keys, setValidUntil } = rotateHmac(this.#hmacKeys(), () => this.#random(16));
      keys.forEach((k, i) => {
        if (k === undefined) db.deleteConfig(`babel_hmac${i}`);
        else db.setConfig(`babel_hmac${i}`, k);
      });
      if (setValidUntil) db.setConfig("valid_until", this.#time() + HMAC_ROTATION_VALIDITY);
      else db.deleteConfig("valid_until");
      this.#bumpVersion();
    });
    this.#loadVersion();
    await this.#notify();
    return null;
  }

  /** `getNodePrefix`: CN of the certificate registered with `email`. */
  getNodePrefix(email: string): string | null {
    const row = this.#d.db.getCertByEmail(email);
    return row ? bitsToCn(row.prefix) : null;
  }

  /** `getIPv6Address`: the node's subnet address (zero-padded) for `email`. */
  getIPv6Address(email: string): string | null {
    const row = this.#d.db.getCertByEmail(email);
    if (!row) return null;
    return formatIPv6(bitsToBytes((this.#network + row.prefix).padEnd(128, "0")));
  }

  /** `getIPv4Information`: first IP the node of `email` advertises (reference [BUG] fixed). */
  async getIPv4Information(email: string): Promise<string | null> {
    const row = this.#d.db.getCertByEmail(email);
    if (!row) return null;
    const text = await this.#queryAddress(row.prefix);
    return text === undefined ? null : parseAddresses(text)[0]?.ip ?? null;
  }

  /** `versions`: software version of every routed node (null when it did not answer). */
  async versions(): Promise<string> {
    return JSON.stringify(await this.#d.localNode.versions(await this.#routedNodes()));
  }

  /** `topology`: the client-tunnel graph crawled from the registry node. */
  async topology(): Promise<string> {
    const self = this.registryPrefix;
    if (self === undefined) return JSON.stringify({ "": [] });
    const graph = await this.#d.localNode.topology(self, bitsToCn);
    if (graph[""].length === 0) this.#event({ type: "local_node_timeout", query: "topology" });
    return JSON.stringify(graph);
  }

  // ---- read-only views (admin page, metrics) ----------------------------------------------

  /** Every registered node, by prefix. */
  listNodes(): NodeSummary[] {
    const self = this.registryPrefix;
    return this.#d.db.allCerts().map((r) => ({
      cn: bitsToCn(r.prefix),
      prefix: r.prefix,
      email: r.email,
      subjectSerial: r.subjectSerial,
      serial: r.serial,
      notAfter: r.notAfter,
      registryNode: r.prefix === self,
    })).sort((a, b) => a.prefix < b.prefix ? -1 : a.prefix > b.prefix ? 1 : 0);
  }

  /** Every pending token, oldest first. */
  listTokens(): TokenRow[] {
    return this.#d.db.allTokens();
  }

  /** Current sessions, tokens, prefix blocks and network version number. */
  stats(): RegistryStats {
    const db = this.#d.db;
    return {
      sessions: this.#d.sessions.size,
      tokens: db.countTokens(),
      prefixes: db.countBlocks(),
      networkVersion: Number(db.getConfig("version") ?? 0),
    };
  }

  // ---- purge ----------------------------------------------------------------------------

  /**
   * Deletes tokens and certificates older than the grace period, merges freed blocks and
   * schedules the next purge at min(token dates, notAfters) + grace period.
   */
  purge(): void {
    const db = this.#d.db;
    const limit = this.#time() - this.#d.gracePeriod;
    db.transaction(() => {
      const tokens = db.purgeTokens(limit);
      const expired = db.certsExpiredBefore(limit);
      for (const row of expired) {
        if (row.prefix === this.registryPrefix) {
          throw new FatalError(
            `refusing to purge the registry's own certificate ${
              bitsToCn(row.prefix)
            }: wrong clock?`,
          );
        }
        db.freeBlock(row.prefix);
        this.#d.sessions.drop(row.prefix);
        this.#keys.delete(row.prefix);
        this.#served.delete(row.prefix);
      }
      const merges = mergePrefixes(db);
      if (tokens || expired.length || merges) {
        log.info(`purged ${tokens} token(s), ${expired.length} certificate(s), ${merges} merge(s)`);
      }
    });
    this.#schedulePurge();
  }

  /** When the next purge is due (seconds since the epoch), if anything can expire. */
  nextPurge(): number | undefined {
    const dates = [this.#d.db.oldestTokenDate(), this.#d.db.earliestNotAfter()]
      .filter((d): d is number => d !== undefined);
    return dates.length ? Math.min(...dates) + this.#d.gracePeriod : undefined;
  }

  #schedulePurge(): void {
    if (this.#closed) return;
    clearTimeout(this.#purgeTimer);
    const at = this.nextPurge();
    if (at === undefined) return;
    const delay = Math.min(Math.max(at * 1000 - this.#now(), 0) + 1000, 2 ** 31 - 1);
    this.#purgeTimer = setTimeout(() => {
      try {
        this.purge();
      } catch (e) {
        this.onFatal(e as Error);
      }
    }, delay);
    Deno.unrefTimer(this.#purgeTimer as unknown as number);
  }
}

function checkEmail(email: string): void {
  if (!/^[^\s<>@]+@[^\s<>@]+$/.test(email) || email.length > 254) {
    throw new RpcError(400, `not an e-mail address: ${JSON.stringify(email)}`);
  }
}

function shuffle<T>(a: T[]): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = crypto.randomInt(i + 1);
    [a[i], a[j]] = [a[j], a[i]];
  }
}

/**
 * Encrypts `"<bits> <addresses>"` for the caller. Address items that do not fit in one
 * PKCS#1 v1.5 block are dropped from the end (the reference fails with 500 instead).
 */
export function encryptBootstrap(
  key: KeyObject,
  peer: Bits,
  endpoints: Endpoint[],
  withCountry: boolean,
): Uint8Array | null {
  const max = (key.asymmetricKeyDetails?.modulusLength ?? 0) / 8 - 11;
  for (let n = endpoints.length; n >= 0; n--) {
    const plain = new TextEncoder().encode(
      `${peer} ${formatAddresses(endpoints.slice(0, n), withCountry)}`,
    );
    if (plain.length <= max) return rsaEncrypt(key, plain);
  }
  return null;
}
