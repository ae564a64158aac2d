/**
 * Keeps our OpenVPN servers running: a server that exits while the daemon runs is started
 * again on the same port and TAP (the persistent TAP, and so babeld's interface, stays) after
 * a growing delay (`restartDelayMs`: 1, 2, 4 … 60 s per protocol; the count resets once the
 * server stayed up for a minute). Each exit and restart is logged. `stop` ends supervision
 * (called before the servers are stopped at clean-up).
 */
import { logger } from "../../log.ts";
import { restartDelayMs } from "../babel/process.ts";
import type { Protocol } from "./args.ts";

const log = logger("openvpn");
const STABLE_MS = 60_000;

/** What the supervisor restarts servers with (`OpenvpnShell`). */
export interface ServerStarter {
  startServer(proto: Protocol, port: number): Promise<unknown>;
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

  /** Ends supervision. */
  stop(): void {
    this.#stopped = true;
    for (const s of this.#servers.values()) clearTimeout(s.timer);
  }
}
