import assert from "node:assert/strict";
import { encodeHello0, encodeHello0Fingerprint, packetSeq } from "../../lib/node/peer/packet.ts";
import { addressOf, TestNet } from "./harness.ts";
import { caCertVerifier } from "../../lib/node/peer/cert_verifier.ts";
import { prefix16, testPki } from "./fixtures.ts";
import crypto from "node:crypto";
import { openData, SEQ_HELLO } from "../../lib/node/peer/packet.ts";
import { rsaDecrypt, rsaSign, rsaVerify } from "../../lib/pki/rsa.ts";
import { encodeData } from "../../lib/node/peer/packet.ts";

const pki = await testPki();
const [n1, n2, n3] = pki.nodes;
const T = Date.now();
const te = new TextEncoder();
const td = new TextDecoder();

/** Two machines, 1/16 and 2/16, with an established session (1 → 2). */
function connectedPair(now = T) {
  const net = new TestNet(pki);
  const a = net.add(n1, { now });
  const b = net.add(n2, { now });
  net.run(a.prefix, a.send(b.prefix, null, now));
  net.flush(now);
  return { net, a, b };
}

Deno.test("statement 38: a session takes two round trips and starts with the version", () => {
  const net = new TestNet(pki);
  const a = net.add(n1, { now: T });
  const b = net.add(n2, { now: T });
  net.run(a.prefix, a.send(b.prefix, null, T));
  const flow = net.flush(T);
  const seqs = flow.map((d) => `${d.from === addressOf(a.prefix) ? "A" : "B"}${packetSeq(d.data)}`);
  // hello0 → hello0+fingerprint → hello (session key) → first data = version, then its ack
  assert.deepEqual(seqs, ["A0", "B1", "A2", "B3", "A3"]);
  assert.equal(packetSeq(flow[0].data), 0);
  assert.ok("prefix" in flow[0].to && flow[0].to.prefix === b.prefix, "first send goes to P");
  // the first authenticated message (seq 3 from B, keyed by A's secret) is code 0 + version
  assert.equal(flow[3].data[4], 0);
  assert.deepEqual(flow[3].data.subarray(5, 5 + pki.version(1).length), pki.version(1));
  assert.ok(a.peer(b.prefix, T)!.connected && b.peer(a.prefix, T)!.connected);
  assert.equal(a.peer(b.prefix, T)!.protocol, 10);
  assert.equal(b.peer(a.prefix, T)!.protocol, 10);
  // afterwards messages flow both ways
  net.run(a.prefix, a.sendMessage(b.prefix, 4, new Uint8Array(0), T));
  net.run(b.prefix, b.sendMessage(a.prefix, 4, new Uint8Array(0), T));
  // request, answer ("04" + software), empty acknowledgement of the answer
  assert.equal(net.flush(T).length, 6);
  assert.deepEqual(
    net.messages.map((m) => [m.node, m.peer, m.code, td.decode(m.data)]),
    [[a.prefix, b.prefix, 4, "0.1.0, test"], [b.prefix, a.prefix, 4, "0.1.0, test"]],
  );
});

Deno.test("statement 39: simultaneous session hellos converge on the newer secret", () => {
  const net = new TestNet(pki);
  const a = net.add(n1, { now: T });
  const b = net.add(n2, { now: T });
  // each learns the other's certificate from a hello0; their answers get lost
  net.inject(a.prefix, addressOf(b.prefix), encodeHello0(n2.cert), T);
  net.inject(b.prefix, addressOf(a.prefix), encodeHello0(n1.cert), T);
  net.queue.length = 0;
  // once the rate limit allows, both start a session at the same time: two seq-1 hellos
  const t1 = T + 60_000;
  net.run(a.prefix, a.send(b.prefix, null, t1));
  net.run(b.prefix, b.send(a.prefix, null, t1));
  assert.deepEqual(net.queue.map((d) => packetSeq(d.data)), [1, 1]);
  net.step(t1); // B answers A with a session key made at t1
  net.step(t1 + 5); // A answers B with a session key made at t1 + 5: the newer one
  assert.deepEqual(net.queue.map((d) => packetSeq(d.data)), [SEQ_HELLO, SEQ_HELLO]);
  net.flush(t1 + 10);
  assert.equal(net.logsOf(a.prefix, "session key not newer").length, 1, "A rejects B's key");
  assert.equal(net.logsOf(b.prefix, "session established").length, 1, "B adopts A's key");
  assert.equal(net.logsOf(a.prefix, "session established").length, 0);
  // both now share A's secret: requests both ways are delivered and acknowledged
  const before = net.messages.length;
  net.run(a.prefix, a.sendMessage(b.prefix, 2, new Uint8Array(0), t1 + 20));
  net.run(b.prefix, b.sendMessage(a.prefix, 3, new Uint8Array(0), t1 + 20));
  assert.equal(net.flush(t1 + 20).length, 4);
  assert.deepEqual(
    net.messages.slice(before).map((m) => [m.node, m.code]),
    [[b.prefix, 2], [a.prefix, 3]],
  );
  assert.equal(net.logs.filter((l) => l.msg.includes("data dropped")).length, 0);
});

