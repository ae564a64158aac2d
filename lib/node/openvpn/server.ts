/**
 * One OpenVPN server (one protocol, one TAP interface shared by its clients) and the daemon's
 * end of its management connection. Every client-connect is decided by the daemon's `decide`
 * callback; an accepted client gets `push "setenv-safe external_ip <its real IP>"` (re6stnet
 * clients rely on it), a refused one is denied and OpenVPN drops it. Disconnects of accepted
 * clients are reported. Malformed management output is logged and dropped.
 *
 * Why the management interface rather than re6stnet's `--client-connect` hook: no process per
 * connecting client, the decision is asynchronous (OpenVPN keeps serving others meanwhile), and
 * with `--management-client` OpenVPN connects to the daemon and quits (`management-exit`) when
 * that connection is lost, so a crashed daemon leaves no orphan server behind. TLS
 * renegotiations (`REAUTH`, hourly by default) are decided again, so a serial revoked meanwhile
 * is refused then; packets may be lost for a moment while the new key awaits the answer.
 * When OpenVPN ends (stopped or crashed), clients it did not report gone are reported
 * disconnected, so the daemon never keeps serving ghosts across a server restart.
 */
import { logger } from "../../log.ts";
import { type Protocol, serverArgs, type ServerOptions } from "./args.ts";
import {
  acceptCommand,
  denyCommand,
  killCommand,
  ManagementParser,
  reauthCommand,
  type ServedClient,
  servedClient,
  STATE_ON,
} from "./management.ts";
import { ManagedProcess } from "./process.ts";

const log = logger("openvpn");

/** Longest management line accepted. */
const MAX_LINE = 8192;

/** How long a server may take to initialise before it is given up. */
const START_TIMEOUT_MS = 20000;

/** How long the daemon may take to decide on a client before it is refused. */
const DECIDE_TIMEOUT_MS = 10000;

/** A client asking to connect (or renegotiating) to one of our servers. */
export interface ClientConnect extends ServedClient {
  /** Server TAP interface. */
  iface: string;
  /** OpenVPN's client id on this server. */
  cid: number;
  /** True on TLS renegotiation of an already connected client. */
  reauth: boolean;
}

/** An accepted client left one of our servers. */
export interface ClientDisconnect extends ServedClient {
  iface: string;
  cid: number;
}

/** The daemon's side of a server. */
export interface ServerHandlers {
  /**
   * Accept (true) or refuse (false) a client, e.g. refuse revoked serials. Throwing, or not
   * answering within 10 s, refuses.
   */
  decide(c: ClientConnect): boolean | Promise<boolean>;
  /** An accepted client is gone. */
  disconnected(c: ClientDisconnect): void;
}

/** A running OpenVPN server. */
export class OpenvpnServer {
  readonly iface: string;
  readonly proto: Protocol;
  readonly process: ManagedProcess;
  #listener: Deno.Listener;
  #socket: string;
  #conn: Deno.Conn | undefined;
  #writes: Promise<void> = Promise.resolve();
  #accepted = new Map<number, ServedClient>();
  #handlers: ServerHandlers;
  #serving: Promise<void>;
  #ready: () => void = () => {};
  #reading: Promise<void> = Promise.resolve();

