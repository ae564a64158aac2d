import assert from "node:assert/strict";
import { PACK_INTEGER_MAX, packInteger, unpackInteger } from "../../lib/wire/pack_integer.ts";

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const unhex = (s: string) => Uint8Array.from(s.match(/../g)!, (h) => parseInt(h, 16));

Deno.test("spec §0 packInteger examples encode and decode exactly", () => {
  const examples: [number, string][] = [
    [0, "00"],
    [10, "0a"],
    [31, "1f"],
    [32, "2000"],
    [8223, "3fff"],
    [8224, "400000"],
    [100000, "416680"],
  ];
  for (const [value, encoded] of examples) {
    assert.equal(hex(packInteger(value)), encoded, `encode ${value}`);
    assert.deepEqual(unpackInteger(unhex(encoded)), {
      value: BigInt(value),
      length: encoded.length / 2,
    });
  }
});

Deno.test("statement 1: packInteger round-trips and byte order equals numeric order", () => {
  const samples: bigint[] = [];
  for (let v = 0n; v < 70000n; v++) samples.push(v);
  for (let s = 0n; s < 64n; s++) {
    const b = 1n << s;
    for (const d of [-1n, 0n, 1n]) {
      if (b + d >= 0n && b + d <= PACK_INTEGER_MAX) samples.push(b + d);
    }
  }
  for (let i = 0n; i < 2000n; i++) samples.push((i * 2654435761n) % (1n << 32n));
  samples.push(PACK_INTEGER_MAX);
  samples.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  let prev: string | undefined;
  for (const v of samples) {
    const enc = packInteger(v);
    const dec = unpackInteger(enc);
    assert.equal(dec.value, v);
    assert.equal(dec.length, enc.length);
    const h = hex(enc);
    if (prev !== undefined) assert.ok(prev <= h, `order at ${v}`);
    prev = h;
  }
});

Deno.test("packInteger rejects out-of-range values and truncated input", () => {
  assert.throws(() => packInteger(-1));
  assert.throws(() => packInteger(PACK_INTEGER_MAX + 1n));
  assert.throws(() => unpackInteger(new Uint8Array()));
  assert.throws(() => unpackInteger(unhex("40")));
});
