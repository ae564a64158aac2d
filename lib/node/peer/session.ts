/**
 * Per-peer session state of the UDP protocol (spec §9.3): the peer's certificate, the shared
 * secret, sequence counters, liveness and hello0 rate limit. Pure: time is passed in.
 */
import type { KeyObject } from "node:crypto";
import type { Bits } from "../../wire/prefix.ts";
import { encodeData, openData, PacketError, SEQ_HELLO } from "./packet.ts";

/** A session stays "connected" this long after the first send the peer has not answered. */
export const LIVENESS_MS = 60_000;
/** At most one hello0/hello0-with-fingerprint per peer in this interval. */
export const HELLO0_INTERVAL_MS = 60_000;

/** A peer certificate that passed verification against the CA. */
export interface PeerCert {
  der: Uint8Array;
  publicKey: KeyObject;
  serial: bigint;
  /** notAfter in ms since the epoch: the peer entry is removed then. */
  notAfter: number;
}

/** `last` value meaning: a valid packet was received after our last send. */
const CONFIRMED = -1;

/** State kept for one peer prefix. */
export class PeerSession {
  cert: PeerCert | undefined;
  /** Remote protocol, once a hello told us (0 for peers found by the protocol-0 fallback). */
  protocol: number | undefined;
  /** Remote network version blob as last received (empty: unknown). */
  version: Uint8Array = new Uint8Array(0);
  secret: Uint8Array;
  /** When the last authenticated packet from the peer arrived (ms; status output). */
  lastSeen: number | undefined;
  inSeq = SEQ_HELLO;
  outSeq = SEQ_HELLO;
  /** CONFIRMED, 0 (no send pending, not confirmed) or time of the first unanswered send. */
  private last = 0;
  private helloNotBefore = -Infinity;
  private answerNotBefore = -Infinity;

  constructor(readonly prefix: Bits, initialSecret: Uint8Array) {
    this.secret = initialSecret;
  }

  /**
   * Confirmed, or less than 60 s since the first unanswered send — and sequence numbers
   * left (a session whose counter reached 2³² − 1 needs a new key).
   */
  connected(now: number): boolean {
    if (!this.canSeal) return false;
    return this.last === CONFIRMED || (this.last > 0 && now < this.last + LIVENESS_MS);
  }

  /** True if a valid data packet from the peer arrived since our last send. */
  get confirmed(): boolean {
    return this.last === CONFIRMED;
  }

  /**
   * Records a successful send that the peer will answer (a non-empty payload or a hello):
   * starts the 60 s "unanswered since" timer unless one is already pending. Empty
   * acknowledgements are never answered, so they do not start it.
   */
  noteSent(now: number): void {
    if (this.last <= 0) this.last = Math.max(now, 1);
  }

  /** Installs a new session secret (ours or the peer's); counters restart at 2. */
  rekey(secret: Uint8Array, confirmed: boolean): void {
    this.secret = secret;
    this.inSeq = this.outSeq = SEQ_HELLO;
    this.last = confirmed ? CONFIRMED : 0;
  }

  /** Takes the hello0 rate-limit slot if free; false while rate-limited. */
  takeHello0Slot(now: number): boolean {
    if (now < this.helloNotBefore) return false;
    this.helloNotBefore = now + HELLO0_INTERVAL_MS;
    return true;
  }

  /** Frees the hello0 and answer slots: the hello0 that took one never left this host. */
  releaseHello0Slots(): void {
    this.helloNotBefore = -Infinity;
    this.answerNotBefore = -Infinity;
  }

  /**
   * Takes the slot for answering a received hello0 whose sender lacks our certificate while
   * our own hello0 slot is used (see PeerProtocol): one answer per 60 s per peer, counted
   * apart from the hello0s we send on our own initiative. False while rate-limited.
   */
  takeAnswerSlot(now: number): boolean {
    if (now < this.answerNotBefore) return false;
    this.answerNotBefore = now + HELLO0_INTERVAL_MS;
    return true;
  }

  /** False once the 32-bit sequence space is used up: a new session key is needed. */
  get canSeal(): boolean {
    return this.outSeq < 0xffffffff;
  }

  /** Builds the next outgoing data packet (`++out_seq`); check `canSeal` first. */
  seal(payload: Uint8Array): Uint8Array {
    return encodeData(++this.outSeq, payload, this.secret);
  }

  /**
   * Authenticates a data packet: returns its payload and marks the session confirmed, or a
   * reason string for a drop (bad HMAC, replayed/old sequence number, truncated).
   */
  open(packet: Uint8Array, seq: number): Uint8Array | string {
    const payload = openData(packet, this.secret);
    if (payload instanceof PacketError) return payload.toString();
    if (payload === null) return "bad HMAC";
    if (seq <= this.inSeq) return `sequence ${seq} not above ${this.inSeq} (replay)`;
    this.inSeq = seq;
    this.last = CONFIRMED;
    return payload;
  }
}
