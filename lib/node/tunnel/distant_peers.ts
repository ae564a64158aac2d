/**
 * Candidate peers for new tunnels (spec §10.3 `distant_peers`): every node prefix babel routes,
 * minus our own, our direct babel neighbours and our LAN neighbours, with `--neighbour` peers first and the rest in
 * random order.
 *
 * Drawn lazily so that a node only pays for the few candidates it consumes: with the routed list
 * shared between thousands of simulated nodes, building and shuffling it per node would dominate
 * the simulation. Random picks are rejected when excluded or already taken; after a few misses in
 * a row the remaining candidates are listed and shuffled once.
 */
import type { RoutingView } from "../babel/view.ts";
import type { Bits } from "../../wire/prefix.ts";
import { type Random, randomInt, shuffle } from "./random.ts";

const MAX_MISSES = 16;

/** A lazily shuffled candidate list, consumed with `next()`. */
export class DistantPeers {
  readonly #routed: readonly Bits[];
  readonly #direct: Set<Bits>;
  readonly #persistent: Bits[];
  readonly #isPersistent: ReadonlySet<Bits>;
  readonly #taken = new Set<Bits>();
  readonly #random: Random;
  #excluded: number;
  #rest: Bits[] | undefined;

  constructor(view: RoutingView, self: Bits, persistent: ReadonlySet<Bits>, random: Random) {
    this.#routed = view.routed;
    this.#random = random;
    this.#direct = new Set(view.neighbourPrefixes());
    for (const lan of view.lanNeighbours()) this.#direct.add(lan);
    this.#direct.add(self);
    this.#excluded = 0;
    for (const p of this.#direct) if (view.hasRoute(p)) this.#excluded++;
    this.#isPersistent = persistent;
    this.#persistent = persistent.size === 0 ? [] : shuffle(
      random,
      [...persistent].filter((p) => view.hasRoute(p) && !this.#direct.has(p)),
    );
  }

  /** Number of candidates not consumed yet. */
  get remaining(): number {
    return this.#routed.length - this.#excluded - this.#taken.size;
  }

  /** The next candidate, or undefined when exhausted. */
  next(): Bits | undefined {
    if (this.remaining <= 0) return undefined;
    const p = this.#persistent.pop() ?? this.#draw();
    if (p !== undefined) this.#taken.add(p);
    return p;
  }

  #draw(): Bits | undefined {
    if (!this.#rest) {
      for (let miss = 0; miss < MAX_MISSES; miss++) {
        const p = this.#routed[randomInt(this.#random, this.#routed.length)];
        if (!this.#direct.has(p) && !this.#taken.has(p) && !this.#isPersistent.has(p)) return p;
      }
      this.#rest = shuffle(
        this.#random,
        this.#routed.filter((p) =>
          !this.#direct.has(p) && !this.#taken.has(p) && !this.#isPersistent.has(p)
        ),
      );
    }
    return this.#rest.pop();
  }
}
