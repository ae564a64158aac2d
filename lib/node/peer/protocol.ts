/**
 * The node-to-node UDP protocol as a pure state machine (spec §9.1–§9.7): it turns received
 * datagrams and send requests into actions (datagrams to send, messages for the tunnel
 * manager, parameter fetches, log lines). Time and randomness are injected; the only side
 * effects are in-memory.
 */
import crypto, { type KeyObject } from "node:crypto";
import { PROTOCOL } from "../../version.ts";
import { type PublicKeyInput, rsaDecrypt, rsaEncrypt, rsaSign, rsaVerify } from "../../pki/rsa.ts";
import { type Bits, bytesToBits, isBits, parseIPv6 } from "../../wire/prefix.ts";
import type { DropKind, PeerAction, PeerLogLevel, SendTarget } from "./actions.ts";
import type { CertVerifier, VerifiedCert } from "./cert_verifier.ts";
import { decodeLocalDatagram, encodeLocalDatagram } from "./local.ts";
import { answerMessage, CODE, FORWARDED, type MessageContext } from "./messages.ts";
import {
  decodeHello,
  decodeHello0,
  decodeHello0Fingerprint,
  encodeHello,
  encodeHello0,
  encodeHello0Fingerprint,
  type Hello0,
  MIN_PACKET_LEN,
  PacketError,
  packetSeq,
  SEQ_HELLO,
  SEQ_HELLO0,
  SEQ_HELLO0_FINGERPRINT,
} from "./packet.ts";
import { PeerTable } from "./peer_table.ts";
import { compareBytes, type RandomBytes, SECRET_LEN, timeSecret } from "./secret.ts";
import { PeerSession } from "./session.ts";

/** Everything the machine needs to know about this node. */
export interface PeerProtocolOptions {
  /** Network prefix N. */
  network: Bits;
  /** Our node prefix P (relative to N). */
  prefix: Bits;
  /** DER of our certificate. */
  cert: Uint8Array;
  /** Our private key. */
  key: KeyObject;
  /** CA public key, for version blob signatures. */
  caKey: PublicKeyInput;
  /** Strict CA + validity check of peer certificates. */
  verifyCert: CertVerifier;
  /** Our current network version blob. */
  version: Uint8Array;
  /** Revoked certificate serials. */
  crl?: Iterable<bigint>;
  /** Prefix of the registry's node (code 5 is honoured only from it). */
  registryPrefix?: Bits;
  /** `"<software version>, <platform>"` answered to code 4. */
  software: string;
  /** Our advertised address string (with country), answered to code 1. */
  addresses(): string;
  /** Code 5 answer from the tunnel manager. */
  tunnelList?(): string | undefined;
  /** Protocol number we announce (default PROTOCOL). */
  protocol?: number;
  /** Random bytes for session secrets. */
  random: RandomBytes;
  /** Start time (ms since the epoch): seeds the process-wide initial secret. */
  now: number;
}

/** Read-only view of one peer for status output and the daemon. */
export interface PeerInfo {
  prefix: Bits;
  connected: boolean;
  protocol: number | undefined;
  version: Uint8Array;
  serial: bigint | undefined;
  notAfter: number | undefined;
  /** when the last authenticated packet (hello or data) arrived (ms), if any */
  lastSeen: number | undefined;
}

const EMPTY = new Uint8Array(0);
const LOOPBACK = "0".repeat(127) + "1";

function sha1(data: Uint8Array): Uint8Array {
  return crypto.createHash("sha1").update(data).digest();
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && compareBytes(a, b) === 0;
}

/** The per-node UDP 326 protocol state: all peer sessions plus message handling. */
export class PeerProtocol {
  private readonly table = new PeerTable();
  private readonly ctx: MessageContext;
  private readonly fingerprint: Uint8Array;
  private readonly initialSecret: Uint8Array;
  private readonly ourProtocol: number;
  private crl: Set<bigint>;
  /** Where answers of registry-forwarded exchanges go (the last local requester). */
  private requester: { address: string; port: number } | undefined;
  /** Earliest certificate expiry; null when it must be recomputed. */
  private expiry: number | null = Infinity;

  constructor(private readonly opts: PeerProtocolOptions) {
    this.fingerprint = sha1(opts.cert);
    this.initialSecret = timeSecret(opts.now, opts.random);
    this.ourProtocol = opts.protocol ?? PROTOCOL;
    this.crl = new Set(opts.crl ?? []);
    this.ctx = {
      version: opts.version.slice(),
      caKey: opts.caKey,
      prefix: opts.prefix,
      registryPrefix: opts.registryPrefix,
      software: opts.software,
      addresses: opts.addresses,
      tunnelList: opts.tunnelList,
    };
  }

