/**
 * `PeerCache` stored in `<state>/cache.db` with node:sqlite (spec §8.1): tables `peer` and
 * `config`, `synchronous=OFF`, `journal_mode=MEMORY`, and the `try` flags in a `stat` table of an
 * attached in-memory database `volatile` (so a restart clears all blacklisting). An existing file
 * whose tables have another schema, or that is not a database at all, is renamed to
 * `cache.db.bak` and a fresh cache is created.
 */
import { DatabaseSync, type SQLInputValue } from "node:sqlite";
import { logger } from "../../log.ts";
import type { Bits } from "../../wire/prefix.ts";
import type { Random } from "../tunnel/random.ts";
import { shuffle } from "../tunnel/random.ts";
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

const log = logger("cache");

/** Expected columns: name, declared type, not null, primary key. */
const SCHEMA: Record<string, Array<[string, string, number, number]>> = {
  peer: [["prefix", "TEXT", 1, 1], ["address", "TEXT", 1, 0]],
  config: [["name", "TEXT", 1, 1], ["value", "", 0, 0]],
};

const CREATE = [
  "CREATE TABLE IF NOT EXISTS peer (prefix TEXT PRIMARY KEY NOT NULL, address TEXT NOT NULL)",
  "CREATE TABLE IF NOT EXISTS config (name TEXT PRIMARY KEY NOT NULL, value)",
];

function schemaMatches(db: DatabaseSync): boolean {
  for (const [table, columns] of Object.entries(SCHEMA)) {
    const info = db.prepare(`PRAGMA table_info(${table})`).all() as Array<
      { name: string; type: string; notnull: number; pk: number }
    >;
    if (info.length === 0) continue;
    const got = info.map((c) => [c.name, c.type.toUpperCase(), c.notnull, c.pk ? 1 : 0]);
    if (JSON.stringify(got) !== JSON.stringify(columns)) return false;
  }
  return true;
}

function openChecked(path: string): DatabaseSync {
  let db: DatabaseSync | undefined;
  try {
    db = new DatabaseSync(path);
    if (schemaMatches(db)) return db;
    log.warn(`${path} has another schema; moving it to ${path}.bak`);
  } catch (e) {
    log.warn(`${path} is unreadable (${(e as Error).message}); moving it to ${path}.bak`);
  }
  db?.close();
  Deno.renameSync(path, `${path}.bak`);
  return new DatabaseSync(path);
}

/** sqlite stores JS numbers as REAL; integers are bound as BigInt so they stay INTEGER. */
function bindable(v: ConfigValue): SQLInputValue {
  return typeof v === "number" && Number.isSafeInteger(v) ? BigInt(v) : v;
}

/** A `PeerCache` persisted in a sqlite file. */
export class SqlitePeerCache implements PeerCache {
  readonly #db: DatabaseSync;

  /** Opens (or creates) the cache at `path`; `ownPrefix` is never returned by `getPeerList`. */
  constructor(path: string, private readonly ownPrefix: Bits, private readonly random: Random) {
    const db = openChecked(path);
    db.exec("PRAGMA synchronous = OFF");
    db.exec("PRAGMA journal_mode = MEMORY");
    for (const sql of CREATE) db.exec(sql);
    db.exec("ATTACH DATABASE ':memory:' AS volatile");
    db.exec(
      "CREATE TABLE volatile.stat (peer TEXT PRIMARY KEY NOT NULL, try INTEGER NOT NULL DEFAULT 0)",
    );
    db.exec("CREATE INDEX volatile.stat_try ON stat(try)");
    db.exec("INSERT INTO volatile.stat (peer) SELECT prefix FROM peer WHERE prefix != ''");
    this.#db = db;
  }

