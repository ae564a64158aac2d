/**
 * The registry's link to its own node (spec §9.7): datagrams `<target bits> 0x00 <code> [data]`
 * sent over UDP to the node's port 326 on `::1`, answered as `<peer bits> 0x00 <code> <answer>`.
 * Each exchange uses its own ephemeral socket, so concurrent RPCs never see each other's
 * answers; answers that are malformed, for another prefix or with another code are dropped.
 */
import dgram from "node:dgram";
import { type Bits, cnToBits, isBits } from "../wire/prefix.ts";
import { logger } from "../log.ts";

const log = logger("registry");

/** Codes the registry sends to its node (spec §9.5). */
export const Code = { VERSION: 0, ADDRESS: 1, VERSIONS: 4, TOPOLOGY: 5 } as const;

/** How long the registry waits for its node (spec §3.5, §3.6). */
export const LOCAL_TIMEOUT_MS = 3000;

/** How often an unanswered address query (code 1) is sent again within its 3 s window. */
export const ADDRESS_RESEND_MS = 500;

/**
 * When (ms after the first send, which is at 0) an address query is sent, within a `timeoutMs`
 * window, every `resendMs`: [0, 500, 1000, 1500, 2000, 2500] for 3000 and 500. A non-positive
 * `resendMs` sends once.
 */
export function requestTimes(timeoutMs: number, resendMs: number): number[] {
  const out = [0];
  if (resendMs <= 0) return out;
  for (let t = resendMs; t < timeoutMs; t += resendMs) out.push(t);
  return out;
}

/**
 * How many times the topology crawl asks a node that does not answer. The local node drops a
 * forwarded request when it has no session with the target yet (spec §9.3: it sends a hello0
 * instead), so the first ask often only starts the handshake; the next one finds the session.
 */
export const TOPOLOGY_ASKS = 3;

/** Encodes a request to `target` (through the local node). */
export function encodeLocalRequest(
  target: Bits,
  code: number,
  data = new Uint8Array(),
): Uint8Array {
  const head = new TextEncoder().encode(target);
  const out = new Uint8Array(head.length + 2 + data.length);
  out.set(head);
  out[head.length] = 0;
  out[head.length + 1] = code;
  out.set(data, head.length + 2);
  return out;
}

/** A decoded answer: which node answered, and its text. */
export interface LocalAnswer {
  prefix: Bits;
  text: string;
}

/**
 * Decodes an answer, or undefined if it has no 0x00 separator, a prefix that is not a bit
 * string, another code than `expected`, or text that is not UTF-8.
 */
export function decodeLocalAnswer(msg: Uint8Array, expected: number): LocalAnswer | undefined {
  const sep = msg.indexOf(0);
  if (sep < 0 || sep + 1 >= msg.length || msg[sep + 1] !== expected) return undefined;
  const prefix = new TextDecoder().decode(msg.subarray(0, sep));
  if (!isBits(prefix)) return undefined;
  try {
    const text = new TextDecoder("utf-8", { fatal: true }).decode(msg.subarray(sep + 2));
    return { prefix, text };
  } catch {
    return undefined;
  }
}

/** Where the node listens. */
export interface LocalNodeAddress {
  host: string;
  port: number;
}

/** One exchange with the local node over a dedicated socket. */
class Exchange {
  readonly #socket = dgram.createSocket({ type: "udp6", ipv6Only: false });
  readonly #queue: Uint8Array[] = [];
  #wake: (() => void) | undefined;
  /** resolves to false when no socket could be bound (e.g. IPv6 disabled) */
  #ready: Promise<boolean>;

  constructor(readonly node: LocalNodeAddress) {
    this.#socket.on("message", (msg: Uint8Array) => {
      this.#queue.push(new Uint8Array(msg));
      this.#wake?.();
    });
    this.#ready = new Promise((resolve) => {
      const fail = (e: Error) => {
        log.warn(`cannot open a UDP socket towards the local node: ${e.message}`);
        resolve(false);
      };
      this.#socket.once("error", fail);
      this.#socket.bind(0, "::", () => {
        this.#socket.off("error", fail);
        this.#socket.on("error", (e: Error) => log.debug(`local node socket: ${e.message}`));
        resolve(true);
      });
    });
  }

  /** False when no socket could be bound. */
  get ready(): Promise<boolean> {
    return this.#ready;
  }

  async send(msg: Uint8Array): Promise<void> {
    if (!await this.#ready) return;
    await new Promise<void>((resolve) =>
      this.#socket.send(msg, this.node.port, this.node.host, (e) => {
        if (e) log.debug(`cannot reach the local node: ${e.message}`);
        resolve();
      })
    );
  }

  /** Next datagram, or undefined after `ms` without one. */
  async receive(ms: number): Promise<Uint8Array | undefined> {
    if (this.#queue.length) return this.#queue.shift();
    if (ms <= 0 || !await this.#ready) return undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await new Promise<void>((resolve) => {
      this.#wake = resolve;
      timer = setTimeout(resolve, ms);
    });
    clearTimeout(timer);
    this.#wake = undefined;
    return this.#queue.shift();
  }

  close(): void {
    try {
      this.#socket.close();
    } catch { /* never bound */ }
  }
}

/** The registry's link to its node; `timeoutMs` bounds each wait for answers. */
export class LocalNode {
  constructor(
    readonly address: LocalNodeAddress = { host: "::1", port: 326 },
    readonly timeoutMs = LOCAL_TIMEOUT_MS,
    readonly resendMs = ADDRESS_RESEND_MS,
  ) {}

