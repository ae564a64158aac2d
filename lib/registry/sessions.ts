/**
 * Registry side of the node session HMAC chain (spec §3.2). Sessions live in memory only:
 * each node prefix maps to a list of `(secret, protocol)` pairs. `hello` keeps the pair in
 * use (index 0) and replaces anything after it with the fresh one, so an unauthenticated hello
 * cannot break a running session. A request authenticated with secret K leaves the single
 * pair `(SHA1(SHA1(K)), protocol)` and its answer is signed with `SHA1(K)`.
 */
import { Buffer } from "node:buffer";
import crypto from "node:crypto";
import type { Bits } from "../wire/prefix.ts";

/** Length of session secrets and HMAC-SHA1 tags. */
export const HMAC_LEN = 20;

/** SHA-1 digest. */
export function sha1(data: Uint8Array): Uint8Array {
  return new Uint8Array(crypto.createHash("sha1").update(data).digest());
}

/** HMAC-SHA1 tag. */
export function hmacSha1(key: Uint8Array, data: Uint8Array | string): Uint8Array {
  return new Uint8Array(crypto.createHmac("sha1", key).update(data).digest());
}

/** One secret a node may use for its next request. */
export interface SessionKey {
  secret: Uint8Array;
  protocol: number;
}

/** Result of checking an authenticated request. */
export type AuthResult =
  | { ok: true; responseKey: Uint8Array; protocol: number }
  | { ok: false; status: 400 | 401; reason: string };

/** In-memory session table of the registry. */
export class SessionTable {
  readonly #sessions = new Map<Bits, SessionKey[]>();

  /** Records a fresh secret from a `hello` of `prefix`, keeping the one in use. */
  hello(prefix: Bits, secret: Uint8Array, protocol: number): void {
    const list = this.#sessions.get(prefix) ?? [];
    this.#sessions.set(prefix, [...list.slice(0, 1), { secret, protocol }]);
  }

  /**
   * Checks the `Re6stHMAC` header (`tag`, base64) of a request for `path` (path and query as
   * received). On success the chain advances and the key for the response HMAC is returned.
   * 401 if the prefix has no session, 400 for a missing, malformed or wrong tag.
   */
  authenticate(prefix: Bits, path: string, tag: string | null): AuthResult {
    const list = this.#sessions.get(prefix);
    if (!list) return { ok: false, status: 401, reason: "no session" };
    if (tag === null) return { ok: false, status: 400, reason: "missing Re6stHMAC header" };
    if (!/^[A-Za-z0-9+/]{27}=$/.test(tag)) {
      return { ok: false, status: 400, reason: "malformed Re6stHMAC header" };
    }
    const given = Buffer.from(tag, "base64");
    for (const { secret, protocol } of list) {
      if (crypto.timingSafeEqual(given, hmacSha1(secret, path))) {
        const responseKey = sha1(secret);
        this.#sessions.set(prefix, [{ secret: sha1(responseKey), protocol }]);
        return { ok: true, responseKey, protocol };
      }
    }
    return { ok: false, status: 400, reason: "wrong HMAC" };
  }

  /** Forgets the session of a prefix (revocation). */
  drop(prefix: Bits): void {
    this.#sessions.delete(prefix);
  }

  /** Number of prefixes with a session. */
  get size(): number {
    return this.#sessions.size;
  }
}