  addPeer(prefix: Bits, address: string, preferred = false): void {
    const db = this.#db;
    const row = db.prepare("SELECT address FROM peer WHERE prefix = ?").get(prefix) as
      | { address: string }
      | undefined;
    if (row) {
      const merged = mergeAddresses(row.address, address, preferred);
      if (merged !== row.address) {
        db.prepare("UPDATE peer SET address = ? WHERE prefix = ?").run(merged, prefix);
      }
    } else {
      const count = db.prepare("SELECT count(*) AS n FROM peer WHERE prefix != ''").get() as {
        n: number;
      };
      if (count.n >= CACHE_SIZE) this.#trim(CACHE_SIZE - 1);
      db.prepare("INSERT INTO peer (prefix, address) VALUES (?, ?)").run(prefix, address);
    }
    db.prepare("INSERT OR REPLACE INTO volatile.stat (peer, try) VALUES (?, 0)").run(prefix);
  }

  getAddress(prefix: Bits): string | undefined {
    const row = this.#db.prepare(
      "SELECT address FROM peer JOIN volatile.stat ON prefix = peer WHERE prefix = ? AND try = 0",
    ).get(prefix) as { address: string } | undefined;
    return row?.address;
  }

  getPeerList(failed = false): Array<[Bits, string]> {
    const rows = this.#db.prepare(
      "SELECT prefix, address FROM peer JOIN volatile.stat ON prefix = peer " +
        "WHERE try = ? AND prefix != ? ORDER BY prefix",
    ).all(failed ? 1 : 0, this.ownPrefix) as Array<{ prefix: string; address: string }>;
    return shuffle(this.random, rows.map((r) => [r.prefix, r.address] as [Bits, string]));
  }

  connecting(prefix: Bits, flag: boolean): void {
    this.#db.prepare("UPDATE volatile.stat SET try = ? WHERE peer = ?").run(flag ? 1 : 0, prefix);
  }

  resetConnecting(): void {
    this.#db.exec("UPDATE volatile.stat SET try = 0");
  }

  getMyAddress(): string | undefined {
    const row = this.#db.prepare("SELECT address FROM peer WHERE prefix = ''").get() as
      | { address: string }
      | undefined;
    return row?.address;
  }

  setMyAddress(address: string): void {
    this.#db.prepare("INSERT OR REPLACE INTO peer (prefix, address) VALUES ('', ?)").run(address);
  }

  deleteMyAddress(): void {
    this.#db.exec("DELETE FROM peer WHERE prefix = ''");
  }

  cacheMinimize(n: number): void {
    this.#trim(n);
  }

  listPeers(): PeerRow[] {
    const rows = this.#db.prepare(
      "SELECT prefix, address, try FROM peer JOIN volatile.stat ON prefix = peer ORDER BY prefix",
    ).all() as Array<{ prefix: string; address: string; try: number }>;
    return rows.map((r) => ({ prefix: r.prefix, address: r.address, failed: r.try !== 0 }));
  }

  getConfig(name: string): unknown {
    return this.allConfig().get(name);
  }

  allConfig(): Map<string, unknown> {
    return new Map([...this.#rawConfig()].map(([n, v]) => decodeConfigRow(n, v)));
  }

  updateConfig(rows: ReadonlyMap<string, ConfigValue>): string[] {
    const before = this.#rawConfig();
    const changed = changedConfigNames(before, rows);
    if (changed.length === 0) return changed;
    const db = this.#db;
    db.exec("BEGIN");
    try {
      db.exec("DELETE FROM config");
      const insert = db.prepare("INSERT INTO config (name, value) VALUES (?, ?)");
      for (const [name, value] of rows) insert.run(name, bindable(value));
      db.exec("COMMIT");
    } catch (e) {
      db.exec("ROLLBACK");
      throw e;
    }
    return changed;
  }

  close(): void {
    this.#db.close();
  }

  #rawConfig(): Map<string, ConfigValue> {
    const rows = this.#db.prepare("SELECT name, value FROM config").all() as Array<
      { name: string; value: ConfigValue }
    >;
    return new Map(rows.map((r) => [r.name, r.value]));
  }

  #trim(n: number): void {
    const keep = peersToKeep(this.listPeers(), n, this.random);
    const del = this.#db.prepare("DELETE FROM peer WHERE prefix = ?");
    const delStat = this.#db.prepare("DELETE FROM volatile.stat WHERE peer = ?");
    for (const r of this.listPeers()) {
      if (keep.has(r.prefix)) continue;
      del.run(r.prefix);
      delStat.run(r.prefix);
    }
  }
}