  /** Network prefix N. */
  get network(): Bits {
    return this.opts.network;
  }

  /** Our prefix. */
  get prefix(): Bits {
    return this.opts.prefix;
  }

  /** Our current network version blob. */
  get version(): Uint8Array {
    return this.ctx.version;
  }

  /** Replaces our version blob (after a successful parameter fetch). */
  setVersion(blob: Uint8Array): void {
    this.ctx.version = blob.slice();
  }

  /** Sets the registry node's prefix (from the network parameters). */
  setRegistryPrefix(prefix: Bits | undefined): void {
    this.ctx.registryPrefix = prefix;
  }

  /** Replaces the CRL and drops sessions with revoked peers. */
  setCrl(serials: Iterable<bigint>): PeerAction[] {
    this.crl = new Set(serials);
    const out: PeerAction[] = [];
    for (const peer of [...this.table.values()]) {
      if (peer.cert && this.crl.has(peer.cert.serial)) {
        this.removePeer(peer.prefix);
        log(out, "info", `${peer.prefix}: certificate revoked, session dropped`);
      }
    }
    return out;
  }

  /** Drops sessions whose certificate expired at `now`. */
  expire(now: number): PeerAction[] {
    const out: PeerAction[] = [];
    for (const peer of [...this.table.values()]) {
      if (peer.cert && peer.cert.notAfter <= now) {
        this.removePeer(peer.prefix);
        log(out, "info", `${peer.prefix}: certificate expired, session dropped`);
      }
    }
    return out;
  }

  /** Earliest time at which `expire` has something to do (Infinity: never). */
  nextExpiry(): number {
    if (this.expiry === null) {
      let min = Infinity;
      for (const p of this.table.values()) {
        if (p.cert && p.cert.notAfter < min) min = p.cert.notAfter;
      }
      this.expiry = min;
    }
    return this.expiry;
  }

  /** Forgets a peer entirely. */
  removePeer(prefix: Bits): void {
    if (this.table.remove(prefix)) this.expiry = null;
  }

  /** Status of one peer, if known. */
  peer(prefix: Bits, now: number): PeerInfo | undefined {
    const p = this.table.get(prefix);
    return p && {
      prefix: p.prefix,
      connected: p.connected(now),
      protocol: p.protocol,
      version: p.version,
      serial: p.cert?.serial,
      notAfter: p.cert?.notAfter,
      lastSeen: p.lastSeen,
    };
  }

  /** Prefixes of all known peers, sorted. */
  peerPrefixes(): Bits[] {
    return this.table.values().map((p) => p.prefix);
  }

  /**
   * Sends `message` (`code ‖ data`, or null to only ensure a session) to peer `prefix`
   * (spec §9.3 sending rules): unknown peer ⇒ hello0; connected ⇒ data; otherwise hello0
   * (rate-limited) and the message is dropped.
   */
  send(prefix: Bits, message: Uint8Array | null, now: number): PeerAction[] {
    const out: PeerAction[] = [];
    this.sendTo(prefix, message, now, out);
    return out;
  }

  /** `send(prefix, code ‖ data)`. */
  sendMessage(prefix: Bits, code: number, data: Uint8Array, now: number): PeerAction[] {
    const msg = new Uint8Array(1 + data.length);
    msg[0] = code;
    msg.set(data, 1);
    return this.send(prefix, msg, now);
  }

  /**
   * The kernel refused to send `data` to `to` (a peer; e.g. no route to it yet). A refused
   * hello0/1 was never sent, so it does not use the peer's rate-limit slot (statement 42 counts
   * hello0s sent): the next send request may try again instead of waiting 60 s. True if a slot was freed.
   */
  sendFailed(to: SendTarget, data: Uint8Array): boolean {
    if (data.length < MIN_PACKET_LEN) return false;
    const seq = packetSeq(data);
    if (seq !== SEQ_HELLO0 && seq !== SEQ_HELLO0_FINGERPRINT) return false;
    let peer: PeerSession | undefined;
    if ("prefix" in to) peer = this.table.get(to.prefix);
    else {
      try {
        const bits = bytesToBits(parseIPv6(to.address));
        if (bits.startsWith(this.opts.network)) {
          peer = this.table.lookup(bits.slice(this.opts.network.length));
        }
      } catch { /* not a peer address */ }
    }
    peer?.releaseHello0Slots();
    return peer !== undefined;
  }