Deno.test("crossing hello0s: a session without waiting for the 60 s rate limit", () => {
  const net = new TestNet(pki);
  const a = net.add(n1, { now: T });
  const b = net.add(n2, { now: T });
  net.run(a.prefix, a.send(b.prefix, null, T));
  net.run(b.prefix, b.send(a.prefix, null, T));
  const flow = net.flush(T + 1);
  const seqs = flow.map((d) => packetSeq(d.data));
  // both hello0s cross; each side answers the other's with its fingerprinted hello0 (answer
  // slot), each then offers a session key
  assert.deepEqual(seqs.slice(0, 6), [0, 0, 1, 1, SEQ_HELLO, SEQ_HELLO]);
  assert.ok(a.peer(b.prefix, T + 1)!.connected && b.peer(a.prefix, T + 1)!.connected);
  // both key offers crossed: exactly one side kept its own key, and messages flow
  net.run(a.prefix, a.sendMessage(b.prefix, 2, new Uint8Array(0), T + 2));
  net.run(b.prefix, b.sendMessage(a.prefix, 3, new Uint8Array(0), T + 2));
  net.flush(T + 2);
  assert.deepEqual(net.messages.map((m) => m.code), [2, 3]);
  assert.equal(net.logs.filter((l) => l.msg.includes("data dropped")).length, 0);
  // a replayed hello0 within the window gets no second answer
  const replay = net.inject(a.prefix, addressOf(b.prefix), encodeHello0(n2.cert), T + 3);
  assert.ok(!replay.some((x) => x.type === "send"));
});

Deno.test("a lost hello0 does not stall the session for 60 s", () => {
  const net = new TestNet(pki);
  const a = net.add(n1, { now: T });
  const b = net.add(n2, { now: T });
  // A's hello0 goes nowhere (B not routed yet): A's own slot is used for 60 s
  net.run(a.prefix, a.send(b.prefix, null, T));
  assert.equal(net.queue.length, 1);
  net.queue.length = 0;
  // 5 s later B starts a session: its seq-0 hello0 shows it lacks A's certificate
  const t = T + 5_000;
  net.run(b.prefix, b.send(a.prefix, null, t));
  const flow = net.flush(t);
  assert.deepEqual(
    flow.map((d) => `${d.from === addressOf(a.prefix) ? "A" : "B"}${packetSeq(d.data)}`),
    ["B0", "A1", "B2", "A3", "B3"],
    "A answers with its fingerprinted hello0, B sends a key, A starts with its version",
  );
  assert.ok(a.peer(b.prefix, t)!.connected && b.peer(a.prefix, t)!.connected);
  net.run(b.prefix, b.sendMessage(a.prefix, 4, new Uint8Array(0), t + 1));
  net.flush(t + 1);
  assert.deepEqual(net.messages.map((m) => [m.node, m.code]), [[b.prefix, 4]], "B got A's answer");
  // A's own initiative is still rate-limited: statement 42 holds
  const again = a.send(b.prefix, null, t + 2);
  assert.ok(!again.some((x) => x.type === "send"));
});

