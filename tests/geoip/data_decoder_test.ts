/**
 * The MMDB data-section decoder on byte layouts written by hand from the format specification
 * (not by our writer): every type, the three extended size forms, the four pointer forms, and
 * malformed fields that must end in an MmdbError.
 */
import assert from "node:assert/strict";
import { DataDecoder } from "../../lib/geoip/data_decoder.ts";
import { MmdbError } from "../../lib/geoip/error.ts";

const decode = (bytes: number[], offset = 0) =>
  new DataDecoder(new Uint8Array(bytes), 0, bytes.length).decode(offset);
const ascii = (s: string) => [...new TextEncoder().encode(s)];
const rejects = (bytes: number[], pattern: RegExp, offset = 0) =>
  assert.throws(
    () => decode(bytes, offset),
    (e) => e instanceof MmdbError && pattern.test(e.message),
  );

Deno.test("mmdb decoder: utf8 strings with inline and extended sizes", () => {
  assert.equal(decode([0x40]), "");
  assert.equal(decode([0x42, ...ascii("FR")]), "FR");
  assert.equal(decode([0x5c, ...ascii("x".repeat(28))]), "x".repeat(28));
  // 29 + next byte: 0x33 = 51 ⇒ 80 bytes
  assert.equal(decode([0x5d, 0x33, ...ascii("a".repeat(80))]), "a".repeat(80));
  // 285 + next two bytes: 0x0001 ⇒ 286 bytes
  assert.equal(decode([0x5e, 0x00, 0x01, ...ascii("b".repeat(286))]), "b".repeat(286));
  // 65821 + next three bytes: 0x000002 ⇒ 65823 bytes
  assert.equal(decode([0x5f, 0, 0, 2, ...ascii("c".repeat(65823))]), "c".repeat(65823));
  assert.equal(decode([0x43, 0x52, 0xc3, 0xa9]), "Ré");
});

Deno.test("mmdb decoder: integers, floats, booleans and bytes", () => {
  assert.equal(decode([0xa0]), 0, "uint16 of size 0 is 0");
  assert.equal(decode([0xa2, 0x01, 0x02]), 0x0102);
  assert.equal(decode([0xc1, 0x2a]), 42, "uint32 of one byte");
  assert.equal(decode([0xc4, 0xff, 0xff, 0xff, 0xff]), 0xffffffff);
  assert.equal(decode([0x04, 0x01, 0xff, 0xff, 0xff, 0xfe]), -2, "int32 two's complement");
  assert.equal(decode([0x01, 0x01, 0x7f]), 127, "int32 shorter than 4 bytes");
  assert.equal(decode([0x02, 0x02, 0x01, 0x00]), 256n, "uint64");
  assert.equal(decode([0x08, 0x02, ...new Array(8).fill(0xff)]), 2n ** 64n - 1n);
  assert.equal(decode([0x03, 0x03, 0x01, 0x00, 0x00]), 65536n, "uint128 of 3 bytes");
  assert.equal(decode([0x10, 0x03, 0x80, ...new Array(15).fill(0)]), 2n ** 127n);
  assert.equal(decode([0x68, 0x40, 0x09, 0x21, 0xfb, 0x54, 0x44, 0x2d, 0x18]), Math.PI, "double");
  assert.equal(decode([0x04, 0x08, 0x3f, 0xc0, 0x00, 0x00]), 1.5, "float");
  assert.equal(decode([0x01, 0x07]), true);
  assert.equal(decode([0x00, 0x07]), false);
  assert.deepEqual(decode([0x83, 1, 2, 3]), new Uint8Array([1, 2, 3]), "bytes");
});

