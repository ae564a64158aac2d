/**
 * The registry database (spec §5.1, §6, §4.6, §7): `node:sqlite` in WAL mode, one
 * `BEGIN IMMEDIATE … COMMIT` transaction per mutation, rolled back on any error, so that a
 * kill -9 at any point leaves either the old or the new state.
 *
 * Logical tables are the spec's: `token`, `cert`, `crl`, `config`. The `cert` table carries
 * three columns derived from the stored PEM (`serial`, `subject_serial`, `not_after`) so that
 * the subject-serial search, revocation by serial and the purge need no certificate parsing.
 */
import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite";
import type { Bits } from "../wire/prefix.ts";

/** A `token` row. `date` is seconds since the epoch. */
export interface TokenRow {
  token: string;
  email: string;
  prefixLen: number;
  date: number;
}

/** An allocated `cert` row (PEM stored). */
export interface CertRow {
  prefix: Bits;
  email: string | null;
  cert: string;
  serial: bigint;
  subjectSerial: number;
  notAfter: number;
}

/** What `cert` holds for a block: free (NULL), permanently `reserved`, or a PEM certificate. */
export const RESERVED = "reserved";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS token (
  token TEXT PRIMARY KEY NOT NULL, email TEXT NOT NULL,
  prefix_len INTEGER NOT NULL, date INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS cert (
  prefix TEXT PRIMARY KEY NOT NULL, email TEXT, cert TEXT,
  serial TEXT, subject_serial INTEGER, not_after INTEGER);
CREATE INDEX IF NOT EXISTS cert_free ON cert(length(prefix)) WHERE cert IS NULL;
CREATE INDEX IF NOT EXISTS cert_email ON cert(email);
CREATE UNIQUE INDEX IF NOT EXISTS cert_subject_serial ON cert(subject_serial);
CREATE INDEX IF NOT EXISTS cert_serial ON cert(serial);
CREATE INDEX IF NOT EXISTS cert_not_after ON cert(not_after);
CREATE INDEX IF NOT EXISTS token_date ON token(date);
CREATE TABLE IF NOT EXISTS crl (serial TEXT PRIMARY KEY NOT NULL, date INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS config (name TEXT PRIMARY KEY NOT NULL, value);
INSERT INTO cert (prefix) SELECT '' WHERE NOT EXISTS (SELECT 1 FROM cert);
`;

type Row = Record<string, SQLInputValue>;

function toCertRow(r: Row): CertRow {
  return {
    prefix: r.prefix as string,
    email: (r.email as string | null) ?? null,
    cert: r.cert as string,
    serial: BigInt(r.serial as string),
    subjectSerial: Number(r.subject_serial),
    notAfter: Number(r.not_after),
  };
}

/** The registry database. Every mutating method runs inside the caller's `transaction`. */
export class RegistryDb {
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();
  #depth = 0;

  /** Opens (creating if missing) the database at `path` (`:memory:` for tests). */
  constructor(path: string) {
    this.#db = new DatabaseSync(path);
    this.#db.exec(
      "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000",
    );
    this.transaction(() => this.#db.exec(SCHEMA));
  }

  /** Closes the database. */
  close(): void {
    this.#db.close();
  }

  /**
   * Runs `fn` inside `BEGIN IMMEDIATE … COMMIT`; any exception rolls everything back and is
   * rethrown. Nested calls join the outer transaction. `fn` must be synchronous.
   */
  transaction<T>(fn: () => T): T {
    if (this.#depth > 0) {
      this.#depth++;
      try {
        return fn();
      } finally {
        this.#depth--;
      }
    }
    this.#db.exec("BEGIN IMMEDIATE");
    this.#depth = 1;
    try {
      const result = fn();
      if (result instanceof Promise) throw new Error("transaction bodies must be synchronous");
      this.#db.exec("COMMIT");
      return result;
    } catch (e) {
      this.#db.exec("ROLLBACK");
      throw e;
    } finally {
      this.#depth = 0;
    }
  }

  /** Prepared statements are cached: preparing per call costs native memory until GC. */
  #prepare(sql: string): StatementSync {
    let st = this.#statements.get(sql);
    if (!st) this.#statements.set(sql, st = this.#db.prepare(sql));
    return st;
  }

  #all(sql: string, ...params: SQLInputValue[]): Row[] {
    return this.#prepare(sql).all(...params) as Row[];
  }

  #get(sql: string, ...params: SQLInputValue[]): Row | undefined {
    return this.#prepare(sql).get(...params) as Row | undefined;
  }

  #run(sql: string, ...params: SQLInputValue[]): number {
    return Number(this.#prepare(sql).run(...params).changes);
  }

  // ---- config -------------------------------------------------------------------------

  /** A `config` value as stored (text, integer or bytes), or undefined when absent. */
  getConfig(name: string): string | number | Uint8Array | undefined {
    const r = this.#get("SELECT value FROM config WHERE name = ?", name);
    if (!r) return undefined;
    const v = r.value;
    return typeof v === "bigint" ? Number(v) : (v as string | number | Uint8Array);
  }

  /** Sets a `config` value. */
  setConfig(name: string, value: string | number | Uint8Array): void {
    this.#run("INSERT OR REPLACE INTO config (name, value) VALUES (?, ?)", name, value);
  }

  /** Deletes a `config` value. */
  deleteConfig(name: string): void {
    this.#run("DELETE FROM config WHERE name = ?", name);
  }

  // ---- tokens -------------------------------------------------------------------------

  /** The token row, if any. */
  getToken(token: string): TokenRow | undefined {
    const r = this.#get("SELECT * FROM token WHERE token = ?", token);
    return r && {
      token: r.token as string,
      email: r.email as string,
      prefixLen: Number(r.prefix_len),
      date: Number(r.date),
    };
  }

  /** Inserts a token; false if it already exists. */
  insertToken(t: TokenRow): boolean {
    return this.#run(
      "INSERT OR IGNORE INTO token (token, email, prefix_len, date) VALUES (?, ?, ?, ?)",
      t.token,
      t.email,
      t.prefixLen,
      t.date,
    ) === 1;
  }

  /** Deletes a token; true if it existed. */
  deleteToken(token: string): boolean {
    return this.#run("DELETE FROM token WHERE token = ?", token) === 1;
  }

  /** Deletes tokens created before `date`; returns how many. */
  purgeTokens(before: number): number {
    return this.#run("DELETE FROM token WHERE date < ?", before);
  }

  /** Every token, oldest first. */
  allTokens(): TokenRow[] {
    return this.#all("SELECT * FROM token ORDER BY date, token").map((r) => ({
      token: r.token as string,
      email: r.email as string,
      prefixLen: Number(r.prefix_len),
      date: Number(r.date),
    }));
  }

  /** How many tokens exist. */
  countTokens(): number {
    return Number(this.#get("SELECT count(*) AS n FROM token")!.n);
  }

  /** Oldest token date, if any token exists. */
  oldestTokenDate(): number | undefined {
    const r = this.#get("SELECT min(date) AS d FROM token");
    return r?.d == null ? undefined : Number(r.d);
  }

  // ---- cert: prefix blocks (allocator view) -------------------------------------------

  /**
   * The longest free block starting with `community` and at most `maxLen` bits long; ties go
   * to the oldest row (smallest rowid), as in the reference's table scan order.
   */
  longestFreeBlock(community: Bits, maxLen: number): Bits | undefined {
    const r = this.#get(
      `SELECT prefix FROM cert WHERE cert IS NULL AND length(prefix) <= ?
        AND substr(prefix, 1, ?) = ? ORDER BY length(prefix) DESC, rowid LIMIT 1`,
      maxLen,
      community.length,
      community,
    );
    return r?.prefix as Bits | undefined;
  }

  /** The block whose prefix is a prefix of `bits` (unique in a partition), with its state. */
  blockContaining(bits: Bits): { prefix: Bits; cert: string | null } | undefined {
    const candidates = Array.from({ length: bits.length + 1 }, (_, i) => bits.slice(0, i));
    const r = this.#get(
      `SELECT prefix, cert FROM cert WHERE prefix IN (${candidates.map(() => "?").join(",")})`,
      ...candidates,
    );
    return r && { prefix: r.prefix as Bits, cert: (r.cert as string | null) ?? null };
  }

  /** Renames a block (keeping its row identity). */
  renameBlock(from: Bits, to: Bits): void {
    if (this.#run("UPDATE cert SET prefix = ? WHERE prefix = ?", to, from) !== 1) {
      throw new Error(`no block ${JSON.stringify(from)}`);
    }
  }

  /** Adds a free block. */
  insertFreeBlock(prefix: Bits): void {
    this.#run("INSERT INTO cert (prefix) VALUES (?)", prefix);
  }

  /** Marks a block permanently `reserved`. */
  reserveBlock(prefix: Bits): void {
    this.#run("UPDATE cert SET cert = ? WHERE prefix = ?", RESERVED, prefix);
  }

  /** Deletes a block row. */
  deleteBlock(prefix: Bits): void {
    this.#run("DELETE FROM cert WHERE prefix = ?", prefix);
  }

  /** All free blocks (for merging). */
  freeBlocks(): Bits[] {
    return this.#all("SELECT prefix FROM cert WHERE cert IS NULL").map((r) => r.prefix as Bits);
  }

  /** Every non-free block prefix (allocated or reserved). */
  usedBlocks(): Bits[] {
    return this.#all("SELECT prefix FROM cert WHERE cert IS NOT NULL").map((r) => r.prefix as Bits);
  }

  /** How many blocks are allocated (certificate), reserved and free. */
  countBlocks(): { allocated: number; reserved: number; free: number } {
    const r = this.#get(
      `SELECT count(*) FILTER (WHERE cert IS NULL) AS free,
        count(*) FILTER (WHERE cert = ?) AS reserved,
        count(*) FILTER (WHERE cert IS NOT NULL AND cert != ?) AS allocated FROM cert`,
      RESERVED,
      RESERVED,
    )!;
    return { allocated: Number(r.allocated), reserved: Number(r.reserved), free: Number(r.free) };
  }

  // ---- cert: certificates -------------------------------------------------------------

  /** Stores a certificate in an (already allocated) block. */
  storeCert(row: CertRow): void {
    const n = this.#run(
      `UPDATE cert SET email = ?, cert = ?, serial = ?, subject_serial = ?, not_after = ?
        WHERE prefix = ?`,
      row.email,
      row.cert,
      row.serial.toString(),
      row.subjectSerial,
      row.notAfter,
      row.prefix,
    );
    if (n !== 1) throw new Error(`no block ${JSON.stringify(row.prefix)}`);
  }

  /** The certificate stored for a prefix (undefined if free, reserved or unknown). */
  getCert(prefix: Bits): CertRow | undefined {
    const r = this.#get(
      "SELECT * FROM cert WHERE prefix = ? AND cert IS NOT NULL AND cert != ?",
      prefix,
      RESERVED,
    );
    return r && toCertRow(r);
  }

  /** The certificate with the given X.509 serial. */
  getCertBySerial(serial: bigint): CertRow | undefined {
    const r = this.#get("SELECT * FROM cert WHERE serial = ?", serial.toString());
    return r && toCertRow(r);
  }

  /** The first certificate registered with `email`. */
  getCertByEmail(email: string): CertRow | undefined {
    const r = this.#get(
      "SELECT * FROM cert WHERE email = ? AND cert IS NOT NULL AND cert != ? ORDER BY rowid",
      email,
      RESERVED,
    );
    return r && toCertRow(r);
  }

  /** Every stored certificate. */
  allCerts(): CertRow[] {
    return this.#all("SELECT * FROM cert WHERE cert IS NOT NULL AND cert != ?", RESERVED)
      .map(toCertRow);
  }

  /** Frees a block: certificate and e-mail become NULL. */
  freeBlock(prefix: Bits): void {
    this.#run(
      `UPDATE cert SET email = NULL, cert = NULL, serial = NULL, subject_serial = NULL,
        not_after = NULL WHERE prefix = ?`,
      prefix,
    );
  }

  /** Smallest non-negative subject serial not used by a stored certificate (spec §4.2). */
  smallestFreeSubjectSerial(): number {
    const zero = this.#get("SELECT 1 AS x FROM cert WHERE subject_serial = 0");
    if (!zero) return 0;
    const r = this.#get(
      `SELECT min(a.subject_serial) + 1 AS s FROM cert a WHERE a.subject_serial IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM cert b WHERE b.subject_serial = a.subject_serial + 1)`,
    );
    return Number(r!.s);
  }

  /** Certificates whose notAfter is before `date`. */
  certsExpiredBefore(date: number): CertRow[] {
    return this.#all(
      "SELECT * FROM cert WHERE not_after < ? AND cert IS NOT NULL AND cert != ?",
      date,
      RESERVED,
    ).map(toCertRow);
  }

  /** Earliest notAfter of the stored certificates. */
  earliestNotAfter(): number | undefined {
    const r = this.#get("SELECT min(not_after) AS d FROM cert WHERE not_after IS NOT NULL");
    return r?.d == null ? undefined : Number(r.d);
  }

  // ---- crl ----------------------------------------------------------------------------

  /** Adds a revoked serial with the certificate's notAfter. */
  insertCrl(serial: bigint, date: number): void {
    this.#run("INSERT OR REPLACE INTO crl (serial, date) VALUES (?, ?)", serial.toString(), date);
  }

  /** True if the serial is revoked. */
  isRevoked(serial: bigint): boolean {
    return this.#get("SELECT 1 AS x FROM crl WHERE serial = ?", serial.toString()) !== undefined;
  }

  /** Every revoked serial, ascending. */
  crlSerials(): bigint[] {
    return this.#all("SELECT serial FROM crl").map((r) => BigInt(r.serial as string))
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }
}
