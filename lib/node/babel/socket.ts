/**
 * Client of stock babeld's read-write local socket (`-G path`). Text protocol: on connect
 * babeld greets with `BABEL 1.0`, informational lines (`version …`, `host …`, `my-id …`) and
 * `ok`; then each request line gets data lines ended by `ok`, `no [message]` or `bad [message]`.
 * One request is in flight at a time; dump requests made while one is waiting are coalesced.
 * When the connection breaks (babeld restarted), the next request reconnects.
 */
import { logger } from "../../log.ts";
import { type BabelInterfaceOptions, babelInterfaceStatement } from "./args.ts";
import { parseDump } from "./dump_parser.ts";
import type { BabelDump } from "./types.ts";

const log = logger("babel");

/** How a request ended. */
export type BabelStatus = "ok" | "no" | "bad";

/** babeld's answer to one request. */
export interface BabelReply {
  status: BabelStatus;
  /** data lines before the status line */
  lines: string[];
  /** text after `no`/`bad`, if any */
  message: string;
}

/** What the greeting told us. */
export interface BabelGreeting {
  /** e.g. `1.0` */
  protocol: string;
  /** e.g. `babeld-1.12.1` */
  version?: string;
  /** router id */
  myId?: string;
}

/** A request babeld refused (`no`/`bad`) or a broken connection. */
export class BabelSocketError extends Error {}

/** Options of `BabelSocket`. */
export interface BabelSocketOptions {
  /** bound on connecting plus reading the greeting (default 5000 ms) */
  connectTimeoutMs?: number;
  /** bound on one request's reply (default 5000 ms) */
  replyTimeoutMs?: number;
  /**
   * options of the running babeld's `default` statement (`babelInterfaceDefaults`), repeated in
   * every interface declared at run time (default none)
   */
  interfaceDefaults?: string;
}

/** Splits a byte stream into lines. */
class LineReader {
  private buf = "";
  private dec = new TextDecoder();
  private reader: ReadableStreamDefaultReader<Uint8Array>;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.reader = stream.getReader();
  }

  /** Next line (without `\n`); throws at end of stream. */
  async next(): Promise<string> {
    for (;;) {
      const nl = this.buf.indexOf("\n");
      if (nl >= 0) {
        const line = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 1);
        return line;
      }
      const { value, done } = await this.reader.read();
      if (done) throw new BabelSocketError("babeld closed the local socket");
      this.buf += this.dec.decode(value, { stream: true });
    }
  }

  cancel(): void {
    this.reader.cancel().catch(() => {});
  }
}

interface Connection {
  conn: Deno.UnixConn;
  lines: LineReader;
  greeting: BabelGreeting;
}

