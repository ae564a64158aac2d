/**
 * Per node: its client OpenVPN ids (the core's `openTunnel` ids) and the graph edge of each, in
 * the order they were added — what a `Map<id, edge>` per node gave, in two flat typed arrays (a
 * node rarely has more than client_count attempts at once; rows grow for all when one needs more).
 */
export class ClientEdges {
  #width: number;
  #ids: Int32Array;
  #edges: Int32Array;
  readonly #count: Int32Array;

  constructor(readonly n: number, width: number) {
    this.#width = Math.max(1, width);
    this.#ids = new Int32Array(n * this.#width);
    this.#edges = new Int32Array(n * this.#width);
    this.#count = new Int32Array(n);
  }

  /** Number of client ids of `node`. */
  size(node: number): number {
    return this.#count[node];
  }

  /** The x-th edge of `node`, in insertion order (x < size). */
  edgeAt(node: number, x: number): number {
    return this.#edges[node * this.#width + x];
  }

  /** Edge of client id `id` of `node`, or -1. */
  get(node: number, id: number): number {
    const x = this.#find(node, id);
    return x < 0 ? -1 : this.#edges[node * this.#width + x];
  }

  /** Sets the edge of client id `id` of `node` (a new id goes last). */
  set(node: number, id: number, e: number): void {
    const x = this.#find(node, id);
    if (x >= 0) {
      this.#edges[node * this.#width + x] = e;
      return;
    }
    if (this.#count[node] === this.#width) this.#grow();
    const at = node * this.#width + this.#count[node]++;
    this.#ids[at] = id;
    this.#edges[at] = e;
  }

  /** Forgets client id `id` of `node`; true if it was there. */
  delete(node: number, id: number): boolean {
    const x = this.#find(node, id);
    if (x < 0) return false;
    const base = node * this.#width, last = base + --this.#count[node];
    this.#ids.copyWithin(base + x, base + x + 1, last + 1);
    this.#edges.copyWithin(base + x, base + x + 1, last + 1);
    return true;
  }

  /** Forgets every client id of `node`. */
  clear(node: number): void {
    this.#count[node] = 0;
  }

  #find(node: number, id: number): number {
    const base = node * this.#width, ids = this.#ids;
    for (let x = 0; x < this.#count[node]; x++) if (ids[base + x] === id) return x;
    return -1;
  }

  #grow(): void {
    const old = this.#width, width = 2 * old;
    const ids = new Int32Array(this.n * width), edges = new Int32Array(this.n * width);
    for (let i = 0; i < this.n; i++) {
      ids.set(this.#ids.subarray(i * old, i * old + this.#count[i]), i * width);
      edges.set(this.#edges.subarray(i * old, i * old + this.#count[i]), i * width);
    }
    this.#width = width;
    this.#ids = ids;
    this.#edges = edges;
  }
}
