/** Hourly parameter self-check (spec §7.5), with `valid_until` honoured (the spec's [BUG] fixed). */
import assert from "node:assert/strict";
import { parseDump } from "../../lib/node/babel/dump_parser.ts";
import { interpretDump } from "../../lib/node/babel/interpret.ts";
import {
  initialStaleCheck,
  observe,
  STALE_CHECK_PERIOD_MS,
  staleCheck,
  type StaleCheckState,
  StaleMonitor,
  type StaleObservation,
} from "../../lib/node/lifecycle/stale_check.ts";
import { cidrToBits } from "../../lib/wire/prefix.ts";

const HOUR = STALE_CHECK_PERIOD_MS;
const T0 = Date.UTC(2026, 10, 22, 1, 0, 0);
const NETWORK = cidrToBits("2001:db8:42::/48");
const REGISTRY = "0000000000000000";
const US = "0000000000000101";

/** A babel view built from stock babeld 1.12.1 dump lines, routing `2001:db8:42:<n>::/64`. */
function viewRouting(...subnets: number[]) {
  const lines = [
    "add neighbour 1 address fe80::1 if re6stnet1 reach ffff ureach 0000 rxcost 96 txcost 96 cost 96",
    ...subnets.map((n, i) =>
      `add route r${i} prefix 2001:db8:42:${n.toString(16)}::/64 from ::/0 installed yes ` +
      `id 0:0:0:0:0:0:0:${i} metric 96 refmetric ${i === 0 ? 0 : 96} via fe80::1 if re6stnet1`
    ),
  ];
  return interpretDump(parseDump(lines).dump, NETWORK);
}

/** Runs checks at `T0 + k hours` for each observation; returns the fetch decisions. */
function run(observations: Array<Partial<StaleObservation>>): boolean[] {
  let s: StaleCheckState = initialStaleCheck(T0);
  return observations.map((o, k) => {
    const r = staleCheck(s, {
      now: T0 + (k + 1) * HOUR,
      isRegistry: false,
      routeToRegistry: true,
      ...o,
    });
    s = r.state;
    return r.fetch;
  });
}

Deno.test("statement 35: no route to the registry at two consecutive hourly checks ⇒ fetch once", () => {
  const lost = { routeToRegistry: false };
  assert.deepEqual(run([lost, lost]), [false, true]);
  assert.deepEqual(run([lost, {}, lost]), [false, false, false], "not consecutive");
  assert.deepEqual(run([lost, lost, lost, lost]), [false, true, false, true], "once per pair");
  assert.deepEqual(run([{}, {}, {}]), [false, false, false]);
});

Deno.test("stale check: only hourly, never on the registry node", () => {
  let s = initialStaleCheck(T0);
  const lost = { isRegistry: false, routeToRegistry: false };
  for (const minutes of [1, 30, 59]) {
    const r = staleCheck(s, { ...lost, now: T0 + minutes * 60_000 });
    assert.deepEqual(r, { state: s, fetch: false }, `${minutes} min: not due`);
  }
  s = staleCheck(s, { ...lost, now: T0 + HOUR }).state;
  assert.equal(s.maybeStale, true);
  assert.equal(s.due, T0 + 2 * HOUR);
  assert.equal(staleCheck(s, { ...lost, now: T0 + HOUR + 1000 }).fetch, false, "dumps in between");
  assert.equal(staleCheck(s, { ...lost, now: T0 + 2 * HOUR }).fetch, true);
  assert.deepEqual(
    run([{ isRegistry: true, routeToRegistry: false }, {
      isRegistry: true,
      routeToRegistry: false,
    }]),
    [false, false],
  );
});

Deno.test("stale check: a passed valid_until counts as maybe stale ([BUG] fixed)", () => {
  const passed = { validUntil: T0 / 1000 + 1800 };
  assert.deepEqual(run([passed, passed]), [false, true], "past at both checks");
  const future = { validUntil: T0 / 1000 + 10 * 3600 };
  assert.deepEqual(run([future, future]), [false, false]);
  const r = staleCheck({ due: T0, maybeStale: false }, {
    now: T0,
    isRegistry: false,
    routeToRegistry: true,
    validUntil: T0 / 1000 - 1,
  });
  assert.match(r.reason!, /valid_until .* has passed/);
});

Deno.test("stale check: observation from a real babel dump", () => {
  const routed = observe(viewRouting(0, 3), REGISTRY, US, T0);
  assert.equal(routed.routeToRegistry, true);
  assert.equal(routed.isRegistry, false);
  const island = observe(viewRouting(3, 4), REGISTRY, US, T0, 1234);
  assert.deepEqual(island, {
    now: T0,
    isRegistry: false,
    routeToRegistry: false,
    validUntil: 1234,
  });
  assert.equal(observe(viewRouting(), REGISTRY, REGISTRY, T0).isRegistry, true);
});

Deno.test("statement 35: StaleMonitor over real dumps — two hourly checks without the registry ⇒ fetch", () => {
  const lines: string[] = [];
  const m = new StaleMonitor(REGISTRY, US, T0, { info: (l) => lines.push(l) });
  const island = viewRouting(3, 4);
  assert.equal(m.onDump(island, T0 + 10_000), false, "not due yet");
  assert.equal(m.onDump(island, T0 + HOUR), false);
  assert.equal(m.onDump(viewRouting(3), T0 + HOUR + 5000), false, "dumps in between");
  assert.equal(m.onDump(island, T0 + 2 * HOUR + 5000), true);
  assert.deepEqual(lines, [
    "maybe stale (no route to the registry)",
    "still stale (no route to the registry)",
  ]);
  const healthy = new StaleMonitor(REGISTRY, US, T0);
  assert.equal(healthy.onDump(viewRouting(0), T0 + HOUR), false);
  assert.equal(healthy.onDump(viewRouting(0), T0 + 2 * HOUR, T0 / 1000 - 1), false);
  assert.equal(healthy.onDump(viewRouting(0), T0 + 3 * HOUR, T0 / 1000 - 1), true, "valid_until");
});
