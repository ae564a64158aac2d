/**
 * Our own country (spec §10.8): `--country` for all our addresses, else — only while the
 * `same_country` parameter is distributed — what the registry's `getCountry` says about each of
 * our addresses (asked once per address; "unknown" answers are remembered too). It feeds the
 * address book (4th field of our endpoints) and, as `ourCountry`, the tunnel manager's endpoint
 * filter: `ipv4`/`ipv6` are live getters giving the country of our first address of that family.
 */
import { isIPv4 } from "../config/checks.ts";
import { logger } from "../log.ts";

const log = logger("node");

/** Asks the registry: a country code, `""` when unknown, undefined when the call failed. */
export type CountryQuestion = (ip: string) => Promise<string | undefined>;

type Family = 4 | 6;

/** Delay before questions that failed are asked again. */
export const COUNTRY_RETRY_MS = 60_000;

/** How `settle` reads our addresses and reports back. */
export interface SettleHooks {
  /** our current addresses */
  addresses(): string[];
  /** a country was learnt: republish our addresses */
  learnt(): void;
  /** runs `fn` after `ms` (the daemon's timers) */
  later(ms: number, fn: () => void): void;
}

const familyOf = (ip: string): Family => isIPv4(ip) ? 4 : 6;

/** Our country per address, as advertised and as used to filter peers' endpoints. */
export class OwnCountry {
  readonly #fixed?: string;
  readonly #ask: CountryQuestion;
  /** answers by address: a code, or null when the registry does not know */
  readonly #answers = new Map<string, string | null>();
  #addresses: readonly string[] = [];
  #settling?: Promise<void>;
  #again = false;
  /** ask the registry (true while `same_country` is distributed and no `--country`) */
  enabled = false;

  /** `fixed`: `--country`; `ask`: the registry's getCountry. */
  constructor(o: { fixed?: string; ask: CountryQuestion }) {
    this.#fixed = o.fixed;
    this.#ask = o.ask;
  }

  /** Country advertised with our address `ip`. */
  of(ip: string): string | undefined {
    if (this.#fixed) return this.#fixed;
    return this.enabled ? this.#answers.get(ip) ?? undefined : undefined;
  }

  /** Our country for IPv4 endpoints. */
  get ipv4(): string | undefined {
    return this.#forFamily(4);
  }

  /** Our country for IPv6 endpoints. */
  get ipv6(): string | undefined {
    return this.#forFamily(6);
  }

  #forFamily(f: Family): string | undefined {
    if (this.#fixed) return this.#fixed;
    const ip = this.#addresses.find((a) => familyOf(a) === f);
    return ip === undefined ? undefined : this.of(ip);
  }

  /**
   * Our addresses are now `ips`. When enabled, asks the registry about the ones never answered.
   * Resolves to true if a country was learnt (republish our addresses), false if nothing
   * changed, undefined if a question failed (ask again later).
   */
  async update(ips: readonly string[]): Promise<boolean | undefined> {
    this.#addresses = [...ips];
    if (this.#fixed || !this.enabled) return false;
    let learnt = false, failed = false;
    for (const ip of new Set(ips)) {
      if (this.#answers.has(ip)) continue;
      let answer: string | undefined;
      try {
        answer = await this.#ask(ip);
      } catch (e) {
        log.warn(`getCountry ${ip}: ${(e as Error).message}`);
      }
      if (answer === undefined) {
        failed = true;
        continue;
      }
      this.#answers.set(ip, /^[A-Z]{2}$/.test(answer) ? answer : null);
      learnt ||= this.#answers.get(ip) !== null;
    }
    return failed ? undefined : learnt;
  }

  /**
   * Asks about our addresses until each one is answered, calling `learnt` after new answers and
   * retrying failed questions after `COUNTRY_RETRY_MS`. One run at a time: a call during a run
   * makes it go round once more and returns the same promise, which never rejects (errors of
   * the hooks are logged and end the run).
   */
  settle(hooks: SettleHooks): Promise<void> {
    if (this.#settling) {
      this.#again = true;
      return this.#settling;
    }
    const run = async () => {
      let result: boolean | undefined;
      try {
        do {
          this.#again = false;
          result = await this.update(hooks.addresses());
          if (result) hooks.learnt();
        } while (this.#again);
      } catch (e) {
        log.warn(`our country: ${(e as Error).message}`);
        return; // the daemon is stopping (closed cache) or our address is unreadable
      }
      if (result === undefined) hooks.later(COUNTRY_RETRY_MS, () => void this.settle(hooks));
    };
    return this.#settling = run().finally(() => this.#settling = undefined);
  }
}