  async #with<T>(fn: (x: Exchange) => Promise<T>): Promise<T> {
    const x = new Exchange(this.address);
    try {
      return await fn(x);
    } finally {
      x.close();
    }
  }

  /** Tells the node that new network parameters are available (code 0, empty, to itself). */
  notifyNewVersion(self: Bits): Promise<void> {
    return this.#with((x) => x.send(encodeLocalRequest(self, Code.VERSION)));
  }

  /**
   * Asks `target` for its address string; undefined if nothing matching comes within 3 s. The
   * request is repeated every `resendMs` within that window (`requestTimes`): a node that is
   * still starting (its UDP 326 socket not bound yet) drops the first one unheard, and a node
   * that has no session with the target drops it while it sets one up (spec §9.3).
   */
  queryAddress(target: Bits): Promise<string | undefined> {
    return this.#with(async (x) => {
      if (!await x.ready) return undefined;
      const start = Date.now();
      const deadline = start + this.timeoutMs;
      const sends = requestTimes(this.timeoutMs, this.resendMs).map((t) => start + t);
      for (;;) {
        while (sends.length && sends[0] <= Date.now()) {
          sends.shift();
          await x.send(encodeLocalRequest(target, Code.ADDRESS));
        }
        const wake = Math.min(deadline, sends[0] ?? deadline);
        const msg = await x.receive(wake - Date.now());
        if (!msg) {
          if (Date.now() >= deadline) return undefined;
          continue;
        }
        const a = decodeLocalAnswer(msg, Code.ADDRESS);
        if (a && a.prefix === target) return a.text;
        log.debug(`dropping unrelated answer from the local node`);
      }
    });
  }

  /**
   * Asks every target for its software version (code 4); stops 3 s after the last datagram.
   * Targets that did not answer map to null.
   */
  versions(targets: Bits[]): Promise<Record<string, string | null>> {
    return this.#with(async (x) => {
      const out: Record<string, string | null> = {};
      for (const t of targets) {
        out[t] = null;
        await x.send(encodeLocalRequest(t, Code.VERSIONS));
      }
      for (;;) {
        const msg = await x.receive(this.timeoutMs);
        if (!msg) return out;
        const a = decodeLocalAnswer(msg, Code.VERSIONS);
        if (a && a.prefix in out) out[a.prefix] = a.text;
      }
    });
  }

  /**
   * Breadth-first topology crawl from `start` with code 5 (spec §3.6). When 3 s pass without an
   * answer, the nodes that did not answer yet are asked again (at most TOPOLOGY_ASKS times).
   */
  topology(start: Bits, toCn: (b: Bits) => string): Promise<Record<string, string[]>> {
    return this.#with(async (x) => {
      const crawl = new TopologyCrawl(start);
      for (;;) {
        for (const p of crawl.takePending()) await x.send(encodeLocalRequest(p, Code.TOPOLOGY));
        const msg = await x.receive(this.timeoutMs);
        if (!msg && crawl.retry(TOPOLOGY_ASKS) === 0) return crawl.graph(toCn);
        if (!msg) continue;
        const a = decodeLocalAnswer(msg, Code.TOPOLOGY);
        if (a) crawl.answer(a.prefix, a.text);
      }
    });
  }
}

/** The pure state of a topology crawl (spec §3.6). */
export class TopologyCrawl {
  readonly #seen = new Set<Bits>();
  readonly #pending: Bits[] = [];
  readonly #edges = new Map<Bits, Set<Bits>>();
  readonly #responders = new Set<Bits>();
  /** how many times each prefix was handed out by takePending */
  readonly #asks = new Map<Bits, number>();

  constructor(start: Bits) {
    this.#enqueue(start);
  }

  #enqueue(p: Bits): void {
    if (this.#seen.has(p)) return;
    this.#seen.add(p);
    this.#pending.push(p);
  }

  #edge(from: Bits, to: Bits): void {
    let s = this.#edges.get(from);
    if (!s) this.#edges.set(from, s = new Set());
    s.add(to);
  }

  /** Prefixes to query now. */
  takePending(): Bits[] {
    const out = this.#pending.splice(0);
    for (const p of out) this.#asks.set(p, (this.#asks.get(p) ?? 0) + 1);
    return out;
  }

  /**
   * Queues again every asked prefix that has not answered and was asked fewer than `maxAsks`
   * times; returns how many were queued (0: the crawl is over).
   */
  retry(maxAsks: number): number {
    for (const [p, n] of this.#asks) {
      if (n < maxAsks && !this.#responders.has(p) && !this.#pending.includes(p)) {
        this.#pending.push(p);
      }
    }
    return this.#pending.length;
  }

  /**
   * Takes node `from`'s answer `"<n> <cn>…"`: the first n are its client-tunnel peers, the
   * rest the peers it serves. Malformed answers and answers listing `from` itself are ignored.
   */
  answer(from: Bits, text: string): void {
    const [count, ...cns] = text.trim().split(/\s+/);
    if (!/^\d+$/.test(count ?? "") || Number(count) > cns.length) return;
    let peers: Bits[];
    try {
      peers = cns.map((cn) => cnToBits(cn));
    } catch {
      return;
    }
    if (peers.includes(from)) return;
    const n = Number(count);
    this.#responders.add(from);
    if (!this.#edges.has(from)) this.#edges.set(from, new Set());
    peers.forEach((p, i) => {
      if (i < n) this.#edge(from, p);
      else this.#edge(p, from);
      this.#enqueue(p);
    });
  }

  /** The graph as served by `topology`: CN → client-tunnel peers' CNs, `""` → responders. */
  graph(toCn: (b: Bits) => string): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const [from, to] of this.#edges) out[toCn(from)] = [...to].map(toCn);
    out[""] = [...this.#responders].map(toCn);
    return out;
  }
}