Deno.test("statement 42: at most one hello0/1 per peer per 60 s", () => {
  const net = new TestNet(pki);
  const a = net.add(n1, { now: T });
  for (let t = T; t < T + 59_000; t += 1000) net.run(a.prefix, a.send(n2.prefix, null, t));
  assert.equal(net.queue.length, 1);
  net.run(a.prefix, a.send(n2.prefix, te.encode("\x04"), T + 60_000));
  assert.equal(net.queue.length, 2);
  assert.equal(packetSeq(net.queue[1].data), 0, "message dropped, only a hello0 left");
  assert.equal(net.logsOf(a.prefix, "message dropped").length, 1);
});

Deno.test("statement 42: a hello0 the kernel refused to send does not use the 60 s slot", () => {
  const net = new TestNet(pki);
  const a = net.add(n1, { now: T });
  const first = a.send(n2.prefix, null, T).find((x) => x.type === "send");
  assert.ok(first?.type === "send");
  assert.ok(!a.send(n2.prefix, null, T + 1000).some((x) => x.type === "send"), "rate-limited");
  a.sendFailed({ prefix: n2.prefix }, te.encode("\x04")); // not a hello0: the slot stays used
  assert.ok(!a.send(n2.prefix, null, T + 1500).some((x) => x.type === "send"));
  a.sendFailed(first.to, first.data); // e.g. no route to the peer yet
  const again = a.send(n2.prefix, null, T + 2000).filter((x) => x.type === "send");
  assert.equal(again.length, 1, "hello0 sent again");
  assert.ok(!a.send(n2.prefix, null, T + 3000).some((x) => x.type === "send"), "slot used again");
  // a hello0 answering one received (sent to the source address) counts the same way
  const b = net.add(n2, { now: T });
  const reply = net.inject(b.prefix, addressOf(n1.prefix), encodeHello0(n1.cert), T)
    .find((x) => x.type === "send");
  assert.ok(reply?.type === "send" && "address" in reply.to);
  assert.ok(!b.send(n1.prefix, null, T + 1000).some((x) => x.type === "send"), "rate-limited");
  assert.ok(b.sendFailed(reply.to, reply.data));
  assert.ok(b.send(n1.prefix, null, T + 2000).some((x) => x.type === "send"), "hello0 again");
});

Deno.test("statement 19: hellos with expired, foreign-CA or revoked certificates are ignored", () => {
  const net = new TestNet(pki);
  const a = net.add(n1, { now: T });
  const src = addressOf(prefix16(3));
  const cases = [
    [pki.expired, "expired"],
    [pki.foreign, "certificate not signed by CA"],
    [pki.revoked, "revoked"],
  ] as const;
  for (const [node, why] of cases) {
    const fp = crypto.createHash("sha1").update(n1.cert).digest();
    for (const packet of [encodeHello0(node.cert), encodeHello0Fingerprint(10, fp, node.cert)]) {
      const actions = net.inject(a.prefix, src, packet, T);
      assert.ok(!actions.some((x) => x.type === "send"), `${why}: no answer`);
      assert.ok(net.logsOf(a.prefix, why).length > 0, `${why}: logged`);
    }
  }
  assert.equal(a.peer(prefix16(3), T), undefined);
  // the valid certificate of 3/16 from the same source is accepted and answered
  const ok = net.inject(a.prefix, src, encodeHello0(n3.cert), T);
  assert.ok(ok.some((x) => x.type === "send"));
});

