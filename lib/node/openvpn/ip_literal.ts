/** Strict IP literal check for values that end up in OpenVPN arguments or pushed options. */

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const IPV6 = /^[0-9a-fA-F:.]{2,45}$/;

/**
 * Whether `s` is a plain IPv4 or IPv6 literal: nothing that OpenVPN could read as an option
 * (`--…`) or that could break out of a pushed option line.
 */
export function isIpLiteral(s: string): boolean {
  const m = IPV4.exec(s);
  if (m) return m.slice(1).every((o) => Number(o) <= 255);
  return IPV6.test(s) && s.includes(":");
}
