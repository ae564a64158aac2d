/** The external-port LCG (spec §13.1): range, full period, distinct tries, seed checks. */
import assert from "node:assert/strict";
import {
  PORT_BASE,
  PORT_COUNT,
  PortSequence,
  randomPortSeed,
} from "../../lib/node/upnp/port_sequence.ts";

const SEEDS = [
  { r1: 0, r2: 0, start: 0 },
  { r1: 2047, r2: 4095, start: 8191 },
  { r1: 1234, r2: 77, start: 4000 },
  { r1: 1, r2: 2048, start: 1 },
];

Deno.test("statement 56: port sequence has full period 8192 inside 32768–40959", () => {
  for (const seed of SEEDS) {
    const seq = new PortSequence(seed);
    const seen = new Set<number>();
    for (let i = 0; i < PORT_COUNT; i++) {
      const p = seq.next();
      assert.ok(p >= PORT_BASE && p <= 40959, `port ${p} out of range`);
      seen.add(p);
    }
    assert.equal(seen.size, PORT_COUNT, `seed ${JSON.stringify(seed)} misses ports`);
    // the period closes: the walk restarts where it began
    const again = new PortSequence(seed);
    const first = again.next();
    for (let i = 1; i < PORT_COUNT; i++) again.next();
    assert.equal(again.next(), first);
  }
});

Deno.test("port sequence: 15 successive tries are distinct for many random seeds", () => {
  let state = 42;
  const lcgRandom = (n: number) => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state % n;
  };
  for (let k = 0; k < 500; k++) {
    const seq = new PortSequence(randomPortSeed(lcgRandom));
    const tries = Array.from({ length: 15 }, () => seq.next());
    assert.equal(new Set(tries).size, 15);
  }
});

Deno.test("port sequence: injected randomness fixes the walk; a = 1 + 4·r1, c = 1 + 2·r2", () => {
  const seq = new PortSequence({ r1: 3, r2: 5, start: 10 });
  // a = 13, c = 11: 10 → 141 → 1844 → (13·1844 + 11) mod 8192
  assert.deepEqual([seq.next(), seq.next(), seq.next()], [
    PORT_BASE + 141,
    PORT_BASE + 1844,
    PORT_BASE + ((13 * 1844 + 11) % 8192),
  ]);
  const fixed = randomPortSeed((n) => n - 1);
  assert.deepEqual(fixed, { r1: 2047, r2: 4095, start: 8191 });
});

Deno.test("port sequence: out-of-range seeds are refused with a clear error", () => {
  for (
    const bad of [{ r1: 2048, r2: 0, start: 0 }, { r1: 0, r2: -1, start: 0 }, {
      r1: 0,
      r2: 0,
      start: 0.5,
    }]
  ) {
    assert.throws(() => new PortSequence(bad), /bad port sequence seed/);
  }
});