Deno.test("mmdb decoder: maps and arrays, nested", () => {
  // {"country": {"iso_code": "FR"}, "n": [1, "x"]}
  const bytes = [
    0xe2,
    0x47,
    ...ascii("country"),
    0xe1,
    0x48,
    ...ascii("iso_code"),
    0x42,
    ...ascii("FR"),
    0x41,
    ...ascii("n"),
    0x02,
    0x04,
    0xc1,
    0x01,
    0x41,
    ...ascii("x"),
  ];
  assert.deepEqual(decode(bytes), { country: { iso_code: "FR" }, n: [1, "x"] });
  assert.deepEqual(decode([0xe0]), {}, "empty map");
  assert.deepEqual(decode([0x00, 0x04]), [], "empty array");
  const proto = decode([0xe1, 0x49, ...ascii("__proto__"), 0x41, ...ascii("y")]);
  assert.equal(Object.getPrototypeOf(proto), Object.prototype, "a __proto__ key is only data");
  assert.equal(Object.getOwnPropertyDescriptor(proto, "__proto__")?.value, "y");
});

Deno.test("mmdb decoder: the four pointer encodings, relative to the section start", () => {
  // size 0: 11-bit value; the target string sits at offset 2
  assert.equal(decode([0x20, 0x02, 0x41, ...ascii("a")]), "a");
  // size 1: 19-bit value + 2048
  const s1 = [0x28, 0x00, 0x03, 0x00, 0x00, ...new Array(2048 + 3 - 5).fill(0xa0)];
  s1.push(0x41, ...ascii("b"));
  assert.equal(decode(s1), "b");
  // size 2: 27-bit value + 526336
  const s2 = new Array(526336 + 4).fill(0xa0);
  s2.splice(0, 4, 0x30, 0x00, 0x00, 0x04);
  s2.push(0x41, ...ascii("c"));
  assert.equal(decode(s2), "c");
  // size 3: plain 32-bit value, the 3 low bits of the control byte ignored
  assert.equal(decode([0x3f, 0x00, 0x00, 0x00, 0x05, 0x41, ...ascii("d")]), "d");
  // pointers as map keys and values: {"k": "k"} sharing one string
  assert.deepEqual(decode([0x41, ...ascii("k"), 0xe1, 0x20, 0x00, 0x20, 0x00], 2), { k: "k" });
});

Deno.test("mmdb decoder: malformed fields are MmdbErrors", () => {
  rejects([0x42, 0x46], /truncated/);
  rejects([0x5d], /truncated/);
  rejects([0xc2, 0x01], /truncated/);
  rejects([0xc5, 1, 2, 3, 4, 5], /uint32 of size 5/);
  rejects([0xa3, 1, 2, 3], /uint16 of size 3/);
  rejects([0x05, 0x01, 1, 2, 3, 4, 5], /int32 of size 5/);
  rejects([0x67, 0, 0, 0, 0, 0, 0, 0], /double of size 7/);
  rejects([0x02, 0x07], /boolean of size 2/);
  rejects([0x42, 0xff, 0xfe], /invalid UTF-8/);
  rejects([0x00, 0x06], /end marker/);
  rejects([0x00, 0x05], /cache container/);
  rejects([0x00, 0x00], /unknown extended type 7/);
  rejects([0x00, 0x09], /unknown extended type 16/);
  rejects([0x20, 0x09], /past the section end/);
  rejects([0x20, 0x02, 0x20, 0x00], /points to another pointer/);
  rejects([0xe1, 0xc1, 0x01, 0x41, 0x61], /map key of type number/);
  rejects([0xfd, 0xff], /claims/);
  rejects([0x1f, 0x04, 0xff, 0xff, 0xff], /claims/);
  rejects([0x40], /outside/, 1);
  rejects([0x40], /outside/, -1);
});

Deno.test("mmdb decoder: pointer cycles and value bombs end quickly in an MmdbError", () => {
  // {"a": <pointer to this map>}: infinite through pointers
  rejects([0xe1, 0x41, ...ascii("a"), 0x20, 0x00], /nested deeper/);
  // an array of 1000 pointers to an array of 1000 values: a million values
  const n = 1000;
  const bytes = [0x1e, 0x04, ...be16(n - 285), ...new Array(n).fill(0xa0)];
  const outer = bytes.length;
  bytes.push(0x1e, 0x04, ...be16(n - 285));
  for (let i = 0; i < n; i++) bytes.push(0x20, 0x00);
  const started = performance.now();
  rejects(bytes, /more than 100000 values/, outer);
  assert.ok(performance.now() - started < 5000, "bounded work");
});

function be16(v: number): number[] {
  return [v >> 8, v & 0xff];
}
