/**
 * Byte layouts of the node-to-node UDP protocol (spec §9.2). Every packet starts with a
 * 4-byte big-endian sequence number: 0 hello0, 1 hello0 with fingerprint, 2 hello (session
 * key), ≥ 3 authenticated data. Decoders never throw: malformed input yields a PacketError.
 * Decoded fields are views (subarrays) into the received buffer, not copies.
 */
import crypto from "node:crypto";
import { packInteger, unpackInteger } from "../../wire/pack_integer.ts";

/** Sequence number of a hello0 packet (sender's certificate only). */
export const SEQ_HELLO0 = 0;
/** Sequence number of a hello0 packet carrying protocol and fingerprint. */
export const SEQ_HELLO0_FINGERPRINT = 1;
/** Sequence number of a hello packet carrying a session key. */
export const SEQ_HELLO = 2;
/** First sequence number of data packets (counters restart at 2 after each new key). */
export const SEQ_FIRST_DATA = 3;
/** HMAC-SHA1 tag length of data packets. */
export const HMAC_LEN = 20;
/** SHA-1 certificate fingerprint length in hello0 packets with seq 1. */
export const FINGERPRINT_LEN = 20;
/** Packets this short or shorter are dropped without inspection (spec §9.1). */
export const MIN_PACKET_LEN = 5;
/** Largest protocol number we accept from a peer (guards against absurd packInteger values). */
const MAX_PROTOCOL = 0xffffn;

/** Why a datagram could not be decoded. */
export type PacketErrorReason = "truncated" | "garbled";

/** A decoding failure: returned, never thrown. */
export class PacketError {
  constructor(readonly reason: PacketErrorReason, readonly detail: string) {}
  /** Human-readable form for log lines. */
  toString(): string {
    return `${this.reason} packet: ${this.detail}`;
  }
}

/** hello0 / hello0-with-fingerprint contents. `protocol` and `fingerprint` are absent for seq 0. */
export interface Hello0 {
  protocol?: number;
  fingerprint?: Uint8Array;
  cert: Uint8Array;
}

/** hello (seq 2) contents: encrypted secret `e` and the sender's signature `s` over it. */
export interface Hello {
  protocol?: number;
  e: Uint8Array;
  s: Uint8Array;
}

function seqBytes(seq: number, extra: number): Uint8Array {
  const out = new Uint8Array(4 + extra);
  new DataView(out.buffer).setUint32(0, seq >>> 0);
  return out;
}

/** Sequence number of a packet of at least 4 bytes. */
export function packetSeq(packet: Uint8Array): number {
  return ((packet[0] << 24) | (packet[1] << 16) | (packet[2] << 8) | packet[3]) >>> 0;
}

/** seq 0: `00000000 ‖ DER(sender certificate)`. */
export function encodeHello0(cert: Uint8Array): Uint8Array {
  const out = seqBytes(SEQ_HELLO0, cert.length);
  out.set(cert, 4);
  return out;
}

/**
 * seq 1: `00000001 ‖ packInteger(protocol) ‖ SHA1(receiver cert as we know it) ‖ DER(our cert)`.
 * `protocol` null produces the protocol-0 layout (no integer).
 */
export function encodeHello0Fingerprint(
  protocol: number | null,
  fingerprint: Uint8Array,
  cert: Uint8Array,
): Uint8Array {
  if (fingerprint.length !== FINGERPRINT_LEN) throw new RangeError("fingerprint must be 20 bytes");
  const proto = protocol === null ? new Uint8Array(0) : packInteger(protocol);
  const out = seqBytes(SEQ_HELLO0_FINGERPRINT, proto.length + FINGERPRINT_LEN + cert.length);
  out.set(proto, 4);
  out.set(fingerprint, 4 + proto.length);
  out.set(cert, 4 + proto.length + FINGERPRINT_LEN);
  return out;
}

