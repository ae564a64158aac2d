/**
 * The one error type of `lib/pki`: `PkiError` with a machine-readable `code`.
 *
 * Every parser in `lib/pki` throws only `PkiError` for bad input (never a TypeError or a
 * node:crypto error), so callers can map it without guessing. For the registry: any
 * `PkiError` raised while parsing a client's CSR (`parseCsr`) is the client's fault ⇒ HTTP 400;
 * a failure while issuing from an already accepted CSR is ours ⇒ HTTP 500.
 *
 * Codes:
 * - `malformed`: not PEM/DER, truncated, wrong structure, bad string/time/CN encoding;
 * - `too-large`: input above the size bound, rejected before parsing;
 * - `unsupported-key`: not an RSA (PKCS#1 v1.5) key;
 * - `unsupported-algorithm`: signature or hash algorithm we do not accept;
 * - `key-size`: RSA modulus size differs from the CA's (the protocol needs equal sizes);
 * - `bad-signature`: a self-signature (CSR) does not verify;
 * - `key-mismatch`: a private key does not belong to the given certificate;
 * - `invalid-argument`: a caller-side value out of range (subject field, prefix, bits…).
 */

/** Machine-readable reason of a `PkiError`. */
export type PkiErrorCode =
  | "malformed"
  | "too-large"
  | "unsupported-key"
  | "unsupported-algorithm"
  | "key-size"
  | "bad-signature"
  | "key-mismatch"
  | "invalid-argument";

/** Error raised by every `lib/pki` function for bad input. */
export class PkiError extends Error {
  /** Why it failed (see module header). */
  readonly code: PkiErrorCode;

  constructor(code: PkiErrorCode, message: string) {
    super(message);
    this.name = "PkiError";
    this.code = code;
  }
}
