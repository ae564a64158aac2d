import assert from "node:assert/strict";
import { rsaSign } from "../../lib/pki/rsa.ts";
import { packInteger } from "../../lib/wire/pack_integer.ts";
import { addressesFor } from "../../lib/node/peer/messages.ts";
import { decodeLocalDatagram, encodeLocalDatagram } from "../../lib/node/peer/local.ts";
import { PacketError, packetSeq } from "../../lib/node/peer/packet.ts";
import { TestNet } from "./harness.ts";
import { testPki } from "./fixtures.ts";

const pki = await testPki();
const [n1, n2, n3] = pki.nodes;
const T = Date.now();
const te = new TextEncoder();
const td = new TextDecoder();
const EMPTY = new Uint8Array(0);

function connected(overrides: Parameters<TestNet["add"]>[1][] = [{}, {}, {}], count = 2) {
  const net = new TestNet(pki);
  const ms = [n1, n2, n3].slice(0, count).map((n, i) => net.add(n, { now: T, ...overrides[i] }));
  for (const m of ms.slice(1)) net.run(ms[0].prefix, ms[0].send(m.prefix, null, T));
  net.flush(T);
  return { net, ms };
}

Deno.test("statement 29: a version blob not signed by the CA is ignored", () => {
  const { net, ms: [a, b] } = connected();
  const forged = packInteger(7);
  const bogus = new Uint8Array([...forged, ...rsaSign(n2.key, forged)]); // signed by a node key
  net.run(b.prefix, b.sendMessage(a.prefix, 0, bogus, T));
  net.flush(T);
  assert.deepEqual(a.version, pki.version(1));
  assert.equal(net.newVersions.length, 0);
  assert.equal(net.logsOf(a.prefix, "invalid signature").length, 1);
  assert.deepEqual(a.peer(b.prefix, T)!.version, pki.version(1), "not recorded for the peer");
  // the registry's unsigned initial version 00 is no version either
  net.run(b.prefix, b.sendMessage(a.prefix, 0, new Uint8Array([0]), T));
  net.flush(T);
  assert.equal(net.logsOf(a.prefix, "invalid signature").length, 2);
});

Deno.test("version gossip: older ⇒ answer ours, newer ⇒ adopt and fetch in 1 s, both recorded", () => {
  const { net, ms: [a, b] } = connected([{ version: pki.version(3) }, {}]);
  // at session setup B sent version 1 (older): A answered with 3, B adopted it
  assert.deepEqual(b.version, pki.version(3));
  assert.deepEqual(net.newVersions, [{ node: b.prefix, delayMs: 1000 }]);
  assert.deepEqual(a.peer(b.prefix, T)!.version, pki.version(1));
  assert.deepEqual(b.peer(a.prefix, T)!.version, pki.version(3));
  // equal version: nothing but the acknowledgement
  const n = net.delivered.length;
  net.run(b.prefix, b.sendMessage(a.prefix, 0, pki.version(3), T));
  assert.equal(net.flush(T).length, 2);
  assert.equal(net.delivered[n + 1].data.length, 24, "empty ack");
  // a newer version from A is adopted by B once more
  a.setVersion(pki.version(4));
  net.run(a.prefix, a.broadcastVersion([b.prefix], T));
  net.flush(T);
  assert.deepEqual(b.version, pki.version(4));
  assert.equal(net.newVersions.length, 2);
});

Deno.test("version broadcast: no session ⇒ start one; up-to-date neighbours get nothing", () => {
  const { net, ms: [a, b, c] } = connected([{}, {}, {}], 3);
  const n = net.delivered.length;
  net.run(a.prefix, a.broadcastVersion([b.prefix, c.prefix, "0000000000001000"], T));
  assert.deepEqual(net.queue.map((d) => [("prefix" in d.to) && d.to.prefix, packetSeq(d.data)]), [
    ["0000000000001000", 0],
  ]);
  net.queue.length = 0;
  assert.equal(net.delivered.length, n);
});

Deno.test("statement 43: code 1 answers our addresses, country stripped below protocol 7", () => {
  const { net, ms: [a, b] } = connected([{}, { protocol: 6 }]);
  net.run(b.prefix, b.sendMessage(a.prefix, 1, EMPTY, T));
  net.step(T);
  const answer = net.queue[0].data;
  assert.equal(answer[4], 1);
  assert.equal(td.decode(answer.subarray(5, -20)), "198.18.0.1,1194,tcp");
  net.flush(T);
  // A protocol-10 peer gets the country
  net.run(a.prefix, a.sendMessage(b.prefix, 1, EMPTY, T));
  net.flush(T);
  const got = net.messages.find((m) => m.node === a.prefix && m.code === 1)!;
  assert.equal(td.decode(got.data), "198.18.0.2,1194,tcp,FR");
  assert.equal(
    addressesFor("198.18.0.9,1194,tcp,FR;198.18.0.9,1194,udp,FR", 1),
    "198.18.0.9,1194,tcp;198.18.0.9,1194,udp",
  );
});