/** seq 2: `00000002 ‖ [packInteger(protocol)] ‖ E ‖ S`; protocol null when the receiver speaks 0. */
export function encodeHello(protocol: number | null, e: Uint8Array, s: Uint8Array): Uint8Array {
  if (e.length !== s.length) throw new RangeError("hello halves must have equal length");
  const proto = protocol === null ? new Uint8Array(0) : packInteger(protocol);
  const out = seqBytes(SEQ_HELLO, proto.length + e.length + s.length);
  out.set(proto, 4);
  out.set(e, 4 + proto.length);
  out.set(s, 4 + proto.length + e.length);
  return out;
}

/** seq ≥ 3: `seq ‖ payload ‖ HMAC-SHA1(secret, seq ‖ payload)`. */
export function encodeData(seq: number, payload: Uint8Array, secret: Uint8Array): Uint8Array {
  if (seq < SEQ_FIRST_DATA || seq > 0xffffffff) throw new RangeError(`bad data seq ${seq}`);
  const out = seqBytes(seq, payload.length + HMAC_LEN);
  out.set(payload, 4);
  const mac = crypto.createHmac("sha1", secret).update(out.subarray(0, 4 + payload.length))
    .digest();
  out.set(mac, 4 + payload.length);
  return out;
}

/**
 * Reads the leading packInteger protocol number when the layout has one (`present`); returns it
 * and the bytes it used (none, and no protocol, when absent).
 */
function readProtocol(
  body: Uint8Array,
  present: boolean,
): { protocol?: number; length: number } | PacketError {
  if (!present) return { protocol: undefined, length: 0 };
  if (body.length === 0) return new PacketError("truncated", "missing protocol number");
  const n = body[0] >> 5;
  if (body.length < n + 1) return new PacketError("truncated", "truncated protocol number");
  const { value, length } = unpackInteger(body);
  if (value > MAX_PROTOCOL) return new PacketError("garbled", "protocol number out of range");
  return { protocol: Number(value), length };
}

/** Body (after seq) of a seq-0 packet. */
export function decodeHello0(body: Uint8Array): Hello0 | PacketError {
  if (body.length === 0) return new PacketError("truncated", "hello0 without certificate");
  return { cert: body };
}

/**
 * Body (after seq) of a seq-1 packet. `withProtocol` false reads the protocol-0 layout
 * (fingerprint first), used for the fallback of spec §9.3.
 */
export function decodeHello0Fingerprint(
  body: Uint8Array,
  withProtocol: boolean,
): Hello0 | PacketError {
  const p = readProtocol(body, withProtocol);
  if (p instanceof PacketError) return p;
  const { protocol, length: offset } = p;
  if (body.length <= offset + FINGERPRINT_LEN) {
    return new PacketError("truncated", "hello0 fingerprint or certificate missing");
  }
  return {
    protocol,
    fingerprint: body.subarray(offset, offset + FINGERPRINT_LEN),
    cert: body.subarray(offset + FINGERPRINT_LEN),
  };
}

/** Body (after seq) of a seq-2 packet; `withProtocol` false for peers known to speak protocol 0. */
export function decodeHello(body: Uint8Array, withProtocol: boolean): Hello | PacketError {
  const p = readProtocol(body, withProtocol);
  if (p instanceof PacketError) return p;
  const { protocol, length: offset } = p;
  const rest = body.length - offset;
  if (rest === 0) return new PacketError("truncated", "hello without key");
  if (rest % 2 !== 0) return new PacketError("garbled", "hello halves of unequal length");
  const half = rest / 2;
  return {
    protocol,
    e: body.subarray(offset, offset + half),
    s: body.subarray(offset + half),
  };
}

/**
 * Payload of a data packet if its HMAC matches `secret`, else null. The packet must be at
 * least 4 + HMAC_LEN bytes (shorter ones give a PacketError).
 */
export function openData(packet: Uint8Array, secret: Uint8Array): Uint8Array | null | PacketError {
  if (packet.length < 4 + HMAC_LEN) return new PacketError("truncated", "data shorter than HMAC");
  const end = packet.length - HMAC_LEN;
  const mac = crypto.createHmac("sha1", secret).update(packet.subarray(0, end)).digest();
  const got = packet.subarray(end);
  return crypto.timingSafeEqual(mac, got) ? packet.subarray(4, end) : null;
}
