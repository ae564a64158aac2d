/**
 * The simulator's tunnel graph: every tunnel is an edge (client → server) with a life cycle
 * (connecting, then established, then removed), and the established ones form an undirected
 * adjacency kept in typed arrays (`cap` slots per node) so that searches over 10⁵ nodes stay fast.
 *
 * Edge ids are recycled. `version` changes whenever the routed topology changes (an edge is
 * established, removed while established, drained or restored), so that derived data can be
 * cached per version.
 */

/** Server TAP name of every modelled node (one TCP OpenVPN server each). */
export const SERVER_IFNAME = "re6stnet-tcp";

const NONE = -1;

/** Tunnels between `n` nodes; see the module header. */
export class TunnelGraph {
  /** neighbour node of each adjacency slot (`node * cap + slot`) */
  adjNode: Int32Array;
  /** edge id of each adjacency slot */
  adjEdge: Int32Array;
  /** number of established tunnels of each node */
  readonly degree: Int32Array;
  /** number of established tunnels each node serves (for `max_clients`) */
  readonly served: Int32Array;
  /** number of established drained tunnels at each node (searches skip the check when 0) */
  readonly drainedAt: Int32Array;
  /** changes with every change of the established topology */
  version = 0;
  /** number of established edges */
  established = 0;

  /** client (tunnel initiator) of each edge, -1 for a free id */
  client = new Int32Array(0);
  /** server of each edge */
  server = new Int32Array(0);
  /** 1 if the client drained the edge (routes avoid it) */
  drained = new Uint8Array(0);
  /** 1 once established (OpenVPN up) */
  up = new Uint8Array(0);
  /** adjacency slot of the edge at its client / server end, while established */
  slotAtClient = new Int32Array(0);
  slotAtServer = new Int32Array(0);
  /** increasing stamp given when the edge is established (to tell edges newer than a snapshot) */
  upStamp = new Float64Array(0);
  /** client-side TAP of each edge, as an index into the TAP names seen so far (`tapId`) */
  tap = new Int32Array(0);
  readonly #tapIds = new Map<string, number>();
  readonly #tapNames: string[] = [];
  #nextStamp = 1;
  #free: number[] = [];
  #used = 0;

  /** `cap` = most established tunnels one node can have (client_count + max_clients). */
  constructor(readonly n: number, readonly cap: number) {
    this.adjNode = new Int32Array(n * cap);
    this.adjEdge = new Int32Array(n * cap);
    this.degree = new Int32Array(n);
    this.served = new Int32Array(n);
    this.drainedAt = new Int32Array(n);
    this.#grow(Math.max(16, n));
  }

  /** Number of edge ids ever allocated (an upper bound of any edge id + 1). */
  get edgeCapacity(): number {
    return this.client.length;
  }

  /** The stamp the next established edge will get. */
  get nextStamp(): number {
    return this.#nextStamp;
  }

  /** A new tunnel attempt from `client` to `server` on the client's TAP `ifname`. */
  open(client: number, server: number, ifname: string): number {
    let e = this.#free.pop();
    if (e === undefined) {
      if (this.#used === this.client.length) this.#grow(this.client.length * 2);
      e = this.#used++;
    }
    this.client[e] = client;
    this.server[e] = server;
    this.drained[e] = 0;
    this.up[e] = 0;
    let tap = this.#tapIds.get(ifname);
    if (tap === undefined) {
      this.#tapIds.set(ifname, tap = this.#tapNames.length);
      this.#tapNames.push(ifname);
    }
    this.tap[e] = tap;
    return e;
  }

  /** The tunnel is up: it joins the routed topology. Throws if a node has no free slot. */
  establish(e: number): void {
    if (this.up[e] || this.client[e] === NONE) return;
    const a = this.client[e], b = this.server[e];
    if (this.degree[a] >= this.cap || this.degree[b] >= this.cap) {
      throw new Error(`tunnel ${a}→${b}: more than ${this.cap} tunnels on one node`);
    }
    this.up[e] = 1;
    this.upStamp[e] = this.#nextStamp++;
    this.slotAtClient[e] = this.#attach(a, b, e);
    this.slotAtServer[e] = this.#attach(b, a, e);
    this.served[b]++;
    if (this.drained[e]) this.#countDrained(e, 1);
    this.established++;
    this.version++;
  }

  /** Forgets a tunnel (attempt failed, killed, or an end died). */
  remove(e: number): void {
    if (this.client[e] === NONE) return;
    if (this.up[e]) {
      this.#detach(this.client[e], this.slotAtClient[e]);
      this.#detach(this.server[e], this.slotAtServer[e]);
      this.served[this.server[e]]--;
      if (this.drained[e]) this.#countDrained(e, -1);
      this.established--;
      this.version++;
    }
    this.client[e] = NONE;
    this.up[e] = 0;
    this.#free.push(e);
  }

  /** Drains or restores a tunnel (routes avoid a drained tunnel while they have another way). */
  setDrained(e: number, drained: boolean): void {
    const v = drained ? 1 : 0;
    if (this.client[e] === NONE || this.drained[e] === v) return;
    this.drained[e] = v;
    if (this.up[e]) {
      this.#countDrained(e, drained ? 1 : -1);
      this.version++;
    }
  }

  #countDrained(e: number, delta: number): void {
    this.drainedAt[this.client[e]] += delta;
    this.drainedAt[this.server[e]] += delta;
  }

  /** True if `e` is a live edge id. */
  exists(e: number): boolean {
    return e >= 0 && e < this.client.length && this.client[e] !== NONE;
  }

  /** The other end of `e` seen from `node`. */
  other(e: number, node: number): number {
    return this.client[e] === node ? this.server[e] : this.client[e];
  }

  /** Interface name of `e` at `node`: its client TAP, or the server TAP. */
  ifnameAt(e: number, node: number): string {
    return this.client[e] === node ? this.#tapNames[this.tap[e]] : SERVER_IFNAME;
  }

  /**
   * The `tap` value of client TAP `ifname`, -1 if no tunnel ever used it (integers compare where
   * strings would be read char by char: most TAP names have the same length).
   */
  tapId(ifname: string): number {
    return this.#tapIds.get(ifname) ?? -1;
  }

  #attach(node: number, other: number, e: number): number {
    const slot = this.degree[node]++;
    this.adjNode[node * this.cap + slot] = other;
    this.adjEdge[node * this.cap + slot] = e;
    return slot;
  }

  /** Swap-removes slot `slot` of `node`, fixing the slot index of the edge moved into it. */
  #detach(node: number, slot: number): void {
    const base = node * this.cap;
    const last = --this.degree[node];
    if (slot !== last) {
      const moved = this.adjEdge[base + last];
      this.adjNode[base + slot] = this.adjNode[base + last];
      this.adjEdge[base + slot] = moved;
      if (this.client[moved] === node) this.slotAtClient[moved] = slot;
      else this.slotAtServer[moved] = slot;
    }
  }

  #grow(size: number): void {
    const grow = <T extends Int32Array | Uint8Array | Float64Array>(a: T, fill?: number): T => {
      const b = new (a.constructor as new (n: number) => T)(size);
      b.set(a);
      if (fill !== undefined) b.fill(fill, a.length);
      return b;
    };
    this.client = grow(this.client, NONE);
    this.server = grow(this.server);
    this.drained = grow(this.drained);
    this.up = grow(this.up);
    this.slotAtClient = grow(this.slotAtClient);
    this.slotAtServer = grow(this.slotAtServer);
    this.upStamp = grow(this.upStamp);
    this.tap = grow(this.tap);
  }
}