  /**
   * Version broadcast to direct babel neighbours (spec §9.6): start a session with those we
   * have none with, send `00 ‖ version` to those known to have an older version.
   */
  broadcastVersion(neighbours: Iterable<Bits>, now: number): PeerAction[] {
    const out: PeerAction[] = [];
    for (const prefix of neighbours) {
      const peer = this.table.get(prefix);
      if (!peer || !peer.connected(now)) {
        this.sendTo(prefix, null, now, out);
      } else if (compareBytes(peer.version, this.ctx.version) < 0) {
        const msg = new Uint8Array(1 + this.ctx.version.length);
        msg.set(this.ctx.version, 1);
        this.sendTo(prefix, msg, now, out);
      }
    }
    return out;
  }

  /** Handles one datagram received from `address` (as the socket reports it) and `port`. */
  receive(address: string, port: number, packet: Uint8Array, now: number): PeerAction[] {
    const out: PeerAction[] = [];
    if (address.includes("%")) {
      log(out, "debug", `ignoring datagram from scoped address ${address}`, "packet");
      return out;
    }
    let bits: Bits;
    try {
      bits = bytesToBits(parseIPv6(address));
    } catch {
      log(out, "debug", `ignoring datagram from non-IPv6 source ${address}`, "packet");
      return out;
    }
    if (bits === LOOPBACK) {
      this.receiveLocal(address, port, packet, now, out);
      return out;
    }
    const network = this.opts.network;
    if (!bits.startsWith(network)) {
      log(out, "debug", `ignoring datagram from ${address}: outside the network`, "packet");
      return out;
    }
    if (packet.length < MIN_PACKET_LEN) {
      log(out, "debug", `ignoring ${packet.length}-byte datagram from ${address}`, "packet");
      return out;
    }
    const s = bits.slice(network.length);
    const src = { address, port };
    const entry = this.table.lookup(s);
    const seq = packetSeq(packet);
    const body = packet.subarray(4);
    if (seq === SEQ_HELLO0 || seq === SEQ_HELLO0_FINGERPRINT) {
      this.onHello0(s, entry, seq, body, src, now, out);
    } else if (seq === SEQ_HELLO) {
      this.onHello(entry, body, src, now, out);
    } else if (!entry) {
      log(out, "debug", `ignoring data from unknown peer at ${address}`, "packet");
    } else {
      this.onData(entry, seq, packet, src, now, out);
    }
    return out;
  }

  private sendTo(prefix: Bits, message: Uint8Array | null, now: number, out: PeerAction[]): void {
    if (prefix === this.opts.prefix) {
      log(out, "debug", "not sending a message to ourselves");
      return;
    }
    if (!isBits(prefix) || prefix === "" || this.opts.network.length + prefix.length > 128) {
      log(out, "warn", `not a node prefix of this network: ${JSON.stringify(prefix)}`);
      return;
    }
    let peer = this.table.get(prefix);
    if (!peer) {
      peer = new PeerSession(prefix, this.initialSecret);
      this.table.insert(peer);
      this.sendHello0(peer, { prefix }, now, out);
    } else if (peer.connected(now)) {
      if (message) {
        out.push({ type: "send", to: { prefix }, data: peer.seal(message) });
        if (message.length > 0) peer.noteSent(now);
      }
      return;
    } else {
      this.sendHello0(peer, { prefix }, now, out);
    }
    if (message) log(out, "debug", `${prefix}: no session yet, message dropped`);
  }

  /**
   * hello0 (seq 1 if we hold the peer's certificate, else seq 0), one per 60 s per peer.
   * Returns false when rate-limited.
   */
  private sendHello0(peer: PeerSession, to: SendTarget, now: number, out: PeerAction[]): boolean {
    if (!peer.takeHello0Slot(now)) {
      log(out, "trace", `${peer.prefix}: hello0 rate-limited`);
      return false;
    }
    const data = peer.cert
      ? encodeHello0Fingerprint(this.ourProtocol, sha1(peer.cert.der), this.opts.cert)
      : encodeHello0(this.opts.cert);
    out.push({ type: "send", to, data });
    return true;
  }

  private verify(hello: Hello0 | PacketError, now: number): VerifiedCert | string {
    if (hello instanceof PacketError) return hello.toString();
    const v = this.opts.verifyCert(hello.cert, now);
    return "error" in v ? v.error : v;
  }

