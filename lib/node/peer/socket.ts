/**
 * UDP adapter of the peer protocol (spec §9.1): a udp6 socket on `[::]:326` that feeds
 * received datagrams to the pure PeerProtocol machine with the real clock and executes the
 * actions it returns. Datagrams for a peer go to its subnet-router anycast address.
 */
import dgram from "node:dgram";
import { type Logger, logger } from "../../log.ts";
import { type Bits, subnetAnycast } from "../../wire/prefix.ts";
import type { DropKind, PeerAction, SendTarget } from "./actions.ts";
import type { PeerProtocol } from "./protocol.ts";

/** re6st's UDP port for node-to-node messages. */
export const PEER_PORT = 326;
/** Size of the receive buffer (spec §9.1). */
export const RECEIVE_BUFFER = 65536;
/** setTimeout's largest delay. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Where datagrams for a peer prefix are sent. */
export type PeerResolver = (prefix: Bits) => { address: string; port: number };

/** Options of `PeerSocket.open`. */
export interface PeerSocketOptions {
  /** The machine to drive. */
  machine: PeerProtocol;
  /** Local port (default 326). */
  port?: number;
  /** Local address (default `::`). */
  bindAddress?: string;
  /** Peer prefix → destination (default: anycast of network‖prefix, port `port`). */
  resolve?: PeerResolver;
  /** Code 1 address lists, codes 2/3, answers to our code 4/5 requests. */
  onMessage?: (peer: Bits, code: number, data: Uint8Array) => void;
  /** The network version changed: fetch parameters after `delayMs`. */
  onNewVersion?: (delayMs: number) => void;
  /** Counts dropped input (invalid datagrams, failed handshakes) for metrics. */
  onDrop?: (kind: DropKind) => void;
  /** Logger for drops and session events (default scope "peer"). */
  log?: Logger;
  /** Observer of every datagram handed to the socket (tracing, tests). */
  onSent?: (to: { address: string; port: number }, data: Uint8Array) => void;
  /** Wall clock in ms (default Date.now). */
  clock?: () => number;
}

/** A bound UDP socket driving a PeerProtocol. */
export class PeerSocket {
  private readonly resolveCache = new Map<Bits, { address: string; port: number }>();
  private readonly resolve: PeerResolver;
  private readonly log: Logger;
  private readonly clock: () => number;
  private expiryTimer: ReturnType<typeof setTimeout> | undefined;
  private armedFor = Infinity;
  private closed = false;

  private constructor(
    private readonly socket: dgram.Socket,
    private readonly opts: PeerSocketOptions,
    readonly port: number,
  ) {
    const network = opts.machine.network;
    this.resolve = opts.resolve ??
      ((prefix) => ({ address: subnetAnycast(network + prefix), port: this.port }));
    this.log = opts.log ?? logger("peer");
    this.clock = opts.clock ?? Date.now;
    socket.on("message", (msg: Uint8Array, rinfo: dgram.RemoteInfo) => {
      let actions: PeerAction[];
      try {
        actions = opts.machine.receive(rinfo.address, rinfo.port, msg, this.clock());
      } catch (err) {
        // The machine never throws on bad input; a daemon callback may. Keep serving.
        this.log.error(`datagram from [${rinfo.address}]:${rinfo.port}: ${(err as Error).stack}`);
        return;
      }
      this.apply(actions);
    });
    socket.on("error", (err: Error) => this.log.warn(`socket error: ${err.message}`));
  }

  /** Binds the socket; resolves once it is ready. */
  static open(opts: PeerSocketOptions): Promise<PeerSocket> {
    return new Promise((resolve, reject) => {
      const socket = dgram.createSocket({ type: "udp6", recvBufferSize: RECEIVE_BUFFER });
      const port = opts.port ?? PEER_PORT, address = opts.bindAddress ?? "::";
      const fail = (err: Error) => {
        if ((err as NodeJS.ErrnoException).code !== "EADDRINUSE") return reject(err);
        reject(
          new Error(
            `UDP port ${port} on [${address}] is in use: is another re6st node running on this ` +
              "host? (one node per host, spec §1.1)",
          ),
        );
      };
      socket.once("error", fail);
      socket.bind(port, address, () => {
        socket.off("error", fail);
        resolve(new PeerSocket(socket, opts, socket.address().port));
      });
    });
  }

