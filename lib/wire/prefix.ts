/**
 * Prefixes as re6st handles them (spec §0, §4.1, §5.4): bit strings of '0'/'1', their
 * certificate CN form `"<decimal>/<length>"`, the CA serial that encodes the network
 * prefix, and the IPv6 subnets and addresses derived from them.
 */

/** A prefix as a string of '0' and '1' characters. */
export type Bits = string;

const BITS_RE = /^[01]*$/;

/** True if `s` is a (possibly empty) bit string. */
export function isBits(s: string): s is Bits {
  return BITS_RE.test(s);
}

/** Bit string → CN form, e.g. `"0000000000000101"` → `"5/16"`. */
export function bitsToCn(bits: Bits): string {
  if (!isBits(bits)) throw new Error(`not a bit string: ${JSON.stringify(bits)}`);
  const value = bits.length === 0 ? 0n : BigInt("0b" + bits);
  return `${value}/${bits.length}`;
}

/** CN form → bit string, e.g. `"5/16"` → `"0000000000000101"`. Throws on malformed input. */
export function cnToBits(cn: string): Bits {
  const m = /^(\d+)\/(\d+)$/.exec(cn);
  if (!m) throw new Error(`malformed prefix CN: ${JSON.stringify(cn)}`);
  const len = Number(m[2]);
  const value = BigInt(m[1]);
  if (len > 128) throw new Error(`prefix CN too long: ${cn}`);
  const bin = value.toString(2);
  if (value !== 0n && bin.length > len) throw new Error(`prefix CN value exceeds length: ${cn}`);
  return len === 0 ? "" : bin.padStart(len, "0");
}

/** CA certificate serial → network prefix bits: binary of the serial minus its leading 1. */
export function serialToNetwork(serial: bigint): Bits {
  if (serial < 1n) throw new Error("CA serial must be ≥ 1 to encode a network prefix");
  return serial.toString(2).slice(1);
}

/** Network prefix bits → CA serial (a 1 bit followed by the prefix bits). */
export function networkToSerial(bits: Bits): bigint {
  return BigInt("0b1" + bits);
}

/** 128-bit string → 16 address bytes. */
export function bitsToBytes(bits128: Bits): Uint8Array {
  if (bits128.length !== 128 || !isBits(bits128)) throw new Error("need exactly 128 bits");
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) out[i] = parseInt(bits128.slice(8 * i, 8 * i + 8), 2);
  return out;
}

/** 16 address bytes → 128-bit string. */
export function bytesToBits(bytes: Uint8Array): Bits {
  if (bytes.length !== 16) throw new Error("need exactly 16 bytes");
  return Array.from(bytes, (b) => b.toString(2).padStart(8, "0")).join("");
}

/** Formats 16 bytes as a compressed IPv6 address (RFC 5952). */
export function formatIPv6(bytes: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i] << 8) | bytes[i + 1]);
  let bestStart = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) [bestStart, bestLen] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  const head = hex.slice(0, bestStart).join(":");
  const tail = hex.slice(bestStart + bestLen).join(":");
  return `${head}::${tail}`;
}

/** Parses an IPv6 address (no zone, optional embedded IPv4) into 16 bytes; throws if invalid. */
export function parseIPv6(text: string): Uint8Array {
  let s = text;
  const tailBytes: number[] = [];
  const v4 = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const parts = v4[2].split(".").map(Number);
    if (parts.some((p) => p > 255)) throw new Error(`invalid IPv6 address: ${text}`);
    tailBytes.push(...parts);
    s = v4[1] + "0:0";
  }
  const halves = s.split("::");
  if (halves.length > 2) throw new Error(`invalid IPv6 address: ${text}`);
  const parse = (part: string) => (part === "" ? [] : part.split(":"));
  const head = parse(halves[0]);
  const tail = halves.length === 2 ? parse(halves[1]) : [];
  const missing = 8 - head.length - tail.length;
  if ((halves.length === 1 && missing !== 0) || (halves.length === 2 && missing < 1)) {
    throw new Error(`invalid IPv6 address: ${text}`);
  }
  const groups = [...head, ...Array(halves.length === 2 ? missing : 0).fill("0"), ...tail];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) throw new Error(`invalid IPv6 address: ${text}`);
    const v = parseInt(g, 16);
    out[2 * i] = v >> 8;
    out[2 * i + 1] = v & 0xff;
  });
  if (tailBytes.length) out.set(tailBytes, 12);
  return out;
}

/** `2001:db8:42::/48` → its prefix bits (host bits must be zero). */
export function cidrToBits(cidr: string): Bits {
  const m = /^([^/]+)\/(\d+)$/.exec(cidr);
  if (!m) throw new Error(`not an IPv6 prefix: ${cidr}`);
  const len = Number(m[2]);
  if (len > 128) throw new Error(`prefix length > 128: ${cidr}`);
  const bits = bytesToBits(parseIPv6(m[1]));
  if (bits.slice(len).includes("1")) throw new Error(`host bits set in ${cidr}`);
  return bits.slice(0, len);
}

/** Prefix bits → `addr/len` with the address zero-padded. */
export function bitsToCidr(bits: Bits): string {
  return `${formatIPv6(bitsToBytes(bits.padEnd(128, "0")))}/${bits.length}`;
}

/** Subnet-router anycast address of a subnet: its bits zero-padded (spec §5.4, §9.1). */
export function subnetAnycast(subnet: Bits): string {
  return formatIPv6(bitsToBytes(subnet.padEnd(128, "0")));
}

/** A node's own address: its subnet with the last bit set to 1, or the prefix if it is /128. */
export function nodeAddress(subnet: Bits): string {
  if (subnet.length >= 128) return formatIPv6(bitsToBytes(subnet.slice(0, 128)));
  return formatIPv6(bitsToBytes(subnet.padEnd(127, "0") + "1"));
}