  private onHello0(
    s: Bits,
    entry: PeerSession | undefined,
    seq: number,
    body: Uint8Array,
    src: { address: string; port: number },
    now: number,
    out: PeerAction[],
  ): void {
    let hello = seq === SEQ_HELLO0 ? decodeHello0(body) : decodeHello0Fingerprint(body, true);
    let verified = this.verify(hello, now);
    if (typeof verified === "string" && seq === SEQ_HELLO0_FINGERPRINT) {
      // Protocol-0 peers send seq 1 without the protocol integer (spec §9.3 fallback).
      const legacy = decodeHello0Fingerprint(body, false);
      const again = this.verify(legacy, now);
      if (typeof again !== "string" && !(legacy instanceof PacketError)) {
        hello = { ...legacy, protocol: 0 };
        verified = again;
      }
    }
    if (typeof verified === "string" || hello instanceof PacketError) {
      log(out, "info", `hello0 from ${src.address} ignored: ${verified}`, "handshake");
      return;
    }
    const v = verified;
    if (this.crl.has(v.serial)) {
      log(
        out,
        "info",
        `hello0 from ${src.address} ignored: certificate ${v.serial} revoked`,
        "handshake",
      );
      return;
    }
    if (v.prefix === this.opts.prefix) {
      log(
        out,
        "info",
        `hello0 from ${src.address} ignored: it carries our own certificate`,
        "handshake",
      );
      return;
    }
    if (!s.startsWith(v.prefix)) {
      log(
        out,
        "info",
        `hello0 from ${src.address} ignored: cert from wrong source (${v.prefix})`,
        "handshake",
      );
      return;
    }
    let peer = entry?.prefix === v.prefix ? entry : this.table.get(v.prefix);
    if (!peer) {
      peer = new PeerSession(v.prefix, this.initialSecret);
      this.table.insert(peer);
    }
    if (!peer.cert || !sameBytes(peer.cert.der, hello.cert)) {
      const der = hello.cert.slice();
      peer.cert = { der, publicKey: v.publicKey, serial: v.serial, notAfter: v.notAfter };
      this.expiry = null;
    }
    if (hello.protocol !== undefined) peer.protocol = hello.protocol;
    if (hello.fingerprint && sameBytes(hello.fingerprint, this.fingerprint)) {
      this.sendSessionKey(peer, src, now, out);
    } else if (!this.sendHello0(peer, src, now, out)) {
      this.answerHello0(peer, src, now, out);
    }
  }

  /**
   * Our hello0 slot is used but the peer's hello0 shows it lacks our current certificate (our
   * hello0 of this window was lost — e.g. sent before babel routed the peer — or crossed
   * this one). The reference stays silent here and the handshake stalls for 60 s; a session
   * key would not help either, as the peer cannot check its signature. So answer with our
   * hello0 carrying the peer's fingerprint (seq 1): the peer replies with a session key at
   * once (spec §9.3, fingerprint matched), as any re6stnet node does. Answers have their own
   * slot (one per 60 s per peer), so our own initiative stays at one hello0/1 per 60 s
   * (statement 42) and two nodes can never ping-pong hello0s.
   */
  private answerHello0(peer: PeerSession, to: SendTarget, now: number, out: PeerAction[]): void {
    if (!peer.cert || !peer.takeAnswerSlot(now)) {
      log(out, "trace", `${peer.prefix}: hello0 answer rate-limited`);
      return;
    }
    out.push({
      type: "send",
      to,
      data: encodeHello0Fingerprint(this.ourProtocol, sha1(peer.cert.der), this.opts.cert),
    });
    log(out, "debug", `${peer.prefix}: answered its hello0 with our certificate`);
  }

  /** Replies to a matching fingerprint with a hello (seq 2) carrying a fresh secret. */
  private sendSessionKey(
    peer: PeerSession,
    to: SendTarget,
    now: number,
    out: PeerAction[],
  ): void {
    const secret = timeSecret(now, this.opts.random);
    let data: Uint8Array;
    try {
      const e = rsaEncrypt(peer.cert!.publicKey, secret);
      const s = rsaSign(this.opts.key, e);
      data = encodeHello(peer.protocol === 0 ? null : this.ourProtocol, e, s);
    } catch (err) {
      log(out, "warn", `${peer.prefix}: cannot build session key: ${(err as Error).message}`);
      return;
    }
    peer.rekey(secret, false);
    out.push({ type: "send", to, data });
    peer.noteSent(now);
    log(out, "debug", `${peer.prefix}: session key sent`);
  }

