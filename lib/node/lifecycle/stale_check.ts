/**
 * Hourly parameter self-check of non-registry nodes (spec §7.5), pure.
 *
 * A node that missed a parameter change (typically a babel HMAC key change) may be unable to
 * talk to anyone, so gossip never tells it. Every hour, at a babel dump, it is "maybe stale" if
 * babel has no route to the registry node's prefix, or if `valid_until` (first phase of an HMAC
 * rotation, §7.3) is set and has passed — the reference never loads `valid_until` (its [BUG]);
 * we honour it. Maybe-stale at two consecutive checks ⇒ fetch the parameters once (no retry
 * schedule); the count then starts again, so a node that stays stale fetches every 2 hours.
 */
import type { RoutingView } from "../babel/view.ts";
import type { Bits } from "../../wire/prefix.ts";

/** Period of the self-check. */
export const STALE_CHECK_PERIOD_MS = 3_600_000;

/** State carried between checks. */
export interface StaleCheckState {
  /** when the next check is due (epoch ms) */
  due: number;
  /** the previous check found the node maybe stale */
  maybeStale: boolean;
}

/** What one check looks at. */
export interface StaleObservation {
  /** epoch ms */
  now: number;
  /** we are the registry node (never checks) */
  isRegistry: boolean;
  /** babel has a route to the registry node's prefix */
  routeToRegistry: boolean;
  /** network parameter `valid_until` (epoch seconds), when set */
  validUntil?: number;
}

/** Outcome of a dump: the new state, and whether to fetch the parameters now. */
export interface StaleCheckResult {
  state: StaleCheckState;
  fetch: boolean;
  /** why the node looks stale (for the log), when it does */
  reason?: string;
}

/** State of a freshly started node: first check one hour from now. */
export function initialStaleCheck(now: number): StaleCheckState {
  return { due: now + STALE_CHECK_PERIOD_MS, maybeStale: false };
}

/** Why the node may be stale, or undefined. */
export function staleReason(o: StaleObservation): string | undefined {
  if (!o.routeToRegistry) return "no route to the registry";
  if (o.validUntil !== undefined && o.validUntil * 1000 < o.now) {
    return `valid_until ${new Date(o.validUntil * 1000).toISOString()} has passed`;
  }
  return undefined;
}

/** Runs the check if due (call at every babel dump). */
export function staleCheck(s: StaleCheckState, o: StaleObservation): StaleCheckResult {
  if (o.now < s.due || o.isRegistry) return { state: s, fetch: false };
  const due = o.now + STALE_CHECK_PERIOD_MS;
  const reason = staleReason(o);
  if (reason === undefined) return { state: { due, maybeStale: false }, fetch: false };
  if (!s.maybeStale) return { state: { due, maybeStale: true }, fetch: false, reason };
  return { state: { due, maybeStale: false }, fetch: true, reason };
}

/** The observation from a babel routing view. */
export function observe(
  view: RoutingView,
  registryPrefix: Bits,
  ownPrefix: Bits,
  now: number,
  validUntil?: number,
): StaleObservation {
  return {
    now,
    isRegistry: ownPrefix === registryPrefix,
    routeToRegistry: view.hasRoute(registryPrefix) || view.neighbour(registryPrefix) !== undefined,
    validUntil,
  };
}

/**
 * The check's state for one daemon life: call `onDump` at every babel dump; it returns true
 * when the parameters should be fetched once (no retry schedule), and logs why.
 */
export class StaleMonitor {
  #state: StaleCheckState;

  constructor(
    private readonly registryPrefix: Bits,
    private readonly ownPrefix: Bits,
    now: number,
    private readonly log?: { info(msg: string): void },
  ) {
    this.#state = initialStaleCheck(now);
  }

  /** One dump; `validUntil` = the current `valid_until` parameter (epoch s), if any. */
  onDump(view: RoutingView, now: number, validUntil?: number): boolean {
    const o = observe(view, this.registryPrefix, this.ownPrefix, now, validUntil);
    const r = staleCheck(this.#state, o);
    this.#state = r.state;
    if (r.reason) {
      this.log?.info(`${r.fetch ? "still" : "maybe"} stale (${r.reason})`);
    }
    return r.fetch;
  }
}