  private constructor(
    o: ServerOptions,
    handlers: ServerHandlers,
    listener: Deno.Listener,
    prefix: readonly string[],
  ) {
    this.iface = o.dev;
    this.proto = o.proto;
    this.#socket = o.management;
    this.#listener = listener;
    this.#handlers = handlers;
    this.#serving = this.#serve();
    this.process = new ManagedProcess(["openvpn", ...serverArgs(o)], o.dev, prefix);
    this.process.exited.then(() => this.#reading).then(() => this.#allGone());
  }

  /** OpenVPN ended: every client still accepted is gone. */
  #allGone(): void {
    for (const [cid, c] of [...this.#accepted]) this.#gone(cid, c);
  }

  /** Accepted client `cid` left. */
  #gone(cid: number, c: ServedClient): void {
    this.#accepted.delete(cid);
    try {
      this.#handlers.disconnected({ ...c, iface: this.iface, cid });
    } catch (e) {
      log.error(`${this.iface}: disconnect handler failed: ${e}`);
    }
  }

  /**
   * Listens on `o.management`, starts OpenVPN (which connects to it) and resolves once OpenVPN
   * reports it is fully initialised (listening). Throws, with OpenVPN stopped, if it exits or
   * does not get there in time.
   */
  static async start(
    o: ServerOptions,
    handlers: ServerHandlers,
    prefix: readonly string[] = [],
  ): Promise<OpenvpnServer> {
    await Deno.remove(o.management).catch(() => {});
    const listener = Deno.listen({ transport: "unix", path: o.management });
    await Deno.chmod(o.management, 0o600);
    const server = new OpenvpnServer(o, handlers, listener, prefix);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const outcome = await Promise.race([
      new Promise<string>((resolve) => server.#ready = () => resolve("")),
      server.process.exited.then((s) => `exited with status ${s.code}`),
      new Promise<string>((resolve) =>
        timer = setTimeout(() => resolve("timed out"), START_TIMEOUT_MS)
      ),
    ]);
    clearTimeout(timer);
    if (outcome) {
      await server.stop();
      throw new Error(`OpenVPN server ${o.dev} failed to start: ${outcome}`);
    }
    return server;
  }

  /** Clients accepted and still connected, by OpenVPN client id. */
  get clients(): ReadonlyMap<number, ServedClient> {
    return this.#accepted;
  }

  /** Disconnects client `cid` (e.g. its certificate got revoked). */
  kill(cid: number): void {
    this.#send(killCommand(cid));
  }

  /** Stops OpenVPN (TERM, then KILL) and closes the management socket. */
  async stop(): Promise<Deno.CommandStatus> {
    const status = await this.process.stop();
    try {
      this.#listener.close();
    } catch { /* closed */ }
    try {
      this.#conn?.close();
    } catch { /* closed */ }
    await this.#serving;
    await this.#reading;
    await this.#writes;
    await Deno.remove(this.#socket).catch(() => {});
    return status;
  }

  async #serve(): Promise<void> {
    try {
      for await (const conn of this.#listener) {
        if (this.#conn) {
          log.warn(`${this.iface}: second management connection refused`);
          conn.close();
          continue;
        }
        this.#conn = conn;
        this.#send(STATE_ON);
        this.#reading = this.#read(conn); // ends when OpenVPN closes the connection
      }
    } catch (e) {
      if (!(e instanceof Deno.errors.BadResource)) log.error(`${this.iface}: management: ${e}`);
    }
  }

  async #read(conn: Deno.Conn): Promise<void> {
    const parser = new ManagementParser();
    let buf = "";
    try {
      for await (const chunk of conn.readable.pipeThrough(new TextDecoderStream())) {
        buf += chunk;
        let nl;
        while ((nl = buf.indexOf("\n")) >= 0) {
          const line = buf.slice(0, nl).replace(/\r$/, "");
          buf = buf.slice(nl + 1);
          for (const ev of parser.push(line)) this.#event(ev);
        }
        if (buf.length > MAX_LINE) {
          log.warn(`${this.iface}: management: dropping an overlong line`);
          buf = "";
        }
      }
    } catch (e) {
      if (!(e instanceof Deno.errors.BadResource || e instanceof Deno.errors.Interrupted)) {
        log.warn(`${this.iface}: management connection: ${e}`);
      }
    }
  }

  #event(ev: ReturnType<ManagementParser["push"]>[number]): void {
    switch (ev.type) {
      case "drop":
        log.warn(`${this.iface}: management: dropped: ${ev.reason}`);
        return;
      case "error":
        log.warn(`${this.iface}: management: OpenVPN says: ${ev.message}`);
        return;
      case "state":
        if (ev.name === "CONNECTED") this.#ready();
        return;
      case "established":
        return;
      case "connect": {
        const c = servedClient(ev.env);
        if (typeof c === "string") {
          log.warn(`${this.iface}: refusing client ${ev.cid}: ${c}`);
          this.#send(denyCommand(ev.cid, ev.kid, c));
          return;
        }
        this.#decide({ ...c, iface: this.iface, cid: ev.cid, reauth: ev.reauth }, ev.kid);
        return;
      }
      case "disconnect": {
        const known = this.#accepted.get(ev.cid);
        if (!known) return; // never accepted: nothing to report
        const c = servedClient(ev.env);
        this.#gone(ev.cid, typeof c === "string" ? known : c);
      }
    }
  }

  async #decide(c: ClientConnect, kid: number): Promise<void> {
    let ok = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      ok = await Promise.race([
        Promise.resolve(this.#handlers.decide(c)),
        new Promise<never>((_, reject) =>
          timer = setTimeout(() => reject(new Error("no decision in time")), DECIDE_TIMEOUT_MS)
        ),
      ]);
    } catch (e) {
      log.error(`${this.iface}: client-connect decision failed, refusing ${c.cn}: ${e}`);
    } finally {
      clearTimeout(timer);
    }
    if (!ok) {
      this.#accepted.delete(c.cid);
      this.#send(denyCommand(c.cid, kid, "refused by re6st"));
      return;
    }
    this.#accepted.set(c.cid, { cn: c.cn, serial: c.serial, realIp: c.realIp });
    this.#send(c.reauth ? reauthCommand(c.cid, kid) : acceptCommand(c.cid, kid, c.realIp));
  }

  #send(text: string): void {
    const conn = this.#conn;
    if (!conn) {
      log.warn(`${this.iface}: no management connection to send ${text.split(" ")[0]}`);
      return;
    }
    const bytes = new TextEncoder().encode(text);
    this.#writes = this.#writes.then(async () => {
      let off = 0;
      while (off < bytes.length) off += await conn.write(bytes.subarray(off));
    }).catch((e) => log.warn(`${this.iface}: management write: ${e}`));
  }
}