Deno.test("statement 44: code 4 answers version and platform; code 5 only the registry", () => {
  const reg = n1.prefix;
  const tunnelList = () => "1 1/16 3/16";
  const { net, ms: [r, b, c] } = connected(
    [{ registryPrefix: reg }, { registryPrefix: reg, tunnelList }, { registryPrefix: reg }],
    3,
  );
  // registry node asks B for its tunnel list: answered
  net.run(r.prefix, r.sendMessage(b.prefix, 5, EMPTY, T));
  net.flush(T);
  assert.equal(td.decode(net.messages.find((m) => m.code === 5)!.data), "1 1/16 3/16");
  // C (not the registry) asks B: empty acknowledgement only
  net.run(c.prefix, c.send(b.prefix, null, T));
  net.flush(T);
  const n = net.messages.length;
  net.run(c.prefix, c.sendMessage(b.prefix, 5, EMPTY, T));
  const flow = net.flush(T);
  assert.equal(net.messages.length, n);
  assert.equal(flow.at(-1)!.data.length, 24);
  assert.equal(net.logsOf(b.prefix, "non-registry").length, 1);
  // code 4
  net.run(c.prefix, c.sendMessage(b.prefix, 4, EMPTY, T));
  net.flush(T);
  assert.equal(td.decode(net.messages.at(-1)!.data), "0.1.0, test");
  // code 7 is logged by the registry node only
  net.run(b.prefix, b.sendMessage(r.prefix, 7, te.encode("hi"), T));
  net.run(r.prefix, r.sendMessage(c.prefix, 7, te.encode("ho"), T));
  net.flush(T);
  assert.equal(net.logsOf(r.prefix, `${b.prefix}: hi`).length, 1);
  assert.equal(net.logsOf(c.prefix, "ho").length, 0);
});

Deno.test("statement 45 (forwarding): the registry's ::1 requests are relayed to peers", () => {
  const reg = n1.prefix;
  const tunnelList = () => "0";
  const { net, ms: [r, b] } = connected([{ registryPrefix: reg }, {
    registryPrefix: reg,
    tunnelList,
  }]);
  const ask = (prefix: string, code: number, port = 40000) => {
    net.run(r.prefix, r.receive("::1", port, encodeLocalDatagram(prefix, code, EMPTY), T));
    net.flush(T);
  };
  const local = () => {
    const last = net.toLocal.at(-1)!;
    const d = decodeLocalDatagram(last.data);
    if (d instanceof PacketError) throw new Error(String(d));
    return { to: last.to, prefix: d.prefix, code: d.code, text: td.decode(d.data) };
  };
  ask(b.prefix, 1);
  assert.deepEqual(local(), {
    to: { address: "::1", port: 40000 },
    prefix: b.prefix,
    code: 1,
    text: "198.18.0.2,1194,tcp,FR",
  });
  ask(b.prefix, 4, 40001);
  assert.deepEqual([local().to, local().code, local().text], [
    { address: "::1", port: 40001 },
    4,
    "0.1.0, test",
  ]);
  ask(b.prefix, 5);
  assert.deepEqual(
    [local().code, local().text],
    [5, "0"],
    "forwarded code 5 comes from the registry",
  );
  // own prefix: answered locally
  ask(r.prefix, 1);
  assert.deepEqual([local().prefix, local().text], [r.prefix, "198.18.0.1,1194,tcp,FR"]);
  // unknown peer: dropped (hello0 sent), nothing relayed
  const n = net.toLocal.length;
  net.run(r.prefix, r.receive("::1", 40000, encodeLocalDatagram("0000000001111111", 1, EMPTY), T));
  assert.equal(packetSeq(net.queue[0].data), 0);
  net.queue.length = 0;
  assert.equal(net.toLocal.length, n);
  // empty local code 0: fetch parameters now; malformed datagrams: logged
  net.run(r.prefix, r.receive("::1", 40000, encodeLocalDatagram(r.prefix, 0, EMPTY), T));
  assert.deepEqual(net.newVersions.at(-1), { node: r.prefix, delayMs: 0 });
  net.run(r.prefix, r.receive("::1", 40000, te.encode("01x\u0000\u0001"), T));
  net.run(r.prefix, r.receive("::1", 40000, te.encode("0101"), T));
  assert.equal(net.logsOf(r.prefix, "local datagram ignored").length, 2);
  // a target longer than the address space allows is refused, not sent anywhere
  const long = encodeLocalDatagram("1".repeat(81), 1, EMPTY);
  const refused = r.receive("::1", 40000, long, T);
  net.run(r.prefix, refused);
  assert.ok(!refused.some((x) => x.type === "send"));
  assert.equal(net.logsOf(r.prefix, "not a node prefix of this network").length, 1);
  // a late forwarded answer goes to the last local requester (the registry checks the code)
  net.run(b.prefix, b.sendMessage(r.prefix, 0x81, te.encode("x"), T));
  net.flush(T);
  assert.equal(net.toLocal.length, n + 1);
  // with no local requester ever, a forwarded answer is dropped with a log line
  net.run(r.prefix, r.sendMessage(b.prefix, 0x84, te.encode("y"), T));
  net.flush(T);
  assert.equal(net.logsOf(b.prefix, "no local requester").length, 1);
});

Deno.test("code 1 address answers and codes 2, 3 go to the tunnel manager", () => {
  const { net, ms: [a, b] } = connected();
  net.run(b.prefix, b.sendMessage(a.prefix, 1, te.encode("198.18.0.2,1194,tcp"), T));
  net.run(b.prefix, b.sendMessage(a.prefix, 2, EMPTY, T));
  net.run(b.prefix, b.sendMessage(a.prefix, 3, EMPTY, T));
  net.flush(T);
  assert.deepEqual(net.messages.map((m) => [m.node, m.peer, m.code, td.decode(m.data)]), [
    [a.prefix, b.prefix, 1, "198.18.0.2,1194,tcp"],
    [a.prefix, b.prefix, 2, ""],
    [a.prefix, b.prefix, 3, ""],
  ]);
});
