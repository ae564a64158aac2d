/**
 * Keeps one babeld running for the daemon (ARCHITECTURE.md: re6stnet exits when babeld dies,
 * we restart it): starts it, and after an unexpected exit starts it again with a growing delay
 * (`restartDelayMs`: 1, 2, 4 … 60 s; the count resets once babeld stayed up for a minute).
 * `restartWith` restarts it on purpose with new arguments (a parameter change; not counted in
 * `restarts`). `stop` ends supervision and stops babeld by PID.
 */
import { logger } from "../log.ts";
import { BabeldProcess, type BabeldStartOptions, restartDelayMs } from "./babel/process.ts";
import type { BabelSocket } from "./babel/socket.ts";

const log = logger("babel");
const STABLE_MS = 60_000;

/** A supervised babeld. */
export class BabelSupervisor {
  #o: BabeldStartOptions;
  #current?: BabeldProcess;
  #failures = 0;
  #startedAt = 0;
  #timer?: ReturnType<typeof setTimeout>;
  #stopped = false;
  #restarts = 0;
  /**
   * called after every start once set — set after `start`, it sees the restarts after a crash
   * and by `restartWith`, not the first start
   */
  onStart?: (b: BabeldProcess) => void;

  private constructor(o: BabeldStartOptions) {
    this.#o = o;
  }

  /** Starts babeld; throws if the first start fails. */
  static async start(o: BabeldStartOptions): Promise<BabelSupervisor> {
    const s = new BabelSupervisor(o);
    await s.#spawn();
    return s;
  }

  /** The running babeld's socket, if babeld runs. */
  get socket(): BabelSocket | undefined {
    return this.#current?.socket;
  }

  /** The running babeld's PID. */
  get pid(): number | undefined {
    return this.#current?.pid;
  }

  /** How many times babeld was started again after an unexpected exit. */
  get restarts(): number {
    return this.#restarts;
  }

  async #spawn(): Promise<void> {
    this.#current = await BabeldProcess.start({
      ...this.#o,
      onUnexpectedExit: () => this.#exited(),
    });
    this.#startedAt = Date.now();
    this.onStart?.(this.#current);
  }

  #exited(): void {
    this.#current = undefined;
    if (this.#stopped) return;
    if (Date.now() - this.#startedAt > STABLE_MS) this.#failures = 0;
    const delay = restartDelayMs(++this.#failures);
    log.warn(`restarting babeld in ${delay / 1000} s`);
    this.#timer = setTimeout(async () => {
      this.#timer = undefined;
      if (this.#stopped) return;
      try {
        await this.#spawn();
        this.#restarts++;
      } catch (e) {
        log.error((e as Error).message);
        this.#exited();
      }
    }, delay);
  }

  /**
   * Stops babeld and starts it with `o` (new arguments). Throws if it does not start; it is then
   * retried as after an unexpected exit.
   */
  async restartWith(o: BabeldStartOptions): Promise<void> {
    if (this.#stopped) return;
    this.#o = o;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#current?.stop();
    this.#current = undefined;
    if (this.#stopped) return;
    try {
      await this.#spawn();
    } catch (e) {
      this.#exited();
      throw e;
    }
  }

  /** Stops supervising and stops babeld (SIGTERM, SIGKILL after 5 s). */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#current?.stop();
    this.#current = undefined;
  }
}
