import assert from "node:assert/strict";
import crypto from "node:crypto";
import {
  decodeHello,
  decodeHello0,
  decodeHello0Fingerprint,
  encodeData,
  encodeHello,
  encodeHello0,
  encodeHello0Fingerprint,
  openData,
  PacketError,
  packetSeq,
} from "../../lib/node/peer/packet.ts";
import { decodeLocalDatagram, encodeLocalDatagram } from "../../lib/node/peer/local.ts";
import { compareBytes, timeSecret } from "../../lib/node/peer/secret.ts";
import { seededRandom } from "./fixtures.ts";

function ok<T>(x: T | PacketError): T {
  if (x instanceof PacketError) throw new Error(`unexpected ${x}`);
  return x;
}

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const bytes = (h: string) => new Uint8Array(h.match(/../g)!.map((x) => parseInt(x, 16)));

Deno.test("hello0 is seq 0 followed by the DER certificate", () => {
  const cert = bytes("3082aabb");
  assert.deepEqual(hex(encodeHello0(cert)), "000000003082aabb");
  const d = ok(decodeHello0(encodeHello0(cert).subarray(4)));
  assert.deepEqual(hex(d.cert), "3082aabb");
  assert.ok(decodeHello0(new Uint8Array(0)) instanceof PacketError);
});

Deno.test("hello0 with fingerprint: seq 1, packInteger(protocol), SHA1, DER", () => {
  const fp = new Uint8Array(20).fill(0xee);
  const p = encodeHello0Fingerprint(10, fp, bytes("3082"));
  assert.deepEqual(hex(p), "00000001" + "0a" + "ee".repeat(20) + "3082");
  assert.deepEqual(packetSeq(p), 1);
  const d = ok(decodeHello0Fingerprint(p.subarray(4), true));
  assert.deepEqual([d.protocol, hex(d.fingerprint!), hex(d.cert)], [10, "ee".repeat(20), "3082"]);
  // protocol 40 needs two packInteger bytes (0x2008)
  assert.deepEqual(hex(encodeHello0Fingerprint(40, fp, bytes("30")).subarray(4, 6)), "2008");
  // protocol-0 layout: no integer
  const legacy = encodeHello0Fingerprint(null, fp, bytes("3082"));
  assert.deepEqual(hex(legacy), "00000001" + "ee".repeat(20) + "3082");
  const l = ok(decodeHello0Fingerprint(legacy.subarray(4), false));
  assert.deepEqual([l.protocol, hex(l.cert)], [undefined, "3082"]);
});

Deno.test("hello0 with fingerprint: truncated or garbled input gives a typed error", () => {
  for (const body of ["", "0a", "0a" + "ee".repeat(20), "3f", "e0"]) {
    const d = decodeHello0Fingerprint(bytes(body || "00").subarray(body ? 0 : 1), true);
    assert.ok(d instanceof PacketError, body);
  }
  // an absurd protocol number (7 extra bytes) is garbled, not a crash
  const big = decodeHello0Fingerprint(bytes("ffffffffffffffff" + "00".repeat(30)), true);
  assert.ok(big instanceof PacketError);
  assert.deepEqual((big as PacketError).reason, "garbled");
});

Deno.test("hello: seq 2, optional protocol, equal halves E and S", () => {
  const e = new Uint8Array(4).fill(1), s = new Uint8Array(4).fill(2);
  assert.deepEqual(hex(encodeHello(10, e, s)), "00000002" + "0a" + "01".repeat(4) + "02".repeat(4));
  assert.deepEqual(hex(encodeHello(null, e, s)), "00000002" + "01".repeat(4) + "02".repeat(4));
  const d = ok(decodeHello(encodeHello(10, e, s).subarray(4), true));
  assert.deepEqual([d.protocol, hex(d.e), hex(d.s)], [10, "01010101", "02020202"]);
  const d0 = ok(decodeHello(encodeHello(null, e, s).subarray(4), false));
  assert.deepEqual([d0.protocol, hex(d0.e)], [undefined, "01010101"]);
  assert.ok(decodeHello(bytes("0a010203"), true) instanceof PacketError); // odd halves
  assert.ok(decodeHello(bytes("0a"), true) instanceof PacketError); // no key
});

Deno.test("data: seq ‖ payload ‖ HMAC-SHA1(secret, seq ‖ payload)", () => {
  const secret = new Uint8Array(20).fill(7);
  const p = encodeData(3, bytes("0401"), secret);
  const mac = crypto.createHmac("sha1", secret).update(bytes("000000030401")).digest();
  assert.deepEqual(hex(p), "000000030401" + hex(mac));
  assert.deepEqual(hex(openData(p, secret) as Uint8Array), "0401");
  assert.deepEqual(openData(p, new Uint8Array(20)), null);
  const tampered = p.slice();
  tampered[5] ^= 1;
  assert.deepEqual(openData(tampered, secret), null);
  assert.ok(openData(p.subarray(0, 23), secret) instanceof PacketError);
  // empty payload (acknowledgement)
  assert.deepEqual(
    (openData(encodeData(9, new Uint8Array(0), secret), secret) as Uint8Array).length,
    0,
  );
});

Deno.test("random garbage never makes a decoder throw", () => {
  const rnd = seededRandom(42);
  for (let i = 0; i < 2000; i++) {
    const buf = rnd(rnd(1)[0] % 64);
    decodeHello0(buf);
    decodeHello0Fingerprint(buf, true);
    decodeHello0Fingerprint(buf, false);
    decodeHello(buf, true);
    decodeHello(buf, false);
    openData(buf, buf);
    decodeLocalDatagram(buf);
  }
});

Deno.test("local forwarding datagrams: <bits> 0x00 <code> [data]", () => {
  const d = encodeLocalDatagram("0101", 1, new TextEncoder().encode("x"));
  assert.deepEqual(hex(d), "30313031" + "00" + "01" + "78");
  const back = ok(decodeLocalDatagram(d));
  assert.deepEqual([back.prefix, back.code, hex(back.data)], ["0101", 1, "78"]);
  assert.ok(decodeLocalDatagram(bytes("30310101")) instanceof PacketError); // no separator
  assert.ok(decodeLocalDatagram(bytes("30320001")) instanceof PacketError); // '2' is not a bit
  assert.ok(decodeLocalDatagram(bytes("3031" + "00")) instanceof PacketError); // no code
  assert.ok(decodeLocalDatagram(bytes("0001")) instanceof PacketError); // empty prefix
});

Deno.test("time-based secrets: 8 bytes of µs time then random; newer compares greater", () => {
  const rnd = seededRandom(1);
  const a = timeSecret(1_700_000_000_000, rnd);
  const b = timeSecret(1_700_000_000_001, rnd);
  assert.deepEqual(a.length, 20);
  assert.deepEqual(new DataView(a.buffer).getBigUint64(0), 1_700_000_000_000_000n);
  assert.ok(compareBytes(b, a) > 0);
  assert.ok(compareBytes(a, a) === 0);
});
