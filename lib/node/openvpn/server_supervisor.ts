/**
 * Keeps our OpenVPN servers running: a server that exits while the daemon runs is started
 * again on the same port and TAP (the persistent TAP, and so babeld's interface, stays) after
 * a growing delay (`restartDelayMs`: 1, 2, 4 … 60 s per protocol; the count resets once the
 * server stayed up for a minute). Each exit and restart is logged. `restartAll` restarts them
 * on purpose (new arguments after a parameter change); `stop` ends supervision (called before the
 * servers are stopped at clean-up).
 */
import { logger } from "../../log.ts";
import { restartDelayMs } from "../babel/process.ts";
import { type Protocol, serverInterface } from "./args.ts";

const log = logger("openvpn");
const STABLE_MS = 60_000;

/** What the supervisor restarts servers with (`OpenvpnShell`). */
export interface ServerStarter {
  startServer(proto: Protocol, port: number): Promise<unknown>;
  stopServer(iface: string): Promise<void>;
}

interface State {
  port: number;
  failures: number;
  startedAt: number;
  timer?: ReturnType<typeof setTimeout>;
}

/** Restarts servers that die. */
export class ServerSupervisor {
  readonly #shell: ServerStarter;
  readonly #servers = new Map<Protocol, State>();
  #stopped = false;

  /** `servers`: protocol → port of the servers already started. */
  constructor(shell: ServerStarter, servers: ReadonlyMap<Protocol, number>) {
    this.#shell = shell;
    const now = Date.now();
    for (const [proto, port] of servers) {
      this.#servers.set(proto, { port, failures: 0, startedAt: now });
    }
  }

  /** The server of `proto` exited with `code`: schedules its restart. */
  exited(proto: Protocol, code: number): void {
    const s = this.#servers.get(proto);
    if (!s || this.#stopped) return;
    if (Date.now() - s.startedAt > STABLE_MS) s.failures = 0;
    const delay = restartDelayMs(++s.failures);
    log.warn(`OpenVPN server ${proto} exited with ${code}; restarting in ${delay / 1000} s`);
    clearTimeout(s.timer);
    s.timer = setTimeout(async () => {
      s.timer = undefined;
      if (this.#stopped) return;
      try {
        await this.#shell.startServer(proto, s.port);
        s.startedAt = Date.now();
        log.info(`OpenVPN server ${proto} restarted on port ${s.port}`);
      } catch (e) {
        log.error(`cannot restart OpenVPN server ${proto}: ${(e as Error).message}`);
        this.exited(proto, -1);
      }
    }, delay);
  }

  /**
   * Stops every server and starts it again on its port and TAP, one after the other, with the
   * shell's current settings (a pending crash restart is superseded). Throws if one does not
   * start.
   */
  async restartAll(): Promise<void> {
    for (const [proto, s] of this.#servers) {
      if (this.#stopped) return;
      clearTimeout(s.timer);
      s.timer = undefined;
      await this.#shell.stopServer(serverInterface(proto));
      await this.#shell.startServer(proto, s.port);
      s.startedAt = Date.now();
      s.failures = 0;
      log.info(`OpenVPN server ${proto} restarted on port ${s.port} with the new parameters`);
    }
  }

  /** Ends supervision. */
  stop(): void {
    this.#stopped = true;
    for (const s of this.#servers.values()) clearTimeout(s.timer);
  }
}
