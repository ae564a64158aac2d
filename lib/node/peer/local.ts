/**
 * Local forwarding datagrams between the registry and its own node over `[::1]:326`
 * (spec §9.7): `<prefix bits as ASCII '0'/'1'> 0x00 <code> [data]`. The same layout carries
 * requests (registry → node) and answers (node → registry).
 */
import type { Bits } from "../../wire/prefix.ts";
import { PacketError } from "./packet.ts";

/** One local forwarding datagram. */
export interface LocalDatagram {
  prefix: Bits;
  code: number;
  data: Uint8Array;
}

const ZERO = 0x30, ONE = 0x31;

/** Encodes `<prefix> 0x00 <code> <data>`. */
export function encodeLocalDatagram(prefix: Bits, code: number, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(prefix.length + 2 + data.length);
  for (let i = 0; i < prefix.length; i++) {
    const c = prefix.charCodeAt(i);
    if (c !== ZERO && c !== ONE) throw new RangeError(`not a bit string: ${prefix}`);
    out[i] = c;
  }
  out[prefix.length] = 0;
  out[prefix.length + 1] = code & 0xff;
  out.set(data, prefix.length + 2);
  return out;
}

/**
 * Decodes a local datagram: a non-empty bit string, a 0x00 separator and a code byte are
 * required. `data` is a view into `datagram`.
 */
export function decodeLocalDatagram(datagram: Uint8Array): LocalDatagram | PacketError {
  const sep = datagram.indexOf(0);
  if (sep < 0) return new PacketError("garbled", "local datagram without 0x00 separator");
  if (sep === 0) return new PacketError("garbled", "local datagram without prefix");
  for (let i = 0; i < sep; i++) {
    if (datagram[i] !== ZERO && datagram[i] !== ONE) {
      return new PacketError("garbled", "local datagram prefix is not a bit string");
    }
  }
  if (datagram.length < sep + 2) return new PacketError("truncated", "local datagram without code");
  return {
    prefix: String.fromCharCode(...datagram.subarray(0, sep)),
    code: datagram[sep + 1],
    data: datagram.subarray(sep + 2),
  };
}
