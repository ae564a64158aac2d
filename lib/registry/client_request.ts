/**
 * Request URLs of the registry HTTP API, client side (spec §3.1): `<base path>/<method>` plus,
 * when the method has parameters, `?<query>` carrying every parameter of the method signature
 * in order, form-encoded with `+` for spaces.
 */

const UNRESERVED = /[A-Za-z0-9_.~-]/;

/** application/x-www-form-urlencoded encoding of one name or value (`+` for spaces). */
export function formEncode(text: string): string {
  let out = "";
  for (const byte of new TextEncoder().encode(text)) {
    const c = String.fromCharCode(byte);
    if (byte < 0x80 && UNRESERVED.test(c)) out += c;
    else if (c === " ") out += "+";
    else out += "%" + byte.toString(16).toUpperCase().padStart(2, "0");
  }
  return out;
}

/**
 * Path and query of a call, as the registry sees it and as the session HMAC covers it:
 * `/getCa`, `/hello?client_prefix=0101&protocol=10`.
 */
export function methodPath(method: string, params: readonly (readonly [string, string])[]): string {
  if (params.length === 0) return `/${method}`;
  const query = params.map(([k, v]) => `${formEncode(k)}=${formEncode(v)}`).join("&");
  return `/${method}?${query}`;
}

/**
 * Base of request URLs for a registry URL: scheme, host, port and path without trailing `/`
 * (query and fragment dropped). Throws on a URL that is not http(s).
 */
export function registryBase(url: string): string {
  const u = new URL(url);
  if (u.protocol !== "http:" && u.protocol !== "https:") {
    throw new Error(`registry URL must be http(s): ${url}`);
  }
  return u.origin + u.pathname.replace(/\/+$/, "");
}
