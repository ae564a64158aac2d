/** In-memory `PeerCache` (spec §8): used by the simulator and unit tests. */
import type { Random } from "../tunnel/random.ts";
import { randomInt, shuffle } from "../tunnel/random.ts";
import type { Bits } from "../../wire/prefix.ts";
import { mergeAddresses } from "./address_merge.ts";
import {
  CACHE_SIZE,
  changedConfigNames,
  type ConfigValue,
  decodeConfigRow,
  type PeerCache,
  type PeerRow,
  peersToKeep,
} from "./peer_cache.ts";

/**
 * A `PeerCache` that lives in memory only. Compact, as the simulator keeps one per virtual node:
 * a map prefix → address string (shared with the caller's string while unchanged) and the set of
 * blacklisted (`try = 1`) prefixes.
 */
export class MemoryPeerCache implements PeerCache {
  readonly #peers = new Map<Bits, string>();
  readonly #failed = new Set<Bits>();
  #myAddress: string | undefined;
  #config = new Map<string, ConfigValue>();

  /** `ownPrefix` is never returned by `getPeerList`. */
  constructor(private readonly ownPrefix: Bits, private readonly random: Random) {}

  addPeer(prefix: Bits, address: string, preferred = false): void {
    const old = this.#peers.get(prefix);
    if (old !== undefined) {
      const merged = mergeAddresses(old, address, preferred);
      if (merged !== old) this.#peers.set(prefix, merged);
      this.#failed.delete(prefix);
      return;
    }
    while (this.#peers.size >= CACHE_SIZE) this.#dropOne();
    this.#peers.set(prefix, address);
  }

  getAddress(prefix: Bits): string | undefined {
    return this.#failed.has(prefix) ? undefined : this.#peers.get(prefix);
  }

  getPeerList(failed = false): Array<[Bits, string]> {
    const out: Array<[Bits, string]> = [];
    for (const r of this.listPeers()) {
      if (r.failed === failed && r.prefix !== this.ownPrefix) out.push([r.prefix, r.address]);
    }
    return shuffle(this.random, out);
  }

  connecting(prefix: Bits, flag: boolean): void {
    if (!this.#peers.has(prefix)) return;
    if (flag) this.#failed.add(prefix);
    else this.#failed.delete(prefix);
  }

  resetConnecting(): void {
    this.#failed.clear();
  }

  getMyAddress(): string | undefined {
    return this.#myAddress;
  }

  setMyAddress(address: string): void {
    this.#myAddress = address;
  }

  deleteMyAddress(): void {
    this.#myAddress = undefined;
  }

  cacheMinimize(n: number): void {
    this.#trim(n);
  }

  listPeers(): PeerRow[] {
    return [...this.#peers.entries()]
      .map(([prefix, address]) => ({ prefix, address, failed: this.#failed.has(prefix) }))
      .sort((a, b) => (a.prefix < b.prefix ? -1 : a.prefix > b.prefix ? 1 : 0));
  }

  getConfig(name: string): unknown {
    return this.allConfig().get(name);
  }

  allConfig(): Map<string, unknown> {
    return new Map([...this.#config].map(([n, v]) => decodeConfigRow(n, v)));
  }

  updateConfig(rows: ReadonlyMap<string, ConfigValue>): string[] {
    const changed = changedConfigNames(this.#config, rows);
    this.#config = new Map(rows);
    return changed;
  }

  close(): void {}

  /** Trimming by one row (the common case) without sorting: a random failed peer, else any. */
  #dropOne(): void {
    const failed = this.#failed.size;
    let k = randomInt(this.random, failed > 0 ? failed : this.#peers.size);
    for (const prefix of this.#peers.keys()) {
      if (failed > 0 && !this.#failed.has(prefix)) continue;
      if (k-- === 0) {
        this.#peers.delete(prefix);
        this.#failed.delete(prefix);
        return;
      }
    }
  }

  #trim(n: number): void {
    const keep = peersToKeep(this.listPeers(), n, this.random);
    for (const prefix of [...this.#peers.keys()]) {
      if (!keep.has(prefix)) {
        this.#peers.delete(prefix);
        this.#failed.delete(prefix);
      }
    }
  }
}