  /** The driven machine. */
  get machine(): PeerProtocol {
    return this.opts.machine;
  }

  /** Sends `code ‖ data`-style message (null: only make sure a session exists). */
  send(prefix: Bits, message: Uint8Array | null): void {
    this.apply(this.opts.machine.send(prefix, message, this.clock()));
  }

  /** Sends `code ‖ data` to `prefix`. */
  sendMessage(prefix: Bits, code: number, data: Uint8Array = new Uint8Array(0)): void {
    this.apply(this.opts.machine.sendMessage(prefix, code, data, this.clock()));
  }

  /** Pushes our version to babel neighbours (spec §9.6); see PeerProtocol.broadcastVersion. */
  broadcastVersion(neighbours: Iterable<Bits>): void {
    this.apply(this.opts.machine.broadcastVersion(neighbours, this.clock()));
  }

  /** Installs a new CRL, dropping sessions with revoked peers. */
  setCrl(serials: Iterable<bigint>): void {
    this.apply(this.opts.machine.setCrl(serials));
  }

  /** Executes actions returned by any other machine call. */
  apply(actions: PeerAction[]): void {
    for (const a of actions) {
      switch (a.type) {
        case "send":
          this.transmit(a.to, a.data);
          break;
        case "message":
          this.opts.onMessage?.(a.peer, a.code, a.data);
          break;
        case "newVersion":
          this.opts.onNewVersion?.(a.delayMs);
          break;
        case "log":
          this.log[a.level](a.msg);
          if (a.drop) this.opts.onDrop?.(a.drop);
          break;
      }
    }
    this.armExpiry();
  }

  private transmit(to: SendTarget, data: Uint8Array): void {
    if (this.closed) return;
    let dest: { address: string; port: number };
    if ("prefix" in to) {
      let cached = this.resolveCache.get(to.prefix);
      if (!cached) {
        try {
          cached = this.resolve(to.prefix);
        } catch (err) {
          this.log.warn(`no address for peer ${to.prefix}: ${(err as Error).message}`);
          return;
        }
        this.resolveCache.set(to.prefix, cached);
      }
      dest = cached;
    } else dest = to;
    this.opts.onSent?.(dest, data);
    const failed = (err: Error) => {
      this.log.debug(`send to [${dest.address}]:${dest.port} failed: ${err.message}`);
      if (this.opts.machine.sendFailed(to, data)) {
        this.log.debug(`hello0 to [${dest.address}] not sent, the next one may go at once`);
      }
    };
    try {
      this.socket.send(data, dest.port, dest.address, (err) => {
        if (err) failed(err);
      });
    } catch (err) {
      failed(err as Error);
    }
  }

  /** Keeps one timer at the earliest certificate expiry of known peers. */
  private armExpiry(): void {
    const at = this.opts.machine.nextExpiry();
    if (at === this.armedFor || this.closed) return;
    if (this.expiryTimer !== undefined) clearTimeout(this.expiryTimer);
    this.expiryTimer = undefined;
    this.armedFor = at;
    if (at === Infinity) return;
    const delay = Math.min(Math.max(at - this.clock(), 0), MAX_TIMER_MS);
    this.expiryTimer = setTimeout(() => {
      this.expiryTimer = undefined;
      this.armedFor = Infinity;
      this.apply(this.opts.machine.expire(this.clock()));
    }, delay);
  }

  /** Closes the socket and stops the expiry timer. */
  close(): Promise<void> {
    this.closed = true;
    if (this.expiryTimer !== undefined) clearTimeout(this.expiryTimer);
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}
