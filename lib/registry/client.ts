/**
 * HTTP client of the re6st registry (spec §3), written from the spec. Every call is a GET of
 * `<registry URL path>/<method>?<all parameters>`; methods having a `cn` parameter are
 * authenticated with the session HMAC chain of §3.2 (a `hello` handshake first).
 *
 * Results: a 403 is thrown as RegistryForbiddenError; any other failure (network, timeout,
 * other status, bad HMAC, undecodable answer) is logged and yields `undefined` ("no result"),
 * with the reason in `lastFailure`. An empty answer (204) is an empty string/array.
 */
import crypto from "node:crypto";
import { logger } from "../log.ts";
import { type PrivateKeyInput, type PublicKeyInput, rsaDecrypt } from "../pki/rsa.ts";
import { platform, PROTOCOL, VERSION } from "../version.ts";
import type { Bits } from "../wire/prefix.ts";
import {
  type BootstrapPeer,
  decodeNetworkConfig,
  type NetworkConfig,
  parseBootstrapPeer,
} from "./client_decode.ts";
import { methodPath, registryBase } from "./client_request.ts";
import { chainStep, HMAC_HEADER, openHello, responseAuthentic } from "./client_session.ts";

const log = logger("registry-client");

/** The registry refused the call (HTTP 403): private method, or registration mode disabled. */
export class RegistryForbiddenError extends Error {
  constructor(readonly method: string) {
    super(`registry refused ${method} (403 Forbidden)`);
    this.name = "RegistryForbiddenError";
  }
}

/** What a node needs for authenticated calls. */
export interface SessionCredentials {
  /** CA certificate (PEM) or CA public key: verifies `hello` answers. */
  ca: string | PublicKeyInput;
  /** Node private key: decrypts `hello` answers and bootstrap peers. */
  key: PrivateKeyInput;
  /** Our node prefix as bits (sent as `client_prefix` and `cn`). */
  prefix: Bits;
}

/** Client settings. */
export interface RegistryClientOptions {
  /** Registry URL, e.g. `http://registry.example/re6st/`. */
  url: string;
  /** Needed only for authenticated calls. */
  session?: SessionCredentials;
  /** Per-request timeout (default 60 s). */
  timeoutMs?: number;
}

type Params = [string, string][];

interface Answer {
  status: number;
  body: Uint8Array;
  hmac: string | null;
}

function publicKeyOf(ca: string | PublicKeyInput): PublicKeyInput {
  if (typeof ca === "string" && ca.includes("BEGIN CERTIFICATE")) {
    return new crypto.X509Certificate(ca).publicKey;
  }
  return ca;
}

const text = (b: Uint8Array | undefined) => b && new TextDecoder().decode(b);

/** A registry client; one instance per registry (it holds the session secret). */
export class RegistryClient {
  readonly #base: string;
  readonly #timeoutMs: number;
  readonly #session?: { ca: PublicKeyInput; key: PrivateKeyInput; prefix: Bits };
  #secret?: Uint8Array;
  #queue: Promise<unknown> = Promise.resolve();
  /** Reason of the last call that gave no result. */
  lastFailure?: string;

  constructor(options: RegistryClientOptions) {
    this.#base = registryBase(options.url);
    this.#timeoutMs = options.timeoutMs ?? 60_000;
    const s = options.session;
    if (s) this.#session = { ca: publicKeyOf(s.ca), key: s.key, prefix: s.prefix };
  }

  /** User-Agent sent with every request. */
  static get userAgent(): string {
    return `re6stnet/${VERSION}, ${platform()}`;
  }

