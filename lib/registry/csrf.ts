/**
 * CSRF tokens of the admin page: each rendered page carries `<issued ms>.<HMAC>` keyed by a
 * per-process secret, and a state-changing POST must send back one that is authentic and not
 * older than `ttlMs`. A page from another site cannot read the token, so it cannot forge the
 * POST. Stateless; the clock and the secret are injected. Pure apart from the HMAC.
 */
import { Buffer } from "node:buffer";
import crypto from "node:crypto";

/** Default lifetime of a page's token: 2 hours. */
export const CSRF_TTL_MS = 2 * 3600_000;

/** Issues and checks CSRF tokens. */
export class CsrfTokens {
  constructor(
    readonly secret: Uint8Array,
    readonly now: () => number = Date.now,
    readonly ttlMs = CSRF_TTL_MS,
  ) {}

  #mac(issued: string): string {
    return crypto.createHmac("sha256", this.secret).update(`re6st-admin:${issued}`)
      .digest("base64url");
  }

  /** A fresh token for one page. */
  issue(): string {
    const issued = String(this.now());
    return `${issued}.${this.#mac(issued)}`;
  }

  /** True if `token` was issued here, less than `ttlMs` ago (and not in the future). */
  verify(token: string | undefined): boolean {
    const m = /^(\d{1,15})\.([A-Za-z0-9_-]{43})$/.exec(token ?? "");
    if (!m) return false;
    const age = this.now() - Number(m[1]);
    if (age < 0 || age > this.ttlMs) return false;
    const expected = Buffer.from(this.#mac(m[1]));
    return crypto.timingSafeEqual(expected, Buffer.from(m[2]));
  }
}