Deno.test("statement 37: the certificate prefix must match the source address", () => {
  const net = new TestNet(pki);
  const a = net.add(n1, { now: T });
  // 2/16's certificate sent from 3/16's address
  const actions = net.inject(a.prefix, addressOf(prefix16(3)), encodeHello0(n2.cert), T);
  assert.ok(!actions.some((x) => x.type === "send"));
  assert.equal(net.logsOf(a.prefix, "cert from wrong source").length, 1);
  // sources outside 2001:db8:42::/48 are dropped before anything else
  net.inject(a.prefix, "2001:db8:43:2::1", encodeHello0(n2.cert), T);
  net.inject(a.prefix, "fd00::2", encodeHello0(n2.cert), T);
  assert.equal(net.logsOf(a.prefix, "outside the network").length, 2);
  // scoped sources are ignored, ≤ 4-byte datagrams are dropped
  net.inject(a.prefix, "fe80::1%eth0", encodeHello0(n2.cert), T);
  assert.equal(net.logsOf(a.prefix, "scoped").length, 1);
  net.inject(a.prefix, addressOf(n2.prefix), new Uint8Array(4), T);
  assert.equal(net.logsOf(a.prefix, "4-byte").length, 1);
  assert.equal(a.peer(n2.prefix, T), undefined);
  // a sub-address of 2/16 (not its node address) is a valid source for 2/16
  const ok = net.inject(a.prefix, "2001:db8:42:2:1234::99", encodeHello0(n2.cert), T);
  assert.ok(ok.some((x) => x.type === "send"));
});

Deno.test("statement 37: sessions' data is accepted only from the peer's own addresses", () => {
  const { net, a, b } = connectedPair();
  net.run(b.prefix, b.sendMessage(a.prefix, 4, new Uint8Array(0), T));
  const packet = net.queue.shift()!.data;
  // same packet from 3/16's subnet: no entry there ⇒ dropped, nothing answered
  const x = net.inject(a.prefix, addressOf(prefix16(3)), packet, T);
  assert.ok(!x.some((y) => y.type === "send"));
  // from its real source it is answered
  const y = net.inject(a.prefix, addressOf(b.prefix), packet, T);
  assert.ok(y.some((z) => z.type === "send"));
});

Deno.test("protocol fallback: a protocol-0 peer's seq-1 hello is understood", () => {
  const net = new TestNet(pki);
  const a = net.add(n1, { now: T });
  const src = addressOf(n2.prefix);
  // The legacy peer (key of 2/16) introduces itself, A answers with hello0+fingerprint.
  const first = net.inject(a.prefix, src, encodeHello0(n2.cert), T);
  assert.ok(first.some((x) => x.type === "send" && packetSeq(x.data) === 1));
  // Legacy seq 1: SHA1(A's cert) ‖ DER, no protocol integer.
  const fp = crypto.createHash("sha1").update(n1.cert).digest();
  const reply = net.inject(a.prefix, src, encodeHello0Fingerprint(null, fp, n2.cert), T + 1);
  const hello = reply.find((x) => x.type === "send");
  assert.ok(hello && hello.type === "send");
  assert.equal(packetSeq(hello.data), 2);
  assert.equal(hello.data.length, 4 + 256 + 256, "no protocol integer for protocol-0 peers");
  assert.equal(a.peer(n2.prefix, T)!.protocol, 0);
  const e = hello.data.subarray(4, 260), s = hello.data.subarray(260);
  assert.ok(rsaVerify(crypto.createPublicKey(n1.key), e, s));
  const key = rsaDecrypt(n2.key, e);
  // A sent its secret; the legacy peer uses it: first its own message, A answers code 4
  const ans = net.inject(a.prefix, src, encodeData(3, new Uint8Array([4]), key), T + 2);
  const out = ans.find((x) => x.type === "send");
  assert.ok(out && out.type === "send");
  const payload = openData(out.data, key) as Uint8Array;
  assert.equal(td.decode(payload.subarray(1)), "0.1.0, test");
  // and A signs seq-2 hellos for it without the integer: a legacy seq 2 from the peer works
  const later = new Uint8Array(20);
  new DataView(later.buffer).setBigUint64(0, BigInt(T + 3) * 1000n);
  const E = crypto.publicEncrypt(
    { key: crypto.createPublicKey(n1.key), padding: crypto.constants.RSA_PKCS1_PADDING },
    later,
  );
  const legacyHello = new Uint8Array([0, 0, 0, 2, ...E, ...rsaSign(n2.key, E)]);
  const acc = net.inject(a.prefix, src, legacyHello, T + 3);
  assert.ok(acc.some((x) => x.type === "send" && packetSeq(x.data) === 3));
});

