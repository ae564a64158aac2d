/**
 * Value checks shared by the role schemas. Each returns an error message for a bad value, or
 * undefined when the value is acceptable (the shape `OptionSpec.check` expects).
 */
import { cnToBits, parseIPv6 } from "../wire/prefix.ts";

/** True for a dotted-quad IPv4 address. */
export function isIPv4(text: string): boolean {
  const parts = text.split(".");
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

/** True for an IPv6 address (no zone). */
export function isIPv6(text: string): boolean {
  try {
    parseIPv6(text);
    return true;
  } catch {
    return false;
  }
}

/** An http:// or https:// URL with a host. */
export function checkHttpUrl([url]: readonly string[]): string | undefined {
  try {
    const u = new URL(url);
    if ((u.protocol === "http:" || u.protocol === "https:") && u.hostname) return undefined;
  } catch {
    // reported below
  }
  return `not an http(s) URL: '${url}'`;
}

/** A TCP/UDP port number 1–65535. */
export function checkPort(port: string): string | undefined {
  return /^\d+$/.test(port) && Number(port) >= 1 && Number(port) <= 65535
    ? undefined
    : `invalid port '${port}'`;
}

/** A two-letter ISO-3166 country code. */
export function checkCountry([cc]: readonly string[]): string | undefined {
  return /^[A-Za-z]{2}$/.test(cc) ? undefined : `not a two-letter country code: '${cc}'`;
}

/** An IPv4 address. */
export function checkIPv4([ip]: readonly string[]): string | undefined {
  return isIPv4(ip) ? undefined : `not an IPv4 address: '${ip}'`;
}

/** An IPv4 or IPv6 address. */
export function checkIP([ip]: readonly string[]): string | undefined {
  return isIPv4(ip) || isIPv6(ip) ? undefined : `not an IP address: '${ip}'`;
}

/** A node prefix in CN form (`5/16`). */
export function checkCn([cn]: readonly string[]): string | undefined {
  return problemOf(() => cnToBits(cn)) && `not a prefix in CN form (like 5/16): '${cn}'`;
}

/** Runs a parser for its validation only: its error message, or undefined if it succeeds. */
export function problemOf(parse: () => unknown): string | undefined {
  try {
    parse();
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}
