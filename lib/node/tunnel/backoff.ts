/**
 * Bootstrap back-off policies: how long to wait before asking the registry again for a bootstrap
 * peer, or before the next "No route to registry" re-bootstrap of an island (spec §10.1, §10.3).
 */
import { type Random, randomInt } from "./random.ts";

/** What a back-off policy may look at. */
export interface BackoffContext {
  /** consecutive attempts since we were last connected to the registry (0 for the first) */
  attempt: number;
  /** number of node prefixes babel currently routes */
  routedPeers: number;
  /** tunnel timeout = 4 × hello, in seconds */
  timeout: number;
  random: Random;
}

/** Seconds to wait; a policy must be deterministic given its context. */
export type BackoffPolicy = (c: BackoffContext) => number;

/** The reference behaviour: `timeout × (1 + random integer in [0, routed peers])`. */
export const specBackoff: BackoffPolicy = (c) =>
  c.timeout * (1 + randomInt(c.random, c.routedPeers + 1));

/**
 * Faster cold start (ARCHITECTURE.md "Lessons"): `min(timeout, initial × factor^attempt)`, times
 * the same random spread as the spec so that islands do not all ask the registry at once.
 */
export function growingBackoff(initial = 1, factor = 2): BackoffPolicy {
  return (c) =>
    Math.min(c.timeout, initial * factor ** c.attempt) *
    (1 + randomInt(c.random, c.routedPeers + 1));
}
