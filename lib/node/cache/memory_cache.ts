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

interface Entry {
  address: string;
  failed: boolean;
}

/** A `PeerCache` that lives in memory only. */
export class MemoryPeerCache implements PeerCache {
  readonly #peers = new Map<Bits, Entry>();
  #myAddress: string | undefined;
  #config = new Map<string, ConfigValue>();

  /** `ownPrefix` is never returned by `getPeerList`. */
  constructor(private readonly ownPrefix: Bits, private readonly random: Random) {}

  addPeer(prefix: Bits, address: string, preferred = false): void {
    const e = this.#peers.get(prefix);
    if (e) {
      e.address = mergeAddresses(e.address, address, preferred);
      e.failed = false;
      return;
    }
    while (this.#peers.size >= CACHE_SIZE) this.#dropOne();
    this.#peers.set(prefix, { address, failed: false });
  }

  getAddress(prefix: Bits): string | undefined {
    const e = this.#peers.get(prefix);
    return e && !e.failed ? e.address : undefined;
  }

  getPeerList(failed = false): Array<[Bits, string]> {
    const out: Array<[Bits, string]> = [];
    for (const r of this.listPeers()) {
      if (r.failed === failed && r.prefix !== this.ownPrefix) out.push([r.prefix, r.address]);
    }
    return shuffle(this.random, out);
  }

  connecting(prefix: Bits, flag: boolean): void {
    const e = this.#peers.get(prefix);
    if (e) e.failed = flag;
  }

  resetConnecting(): void {
    for (const e of this.#peers.values()) e.failed = false;
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
      .map(([prefix, e]) => ({ prefix, address: e.address, failed: e.failed }))
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
    let failed = 0;
    for (const e of this.#peers.values()) if (e.failed) failed++;
    let k = randomInt(this.random, failed > 0 ? failed : this.#peers.size);
    for (const [prefix, e] of this.#peers) {
      if (failed > 0 && !e.failed) continue;
      if (k-- === 0) {
        this.#peers.delete(prefix);
        return;
      }
    }
  }

  #trim(n: number): void {
    const keep = peersToKeep(this.listPeers(), n, this.random);
    for (const prefix of [...this.#peers.keys()]) if (!keep.has(prefix)) this.#peers.delete(prefix);
  }
}
