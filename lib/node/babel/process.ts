/**
 * Runs stock babeld as a child with a known PID: start it with prepared arguments, wait until
 * its read-write socket greets, stop it (SIGTERM, then SIGKILL after a bound), and report an
 * exit nobody asked for so that the daemon's supervisor can restart it (`restartDelayMs`).
 */
import { logger } from "../../log.ts";
import { type Proc, spawnLogged, stopProcess } from "../../netns/process.ts";
import { waitFor } from "../../netns/wait.ts";
import { BabelSocket } from "./socket.ts";

const log = logger("babel");

/** How to start babeld. */
export interface BabeldStartOptions {
  /** full argument list (see `babeldArgs`) */
  args: string[];
  /** its `-G` socket path */
  socketPath: string;
  /**
   * the options of its `default` statement (`babelInterfaceDefaults` of the same options as
   * `args`), for the interfaces its socket declares at run time
   */
  interfaceDefaults?: string;
  /** file receiving babeld's stdout/stderr (start-up errors; the routing log is `-L`) */
  outputFile: string;
  /** network namespace to run in (tests, demo) */
  ns?: string;
  /** program (default `babeld`) */
  program?: string;
  /** bound on waiting for the socket (default 10000 ms) */
  startTimeoutMs?: number;
  /** called once if babeld exits without `stop()` having been called */
  onUnexpectedExit?: (status: Deno.CommandStatus) => void;
}

/** A running babeld. */
export class BabeldProcess {
  readonly proc: Proc;
  readonly socket: BabelSocket;
  private stopping = false;

  private constructor(proc: Proc, socket: BabelSocket) {
    this.proc = proc;
    this.socket = socket;
  }

  /** babeld's PID. */
  get pid(): number {
    return this.proc.pid;
  }

  /**
   * Starts babeld (removing a stale socket file first) and resolves once its socket has
   * greeted us. Throws — with babeld's own output — if it exits or stays silent too long.
   */
  static async start(o: BabeldStartOptions): Promise<BabeldProcess> {
    await Deno.remove(o.socketPath).catch(() => {});
    const proc = await spawnLogged([o.program ?? "babeld", ...o.args], {
      name: "babeld",
      logFile: o.outputFile,
      ns: o.ns,
    });
    const socket = new BabelSocket(o.socketPath, { interfaceDefaults: o.interfaceDefaults });
    const me = new BabeldProcess(proc, socket);
    try {
      await waitFor(async () => {
        if (proc.exit) throw new Error(`babeld exited with ${proc.exit.code}`);
        try {
          await socket.connect();
          return true;
        } catch {
          return false;
        }
      }, { timeoutMs: o.startTimeoutMs ?? 10_000, what: "babeld's socket" });
    } catch (e) {
      await stopProcess(proc, 1000);
      socket.close();
      const output = await Deno.readTextFile(o.outputFile).catch(() => "");
      throw new Error(`babeld did not start (${(e as Error).message}): ${output.trim()}`);
    }
    log.info(`babeld started, pid ${proc.pid}`);
    proc.status.then((status) => {
      if (me.stopping) return;
      socket.close();
      log.warn(`babeld (pid ${proc.pid}) exited unexpectedly with ${status.code}`);
      o.onUnexpectedExit?.(status);
    });
    return me;
  }

  /** Stops babeld by PID: SIGTERM, SIGKILL after `graceMs`. */
  async stop(graceMs = 5000): Promise<Deno.CommandStatus> {
    this.stopping = true;
    this.socket.close();
    return await stopProcess(this.proc, graceMs);
  }
}

/**
 * Back-off before restarting babeld after `failures` consecutive unexpected exits (1 → base):
 * doubles each time, capped at `maxMs`.
 */
export function restartDelayMs(failures: number, baseMs = 1000, maxMs = 60_000): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, failures - 1));
}