async function bounded<T>(
  p: Promise<T>,
  ms: number,
  what: string,
  onTimeout: () => void,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout();
      reject(new BabelSocketError(`${what}: no answer within ${ms} ms`));
    }, ms);
  });
  try {
    return await Promise.race([p, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** Client of one babeld read-write socket. */
export class BabelSocket {
  readonly path: string;
  private opts: Required<BabelSocketOptions>;
  private current?: Connection;
  private queue: Promise<unknown> = Promise.resolve();
  private pendingDump?: Promise<BabelDump>;

  constructor(path: string, opts: BabelSocketOptions = {}) {
    this.path = path;
    this.opts = {
      connectTimeoutMs: opts.connectTimeoutMs ?? 5000,
      replyTimeoutMs: opts.replyTimeoutMs ?? 5000,
      interfaceDefaults: opts.interfaceDefaults ?? "",
    };
  }

  /** Connects (if not connected) and returns babeld's greeting. */
  connect(): Promise<BabelGreeting> {
    return this.serial(async () => (await this.connection()).greeting);
  }

  /** Sends one request line and returns the reply, whatever its status. */
  request(line: string): Promise<BabelReply> {
    if (/[\r\n]/.test(line)) {
      return Promise.reject(new BabelSocketError("a request must be a single line"));
    }
    return this.serial(() => this.exchange(line));
  }

  /** Sends a configuration request and throws unless babeld answers `ok`. */
  async configure(line: string): Promise<void> {
    const r = await this.request(line);
    if (r.status !== "ok") {
      const answer = `${r.status} ${r.message}`.trim();
      throw new BabelSocketError(`babeld answered '${answer}' to '${line}'`);
    }
  }

  /**
   * Adds (or re-declares) interface `name` at run time, with the `default` options babeld was
   * started with (`interfaceDefaults`; babeld does not apply them to run-time interfaces).
   */
  addInterface(name: string, opts: BabelInterfaceOptions = {}): Promise<void> {
    return this.configure(babelInterfaceStatement(name, this.opts.interfaceDefaults, opts));
  }

  /** Drops interface `name` (its neighbours and routes go at once). */
  flushInterface(name: string): Promise<void> {
    return this.configure(`flush interface ${name}`);
  }

  /**
   * babeld's current state. Calls made while an earlier dump is still waiting for its turn
   * share that dump's answer.
   */
  dump(): Promise<BabelDump> {
    if (this.pendingDump) return this.pendingDump;
    const p = this.serial(async () => {
      if (this.pendingDump === p) this.pendingDump = undefined;
      const r = await this.exchange("dump");
      if (r.status !== "ok") throw new BabelSocketError(`dump refused: ${r.status} ${r.message}`);
      const { dump, dropped } = parseDump(r.lines);
      for (const d of dropped) log.debug(`dump line dropped (${d.reason}): ${d.line}`);
      return dump;
    });
    this.pendingDump = p;
    p.catch(() => {
      if (this.pendingDump === p) this.pendingDump = undefined;
    });
    return p;
  }

  /** Closes the connection (a later request reconnects). */
  close(): void {
    this.drop();
  }

  private serial<T>(job: () => Promise<T>): Promise<T> {
    const run = this.queue.then(job, job);
    this.queue = run.catch(() => {});
    return run;
  }

  private drop(): void {
    const c = this.current;
    this.current = undefined;
    if (!c) return;
    c.lines.cancel();
    try {
      c.conn.close();
    } catch {
      // already closed
    }
  }

  private async connection(): Promise<Connection> {
    if (this.current) return this.current;
    let conn: Deno.UnixConn | undefined;
    const attempt = async (): Promise<Connection> => {
      try {
        conn = await Deno.connect({ transport: "unix", path: this.path });
      } catch (e) {
        throw new BabelSocketError(`cannot connect to babeld at ${this.path}: ${e}`);
      }
      const lines = new LineReader(conn.readable);
      const first = await lines.next();
      const m = /^BABEL (\S+)$/.exec(first);
      if (!m) throw new BabelSocketError(`unexpected babeld greeting: ${first}`);
      const greeting: BabelGreeting = { protocol: m[1] };
      for (;;) {
        const line = await lines.next();
        if (line === "ok") break;
        const [key, value] = line.split(" ", 2);
        if (key === "version") greeting.version = value;
        else if (key === "my-id") greeting.myId = value;
      }
      return { conn, lines, greeting };
    };
    try {
      this.current = await bounded(attempt(), this.opts.connectTimeoutMs, "babeld greeting", () => {
        try {
          conn?.close();
        } catch {
          // already closed
        }
      });
    } catch (e) {
      try {
        conn?.close();
      } catch {
        // already closed
      }
      throw e;
    }
    log.debug(`connected to babeld ${this.current.greeting.version ?? "?"} at ${this.path}`);
    return this.current;
  }

  /**
   * One request/reply. If a connection kept from earlier turns out dead (babeld restarted),
   * it is replaced and the request sent once more on the fresh connection.
   */
  private async exchange(line: string): Promise<BabelReply> {
    const reused = this.current !== undefined;
    try {
      return await this.exchangeOnce(line);
    } catch (e) {
      if (!reused || (e as Error).message.includes("no answer within")) throw e;
      log.debug(`babeld connection lost (${(e as Error).message}), reconnecting`);
      return await this.exchangeOnce(line);
    }
  }

  private async exchangeOnce(line: string): Promise<BabelReply> {
    const c = await this.connection();
    const work = async (): Promise<BabelReply> => {
      await c.conn.write(new TextEncoder().encode(line + "\n"));
      const lines: string[] = [];
      for (;;) {
        const l = await c.lines.next();
        const m = /^(ok|no|bad)(?: (.*))?$/.exec(l);
        if (m) return { status: m[1] as BabelStatus, lines, message: m[2] ?? "" };
        lines.push(l);
      }
    };
    try {
      return await bounded(work(), this.opts.replyTimeoutMs, `babeld '${line}'`, () => this.drop());
    } catch (e) {
      this.drop();
      throw e instanceof BabelSocketError ? e : new BabelSocketError(`babeld socket: ${e}`);
    }
  }
}