  private onHello(
    entry: PeerSession | undefined,
    body: Uint8Array,
    src: { address: string; port: number },
    now: number,
    out: PeerAction[],
  ): void {
    if (!entry?.cert) {
      log(out, "debug", `hello from ${src.address} ignored: no certificate known for it`, "packet");
      return;
    }
    const hello = decodeHello(body, entry.protocol !== 0);
    if (hello instanceof PacketError) {
      log(out, "debug", `${entry.prefix}: hello ignored: ${hello}`, "handshake");
      return;
    }
    if (!rsaVerify(entry.cert.publicKey, hello.e, hello.s)) {
      log(out, "info", `${entry.prefix}: hello ignored: bad signature`, "handshake");
      return;
    }
    let key: Uint8Array;
    try {
      key = rsaDecrypt(this.opts.key, hello.e);
    } catch {
      log(
        out,
        "info",
        `${entry.prefix}: hello ignored: cannot decrypt the session key`,
        "handshake",
      );
      return;
    }
    if (key.length !== SECRET_LEN) {
      log(
        out,
        "info",
        `${entry.prefix}: hello ignored: session key of ${key.length} bytes`,
        "handshake",
      );
      return;
    }
    if (compareBytes(key, entry.secret) <= 0) {
      log(out, "debug", `${entry.prefix}: hello ignored: session key not newer than ours`);
      return;
    }
    entry.rekey(key, true);
    entry.lastSeen = now;
    entry.protocol = hello.protocol ?? 0;
    log(out, "debug", `${entry.prefix}: session established`);
    const msg = new Uint8Array(1 + this.ctx.version.length);
    msg[0] = CODE.VERSION;
    msg.set(this.ctx.version, 1);
    out.push({ type: "send", to: src, data: entry.seal(msg) });
    entry.noteSent(now);
  }

  private onData(
    entry: PeerSession,
    seq: number,
    packet: Uint8Array,
    src: { address: string; port: number },
    now: number,
    out: PeerAction[],
  ): void {
    const payload = entry.open(packet, seq);
    if (typeof payload === "string") {
      log(out, "debug", `${entry.prefix}: data dropped: ${payload}`, "packet");
      return;
    }
    entry.lastSeen = now;
    if (payload.length === 0) return;
    const code = payload[0];
    const data = payload.subarray(1);
    let answer: Uint8Array | null = null;
    if (code & FORWARDED && data.length > 0) {
      this.relayToRequester(entry.prefix, code & 0x7f, data, out);
    } else {
      answer = answerMessage(this.ctx, entry, code & 0x7f, data, out);
    }
    if (!entry.canSeal) {
      log(out, "debug", `${entry.prefix}: sequence numbers exhausted, not answering`);
      return;
    }
    let reply = EMPTY;
    if (answer) {
      reply = new Uint8Array(1 + answer.length);
      reply[0] = code;
      reply.set(answer, 1);
    }
    out.push({ type: "send", to: src, data: entry.seal(reply) });
    if (answer) entry.noteSent(now);
  }

  private relayToRequester(peer: Bits, code: number, data: Uint8Array, out: PeerAction[]): void {
    if (!this.requester) {
      log(out, "debug", `${peer}: forwarded answer with no local requester, dropped`);
      return;
    }
    out.push({ type: "send", to: this.requester, data: encodeLocalDatagram(peer, code, data) });
  }

  /** Datagram from `::1`: the registry asking us, or asking a peer through us (spec §9.7). */
  private receiveLocal(
    address: string,
    port: number,
    packet: Uint8Array,
    now: number,
    out: PeerAction[],
  ): void {
    const d = decodeLocalDatagram(packet);
    if (d instanceof PacketError) {
      log(out, "debug", `local datagram ignored: ${d}`, "packet");
      return;
    }
    const code = d.code & 0x7f;
    const requester = { address, port };
    if (d.prefix === this.opts.prefix) {
      const answer = answerMessage(this.ctx, null, code, d.data, out);
      if (answer) {
        out.push({
          type: "send",
          to: requester,
          data: encodeLocalDatagram(d.prefix, code, answer),
        });
      }
      return;
    }
    this.requester = requester;
    const msg = new Uint8Array(1 + d.data.length);
    msg[0] = code | FORWARDED;
    msg.set(d.data, 1);
    this.sendTo(d.prefix, msg, now, out);
  }
}

function log(out: PeerAction[], level: PeerLogLevel, msg: string, drop?: DropKind): void {
  out.push(drop ? { type: "log", level, msg, drop } : { type: "log", level, msg });
}
