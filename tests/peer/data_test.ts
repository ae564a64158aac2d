import assert from "node:assert/strict";
import { encodeData, packetSeq } from "../../lib/node/peer/packet.ts";
import { addressOf, TestNet } from "./harness.ts";
import { seededRandom, testPki } from "./fixtures.ts";

const pki = await testPki();
const [n1, n2] = pki.nodes;
const T = Date.now();

function connectedPair() {
  const net = new TestNet(pki);
  const a = net.add(n1, { now: T });
  const b = net.add(n2, { now: T });
  net.run(a.prefix, a.send(b.prefix, null, T));
  net.flush(T);
  return { net, a, b };
}

const sends = (actions: { type: string }[]) => actions.filter((x) => x.type === "send").length;

Deno.test("statement 40: replayed or old sequence numbers and wrong HMACs are dropped", () => {
  const { net, a, b } = connectedPair();
  net.run(b.prefix, b.sendMessage(a.prefix, 2, new Uint8Array(0), T));
  net.run(b.prefix, b.sendMessage(a.prefix, 3, new Uint8Array(0), T));
  const [first, second] = net.queue.splice(0).map((d) => d.data);
  const src = addressOf(b.prefix);
  assert.equal(sends(net.inject(a.prefix, src, second, T)), 1); // seq 5 accepted
  assert.equal(sends(net.inject(a.prefix, src, first, T)), 0); // seq 4 < 5: dropped
  assert.equal(sends(net.inject(a.prefix, src, second, T)), 0); // replay: dropped
  assert.equal(net.logsOf(a.prefix, "(replay)").length, 2);
  const tampered = second.slice();
  tampered[4] ^= 0x01;
  new DataView(tampered.buffer).setUint32(0, 1000);
  assert.equal(sends(net.inject(a.prefix, src, tampered, T)), 0);
  assert.equal(net.logsOf(a.prefix, "bad HMAC").length, 1);
  // a packet keyed with a made-up secret
  const fake = encodeData(2000, new Uint8Array([4]), new Uint8Array(20).fill(9));
  assert.equal(sends(net.inject(a.prefix, src, fake, T)), 0);
  assert.equal(net.logsOf(a.prefix, "bad HMAC").length, 2);
  // only the accepted message reached the tunnel manager
  assert.deepEqual(net.messages.map((m) => m.code), [3]);
});

Deno.test("statement 41: non-empty messages are always answered, empty ones never", () => {
  const { net, a, b } = connectedPair();
  const count = net.delivered.length;
  // code 4 request: answered with data; code 2: answered with an empty ack
  net.run(a.prefix, a.sendMessage(b.prefix, 4, new Uint8Array(0), T));
  net.run(a.prefix, a.sendMessage(b.prefix, 2, new Uint8Array(0), T));
  net.run(a.prefix, a.sendMessage(b.prefix, 0x55, new Uint8Array(0), T)); // unknown code
  net.run(a.prefix, a.send(b.prefix, new Uint8Array(0), T)); // empty payload
  net.flush(T);
  const flow = net.delivered.slice(count).map((d) => ({
    dir: d.from === addressOf(a.prefix) ? "A→B" : "B→A",
    len: d.data.length - 24,
    code: d.data.length > 24 ? d.data[4] : -1,
  }));
  assert.deepEqual(flow.map((f) => [f.dir, f.code]), [
    ["A→B", 4],
    ["A→B", 2],
    ["A→B", 0x55],
    ["A→B", -1], // the empty message …
    ["B→A", 4], // … and the answers: code 4 with the software string
    ["B→A", -1], // ack of code 2
    ["B→A", -1], // ack of the unknown code
    ["A→B", -1], // A acknowledges the non-empty code-4 answer; nothing answers acks
  ]);
});

Deno.test("the code byte of answers is echoed exactly, including bit 0x80", () => {
  const { net, a, b } = connectedPair();
  net.run(a.prefix, a.sendMessage(b.prefix, 0x84, new Uint8Array(0), T));
  net.step(T);
  const answer = net.queue[0].data;
  assert.equal(answer[4], 0x84);
  assert.equal(new TextDecoder().decode(answer.subarray(5, -20)), "0.1.0, test");
});

Deno.test("a stream of garbage from a peer's address crashes nothing and breaks no session", () => {
  const { net, a, b } = connectedPair();
  const rnd = seededRandom(7);
  const src = addressOf(b.prefix);
  for (let i = 0; i < 3000; i++) {
    const len = rnd(1)[0] * 4 % 700;
    const packet = rnd(len);
    if (len >= 4) new DataView(packet.buffer).setUint32(0, i % 5); // every kind of seq
    const out = net.inject(a.prefix, src, packet, T);
    assert.ok(out.every((x) => x.type === "log" || (x.type === "send" && packetSeq(x.data) < 2)));
  }
  net.queue.length = 0; // hello0 answers to garbage hellos (none should be produced anyway)
  net.run(b.prefix, b.sendMessage(a.prefix, 4, new Uint8Array(0), T + 1));
  net.flush(T + 1);
  assert.equal(net.messages.at(-1)!.code, 4, "the session still works");
});

Deno.test("mutated copies of every real packet kind crash nothing and break no session", () => {
  const { net, a, b } = connectedPair();
  net.run(a.prefix, a.sendMessage(b.prefix, 1, new Uint8Array(0), T));
  net.flush(T);
  const real = net.delivered.map((d) => ({ from: d.from, data: d.data }));
  assert.deepEqual([...new Set(real.map((d) => Math.min(packetSeq(d.data), 3)))].sort(), [
    0,
    1,
    2,
    3,
  ]);
  const rnd = seededRandom(11);
  for (let i = 0; i < 4000; i++) {
    const { from, data } = real[i % real.length];
    let p = data.slice();
    const r = rnd(3);
    if (r[0] % 3 === 0) p[r[1] % p.length] ^= 1 << (r[2] % 8); // flip one bit
    else if (r[0] % 3 === 1) p = p.subarray(0, r[1] * p.length >> 8); // truncate
    else p = new Uint8Array([...p, ...rnd(r[1] % 40)]); // extend
    const to = from === addressOf(a.prefix) ? b.prefix : a.prefix;
    const out = net.inject(to, from, p, T + 1);
    assert.ok(out.every((x) => x.type !== "message"), "nothing forged reaches the daemon");
  }
  net.queue.length = 0;
  // sessions may have been re-keyed by mutated hello0s that still verify; a fresh exchange
  // (after the rate-limit window) always restores them
  const t = T + 120_000;
  net.run(a.prefix, a.sendMessage(b.prefix, 4, new Uint8Array(0), t));
  net.flush(t);
  net.run(a.prefix, a.sendMessage(b.prefix, 4, new Uint8Array(0), t + 1));
  net.flush(t + 1);
  assert.equal(net.messages.at(-1)!.code, 4);
});
