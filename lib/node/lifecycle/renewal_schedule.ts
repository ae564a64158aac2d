/**
 * Keeps the certificate files renewed while the daemon runs (spec §4.4): one renewal pass now,
 * then again at each pass's `nextCheck` (timers longer than `setTimeout` allows are re-armed in
 * steps). When a pass installs a new certificate or CA, `onRenewed` is called: the daemon then
 * restarts what holds the old files (re6stnet re-execs: "Restart to renew certificate").
 *
 * Daemon wiring: `const renewal = new RenewalSchedule({ ...files, registry, crl, now, onRenewed })`,
 * `await renewal.check()` at start-up (before the certificate is loaded), `renewal.stop()` at
 * clean-up; `renewal.setCrl(crl)` when new parameters arrive, and `renewal.check()` when the
 * reaction plan says `renew` (our serial revoked).
 */
import { logger } from "../../log.ts";
import { renewCertificates, type RenewOptions, type RenewResult } from "./renew_certificates.ts";
import { timerDelay } from "./renewal.ts";

const log = logger("renewal");

/** What the schedule needs. */
export interface RenewalScheduleOptions extends RenewOptions {
  /** called after a pass that replaced `cert.crt` or `ca.crt` */
  onRenewed: (result: RenewResult) => void;
}

/** Renewal passes at the computed dates. */
export class RenewalSchedule {
  readonly #o: RenewalScheduleOptions;
  #crl: readonly bigint[];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #next = Infinity;
  #running: Promise<RenewResult> | undefined;
  #stopped = false;

  constructor(o: RenewalScheduleOptions) {
    this.#o = o;
    this.#crl = o.crl;
  }

  /** When the next pass is due (epoch ms; Infinity before the first pass). */
  get nextCheck(): number {
    return this.#next;
  }

  /** Runs a pass now (one at a time) and arms the next one. */
  check(): Promise<RenewResult> {
    this.#running ??= this.#pass().finally(() => this.#running = undefined);
    return this.#running;
  }

  /** New CRL from the network parameters (used by the next pass). */
  setCrl(crl: readonly bigint[]): void {
    this.#crl = crl;
  }

  /** Cancels the timer; no pass starts afterwards. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  async #pass(): Promise<RenewResult> {
    clearTimeout(this.#timer);
    let result: RenewResult;
    try {
      result = await renewCertificates({ ...this.#o, crl: this.#crl });
    } catch (e) {
      // unreadable files: look again tomorrow rather than never
      log.error(`renewal pass failed: ${(e as Error).message}`);
      result = { certRenewed: false, caRenewed: false, nextCheck: this.#o.now() + 86_400_000 };
    }
    this.#next = result.nextCheck;
    this.#arm();
    if (result.certRenewed || result.caRenewed) this.#o.onRenewed(result);
    return result;
  }

  #arm(): void {
    if (this.#stopped) return;
    const delay = timerDelay(this.#next, this.#o.now());
    this.#timer = setTimeout(() => {
      if (this.#o.now() >= this.#next) this.check();
      else this.#arm();
    }, delay);
    Deno.unrefTimer(this.#timer);
  }
}