Deno.test("hello replays and stale keys are rejected", () => {
  const { net, a, b } = connectedPair();
  const helloFromA = net.delivered.find((d) => packetSeq(d.data) === 2)!;
  assert.equal(helloFromA.from, addressOf(a.prefix));
  const x = net.inject(b.prefix, helloFromA.from, helloFromA.data, T + 5);
  assert.ok(!x.some((y) => y.type === "send"));
  assert.equal(net.logsOf(b.prefix, "not newer").length, 1);
  // a forged hello (signature by another key) is refused before decryption
  const forged = helloFromA.data.slice();
  forged[forged.length - 1] ^= 0xff;
  net.inject(b.prefix, helloFromA.from, forged, T + 6);
  assert.equal(net.logsOf(b.prefix, "bad signature").length, 1);
  // hello from a source we hold no certificate for
  net.inject(b.prefix, addressOf(prefix16(3)), helloFromA.data, T + 7);
  assert.equal(net.logsOf(b.prefix, "no certificate known").length, 1);
});

Deno.test("peers are dropped when their certificate expires or is revoked", () => {
  const { net, a, b } = connectedPair();
  const c = net.add(n3, { now: T });
  net.run(a.prefix, a.send(c.prefix, null, T));
  net.flush(T);
  assert.deepEqual(a.peerPrefixes(), [b.prefix, c.prefix]);
  assert.equal(a.nextExpiry(), a.peer(b.prefix, T)!.notAfter);
  assert.deepEqual(a.expire(T), []);
  net.run(a.prefix, a.setCrl([...pki.crl, n3.serial]));
  assert.deepEqual(a.peerPrefixes(), [b.prefix]);
  assert.equal(net.logsOf(a.prefix, "revoked, session dropped").length, 1);
  net.run(a.prefix, a.expire(a.nextExpiry()));
  assert.deepEqual(a.peerPrefixes(), []);
  assert.equal(a.nextExpiry(), Infinity);
  // a revoked peer cannot come back
  net.run(c.prefix, c.send(a.prefix, null, T + 61_000));
  net.flush(T + 61_000);
  assert.equal(a.peer(c.prefix, T), undefined);
});

Deno.test("expiry: peers go at their notAfter, the next expiry is the earliest remaining", () => {
  const net = new TestNet(pki);
  const verify = caCertVerifier(pki.caPem);
  // same certificates, but 2/16 is said to expire an hour before 3/16
  const notAfter: Record<string, number> = {
    [n2.prefix]: T + 3_600_000,
    [n3.prefix]: T + 7_200_000,
  };
  const a = net.add(n1, {
    now: T,
    verifyCert: (der, now) => {
      const v = verify(der, now);
      return "error" in v ? v : { ...v, notAfter: notAfter[v.prefix] ?? v.notAfter };
    },
  });
  net.add(n2, { now: T });
  net.add(n3, { now: T });
  net.run(a.prefix, a.send(n2.prefix, null, T));
  net.run(a.prefix, a.send(n3.prefix, null, T));
  net.flush(T);
  assert.equal(a.nextExpiry(), T + 3_600_000);
  assert.deepEqual(a.expire(T + 3_599_999), []);
  net.run(a.prefix, a.expire(T + 3_600_000));
  assert.deepEqual(a.peerPrefixes(), [n3.prefix]);
  assert.equal(a.nextExpiry(), T + 7_200_000);
  assert.equal(net.logsOf(a.prefix, "certificate expired, session dropped").length, 1);
});

Deno.test("an unconfirmed session stops counting as connected after 60 s", () => {
  const { net, a, b } = connectedPair();
  // B goes silent: A's request stays unanswered
  net.run(a.prefix, a.sendMessage(b.prefix, 4, new Uint8Array(0), T + 1000));
  net.queue.length = 0;
  assert.ok(a.peer(b.prefix, T + 60_999)!.connected);
  assert.ok(!a.peer(b.prefix, T + 61_000)!.connected);
  // then a message becomes a hello0+fingerprint (we hold B's cert) and a new handshake
  net.run(a.prefix, a.sendMessage(b.prefix, 4, new Uint8Array(0), T + 61_000));
  assert.equal(packetSeq(net.queue[0].data), 1);
  net.flush(T + 61_000);
  assert.ok(a.peer(b.prefix, T + 61_000)!.connected);
});
