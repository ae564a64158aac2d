import assert from "node:assert/strict";
import { PeerSession } from "../../lib/node/peer/session.ts";
import { PeerTable } from "../../lib/node/peer/peer_table.ts";
import { encodeData } from "../../lib/node/peer/packet.ts";

const secret = (b: number) => new Uint8Array(20).fill(b);

Deno.test("connected: confirmed, or < 60 s since the first unanswered send", () => {
  const p = new PeerSession("01", secret(1));
  assert.equal(p.connected(0), false, "a new entry is not connected");
  p.rekey(secret(2), false); // our own hello: timer starts at its send
  p.noteSent(1000);
  assert.equal(p.connected(60_999), true);
  p.noteSent(30_000); // later sends do not restart a pending timer
  assert.equal(p.connected(61_000), false);
  assert.equal(typeof p.open(encodeData(3, new Uint8Array([4]), secret(2)), 3), "object");
  assert.equal(p.confirmed, true);
  assert.equal(p.connected(10_000_000), true, "confirmed stays connected");
  p.noteSent(10_000_000); // a request after a long silence: 60 s to get an answer
  assert.equal(p.connected(10_060_000), false);
});

Deno.test("data validity: HMAC with the current secret and seq above the last accepted", () => {
  const p = new PeerSession("01", secret(1));
  p.rekey(secret(5), true);
  assert.equal(p.open(encodeData(3, new Uint8Array(0), secret(6)), 3), "bad HMAC");
  assert.deepEqual(p.open(encodeData(7, new Uint8Array([1]), secret(5)), 7), new Uint8Array([1]));
  assert.match(p.open(encodeData(7, new Uint8Array([1]), secret(5)), 7) as string, /replay/);
  assert.match(p.open(encodeData(6, new Uint8Array([1]), secret(5)), 6) as string, /replay/);
  assert.match(p.open(new Uint8Array(10), 3) as string, /truncated/);
  // outgoing counter restarts at 3 after a new key
  p.rekey(secret(9), true);
  assert.equal(new DataView(p.seal(new Uint8Array(0)).buffer).getUint32(0), 3);
});

Deno.test("hello0 rate limit and the separate answer slot", () => {
  const p = new PeerSession("01", secret(1));
  assert.equal(p.takeHello0Slot(0), true);
  assert.equal(p.takeHello0Slot(59_999), false);
  assert.equal(p.takeAnswerSlot(1), true, "answers do not use our own slot");
  assert.equal(p.takeAnswerSlot(2), false);
  assert.equal(p.takeAnswerSlot(60_000), false);
  assert.equal(p.takeHello0Slot(60_000), true);
  assert.equal(p.takeAnswerSlot(60_001), true);
});

Deno.test("an exhausted sequence space makes the session need a new key", () => {
  const p = new PeerSession("01", secret(1));
  p.rekey(secret(2), true);
  p.outSeq = 0xfffffffe;
  assert.equal(p.connected(0), true);
  p.seal(new Uint8Array(0));
  assert.equal(p.canSeal, false);
  assert.equal(p.connected(0), false);
});

Deno.test("peer table: greatest known prefix ≤ S that is a prefix of S", () => {
  const t = new PeerTable();
  for (const prefix of ["0011", "0001", "01", "0010"]) t.insert(new PeerSession(prefix, secret(0)));
  assert.deepEqual(t.values().map((p) => p.prefix), ["0001", "0010", "0011", "01"]);
  assert.equal(t.lookup("0010111")?.prefix, "0010");
  assert.equal(t.lookup("0111")?.prefix, "01");
  assert.equal(t.lookup("0000111"), undefined, "nothing ≤ S");
  assert.equal(t.lookup("1000"), undefined, "01 is ≤ S but does not own it");
  assert.equal(t.get("001"), undefined);
  assert.equal(t.remove("0010")?.prefix, "0010");
  assert.equal(t.lookup("0010111"), undefined);
  assert.equal(t.size, 3);
});
