import assert from "node:assert/strict";
import {
  children,
  derInteger,
  derOid,
  derSeq,
  derString,
  derTime,
  encInteger,
  encOid,
  encTime,
  encUtf8,
  readDer,
  tlv,
} from "../../lib/pki/der.ts";
import { PkiError } from "../../lib/pki/errors.ts";

Deno.test("integers round-trip with minimal two's complement encoding", () => {
  for (
    const n of [0n, 1n, 127n, 128n, 255n, 256n, -1n, -128n, -129n, 0x120010db80042n, 2n ** 200n]
  ) {
    assert.equal(derInteger(readDer(encInteger(n))), n);
  }
  assert.deepEqual([...encInteger(128n)], [2, 2, 0, 128]);
  assert.deepEqual([...encInteger(0x120010db80042n)], [
    2,
    7,
    1,
    0x20,
    0x01,
    0x0d,
    0xb8,
    0x00,
    0x42,
  ]);
});

Deno.test("OIDs and times round-trip", () => {
  for (const oid of ["1.2.840.113549.1.1.13", "2.5.4.3", "0.9.2342.19200300.100.1.25", "2.999.1"]) {
    assert.equal(derOid(readDer(encOid(oid))), oid);
  }
  for (const iso of ["2026-11-22T01:02:03Z", "1950-01-01T00:00:00Z", "2049-12-31T23:59:59Z"]) {
    assert.equal(derTime(readDer(encTime(new Date(iso)))).toISOString(), iso.replace("Z", ".000Z"));
  }
  const far = encTime(new Date("2050-01-01T00:00:00Z"));
  assert.equal(far[0], 0x18, "GeneralizedTime from 2050 on");
  assert.equal(derTime(readDer(far)).getUTCFullYear(), 2050);
  assert.equal(derString(readDer(encUtf8("é/16"))), "é/16");
});

Deno.test("long lengths and nesting are read back", () => {
  const big = derSeq(tlv(0x04, new Uint8Array(70000)), encInteger(5n));
  const [octets, five] = children(readDer(big));
  assert.equal(octets.value.length, 70000);
  assert.equal(derInteger(five), 5n);
});

Deno.test("malformed DER throws PkiError('malformed'), never reads out of bounds", () => {
  const good = derSeq(encInteger(5n), encUtf8("x"));
  const bad: Uint8Array[] = [
    new Uint8Array([]),
    new Uint8Array([0x30]),
    good.subarray(0, good.length - 1), // truncated
    new Uint8Array([...good, 0]), // trailing byte
    new Uint8Array([0x30, 0x80, 0, 0]), // indefinite length
    new Uint8Array([0x30, 0x85, 1, 1, 1, 1, 1]), // 5-byte length
    new Uint8Array([0x30, 0x81, 0x05, 2, 1, 1, 2, 1]), // non-minimal length
    new Uint8Array([0x1f, 0x81, 0x01, 0x00]), // multi-byte tag
    new Uint8Array([0x30, 0x03, 0x02, 0x05, 0x01]), // inner length beyond outer
  ];
  for (const b of bad) {
    assert.throws(
      () => children(readDer(b)),
      (e) => e instanceof PkiError && e.code === "malformed",
    );
  }
  let deep = encInteger(1n);
  for (let i = 0; i < 40; i++) deep = derSeq(deep);
  assert.throws(() => readDer(deep), /nesting too deep/);
  assert.throws(() => derInteger(readDer(new Uint8Array([2, 0]))), /empty INTEGER/);
  assert.throws(() => derOid(readDer(new Uint8Array([6, 1, 0x81]))), /bad OID/);
  assert.throws(
    () => derTime(readDer(tlv(0x17, new TextEncoder().encode("261322010203Z")))),
    /invalid date/,
  );
  assert.throws(
    () => derTime(readDer(tlv(0x17, new TextEncoder().encode("2611220102+0100")))),
    /UTCTime/,
  );
  assert.throws(
    () => derString(readDer(tlv(0x0c, new Uint8Array([0xff, 0xfe])))),
    /string encoding/,
  );
  assert.throws(() => derString(readDer(encInteger(1n))), /not a string/);
});