  #fail(method: string, reason: string): undefined {
    this.lastFailure = `${method}: ${reason}`;
    log.warn(`registry call ${this.lastFailure}`);
    return undefined;
  }

  async #get(path: string, headers: Record<string, string> = {}): Promise<Answer | string> {
    try {
      const res = await fetch(this.#base + path, {
        headers: { "User-Agent": RegistryClient.userAgent, ...headers },
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      const body = new Uint8Array(await res.arrayBuffer());
      return { status: res.status, body, hmac: res.headers.get(HMAC_HEADER) };
    } catch (e) {
      return e instanceof DOMException && e.name === "TimeoutError"
        ? `no answer within ${this.#timeoutMs / 1000} s`
        : (((e as Error).cause as Error | undefined)?.message ?? (e as Error).message);
    }
  }

  /** Unauthenticated call: the body of a 200/204 answer. */
  async #call(method: string, params: Params = []): Promise<Uint8Array | undefined> {
    const answer = await this.#get(methodPath(method, params));
    if (typeof answer === "string") return this.#fail(method, answer);
    if (answer.status === 403) throw new RegistryForbiddenError(method);
    if (answer.status !== 200 && answer.status !== 204) {
      return this.#fail(method, `HTTP status ${answer.status}`);
    }
    return answer.body;
  }

  async #hello(): Promise<Uint8Array | undefined> {
    const s = this.#session!;
    const params: Params = [["client_prefix", s.prefix], ["protocol", String(PROTOCOL)]];
    const body = await this.#call("hello", params);
    if (body === undefined) return undefined;
    try {
      return openHello(body, s.ca, s.key);
    } catch (e) {
      return this.#fail("hello", (e as Error).message);
    }
  }

  /** One authenticated attempt with `secret`; leaves the next secret stored on success. */
  async #attempt(method: string, path: string, secret: Uint8Array) {
    const step = chainStep(secret, path);
    const answer = await this.#get(path, { [HMAC_HEADER]: step.requestHeader });
    if (typeof answer === "string") return answer;
    if (answer.status === 403) throw new RegistryForbiddenError(method);
    if (answer.status !== 200 && answer.status !== 204) return `HTTP status ${answer.status}`;
    if (!responseAuthentic(step.responseKey, answer.body, answer.hmac)) {
      return "answer has a wrong or missing HMAC";
    }
    this.#secret = step.nextKey;
    return answer.body;
  }

  /**
   * Authenticated call (`cn` first): the stored secret is used once and reset; if a call with
   * a cached secret fails, it is retried once after a fresh `hello`.
   */
  #authenticated(method: string, params: Params = []): Promise<Uint8Array | undefined> {
    const run = async () => {
      if (!this.#session) throw new Error(`${method} needs session credentials`);
      const path = methodPath(method, [["cn", this.#session.prefix], ...params]);
      for (let retry = false;; retry = true) {
        const cached = this.#secret;
        this.#secret = undefined;
        const secret = cached ?? await this.#hello();
        if (secret === undefined) return undefined;
        const result = await this.#attempt(method, path, secret);
        if (typeof result !== "string") return result;
        if (!cached || retry) return this.#fail(method, result);
        log.debug(`registry call ${method}: ${result}; new session`);
      }
    };
    const done = this.#queue.then(run, run);
    this.#queue = done.catch(() => {});
    return done;
  }

  // ---- public methods (spec §3.3) ----

  /** The CA certificate (PEM). */
  async getCa(): Promise<string | undefined> {
    return text(await this.#call("getCa"));
  }

  /** Asks the registry to mail a token to `email`; true when done. */
  async requestToken(email: string): Promise<true | undefined> {
    return await this.#call("requestToken", [["email", email]]) && true;
  }

  /**
   * Requests a certificate for the PEM CSR `req` with a token (`""` = anonymous). Empty string
   * ⇒ invalid or expired token. `location` = `CC,CONT`; `ip` empty lets the registry guess.
   */
  async requestCertificate(
    token: string,
    req: string,
    location = "",
    ip = "",
  ): Promise<string | undefined> {
    const params: Params = [["token", token], ["req", req], ["location", location], ["ip", ip]];
    return text(await this.#call("requestCertificate", params));
  }

  /** Our renewed certificate (PEM; possibly the current one). */
  async renewCertificate(): Promise<string | undefined> {
    return text(await this.#authenticated("renewCertificate"));
  }

  /** DH parameters (PEM) for our OpenVPN servers. */
  async getDh(): Promise<string | undefined> {
    return text(await this.#authenticated("getDh"));
  }

  /** Network parameters as sent: a zlib stream of JSON (see fetchNetworkConfig). */
  getNetworkConfig(): Promise<Uint8Array | undefined> {
    return this.#authenticated("getNetworkConfig");
  }

  /** Network parameters, inflated and parsed (base64 entries decoded). */
  async fetchNetworkConfig(): Promise<NetworkConfig | undefined> {
    const body = await this.getNetworkConfig();
    if (body === undefined) return undefined;
    try {
      return decodeNetworkConfig(body);
    } catch (e) {
      return this.#fail("getNetworkConfig", (e as Error).message);
    }
  }

  /** Country code of `address` by the registry's GeoIP; `""` if unknown. */
  async getCountry(address: string): Promise<string | undefined> {
    return text(await this.#authenticated("getCountry", [["address", address]]));
  }

  /** A peer to bootstrap from; `null` when the registry has none to offer. */
  async getBootstrapPeer(): Promise<BootstrapPeer | null | undefined> {
    const body = await this.#authenticated("getBootstrapPeer");
    if (body === undefined) return undefined;
    if (body.length === 0) return null;
    try {
      return parseBootstrapPeer(rsaDecrypt(this.#session!.key, body));
    } catch (e) {
      return this.#fail("getBootstrapPeer", (e as Error).message);
    }
  }

  // ---- private methods, allowed from authorised origins only (spec §3.4) ----

  /** Whether `token` exists. */
  async isToken(token: string): Promise<boolean | undefined> {
    const body = await this.#call("isToken", [["token", token]]);
    return body && body.length > 0;
  }

  /** Deletes a token; true when done. */
  async deleteToken(token: string): Promise<true | undefined> {
    return await this.#call("deleteToken", [["token", token]]) && true;
  }

  /** Creates `token` for `email`; true when done (an existing token gives no result). */
  async addToken(email: string, token: string): Promise<true | undefined> {
    return await this.#call("addToken", [["email", email], ["token", token]]) && true;
  }

  /** Revokes a certificate by X.509 serial (decimal) or prefix CN (`n/len`); true when done. */
  async revoke(cnOrSerial: string): Promise<true | undefined> {
    return await this.#call("revoke", [["cn_or_serial", cnOrSerial]]) && true;
  }

  /** Advances the babel HMAC key rotation by one step; true when done. */
  async updateHMAC(): Promise<true | undefined> {
    return await this.#call("updateHMAC") && true;
  }

  /** CN of the certificate registered with `email`; `""` if none. */
  async getNodePrefix(email: string): Promise<string | undefined> {
    return text(await this.#call("getNodePrefix", [["email", email]]));
  }

  /** Network address of the node registered with `email`. */
  async getIPv6Address(email: string): Promise<string | undefined> {
    return text(await this.#call("getIPv6Address", [["email", email]]));
  }

  /** First advertised IP of the node registered with `email`. */
  async getIPv4Information(email: string): Promise<string | undefined> {
    return text(await this.#call("getIPv4Information", [["email", email]]));
  }

  /** Software version of every routed node (`null` when it did not answer), by prefix bits. */
  versions(): Promise<Record<string, string | null> | undefined> {
    return this.#json("versions");
  }

  /** Tunnel graph: for each CN, the CNs it has client tunnels to; `""` lists responders. */
  topology(): Promise<Record<string, string[]> | undefined> {
    return this.#json("topology");
  }

  async #json<T>(method: string): Promise<T | undefined> {
    const body = text(await this.#call(method));
    if (body === undefined) return undefined;
    let value: unknown;
    try {
      value = JSON.parse(body);
    } catch {
      return this.#fail(method, "answer is not JSON");
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      return this.#fail(method, "answer is not a JSON object");
    }
    return value as T;
  }
}
