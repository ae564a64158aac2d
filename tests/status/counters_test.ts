/**
 * The counters behind the node's metrics, where they are kept: tunnel attempts, failures and
 * losses in the tunnel manager core; dropped input and failed handshakes as tagged log actions
 * of the peer protocol, counted by the real UDP socket adapter.
 */
import assert from "node:assert/strict";
import crypto from "node:crypto";
import dgram from "node:dgram";
import { EMPTY_VIEW } from "../../lib/node/babel/view.ts";
import type { DropKind, PeerAction } from "../../lib/node/peer/actions.ts";
import { encodeHello0, encodeHello0Fingerprint } from "../../lib/node/peer/packet.ts";
import { PeerSocket } from "../../lib/node/peer/socket.ts";
import { makeManager, only, p, quiet as quietLog } from "../tunnel/helpers.ts";
import { addressOf, TestNet } from "../peer/harness.ts";
import { prefix16, testPki } from "../peer/fixtures.ts";

Deno.test("tunnel counters: attempts per endpoint tried, failures before up, losses after", () => {
  const { m, cache } = makeManager({ prefix: p(5), clientCount: 2 });
  cache.addPeer(p(1), "198.18.0.1,1194,udp;198.18.0.1,1194,tcp");
  m.tick(0);
  const first = only(m.babelDump(0, EMPTY_VIEW), "openTunnel")[0];
  assert.equal(first.endpoints[first.index].proto, "udp");
  assert.deepEqual(m.status().clients.map((c) => [c.proto, c.since]), [["udp", 0]]);
  // the UDP attempt fails: the TCP endpoint is tried next
  const second = only(m.tunnelExited(3, first.id), "openTunnel")[0];
  assert.equal(second.endpoints[second.index].proto, "tcp");
  assert.deepEqual(m.status().clients.map((c) => [c.proto, c.since, c.established]), [
    ["tcp", 3, false],
  ]);
  m.tunnelUp(4, second.id, 1n);
  assert.equal(m.status().clients[0].established, true);
  m.tunnelExited(50, second.id);
  assert.deepEqual(m.counters(), {
    attempts: { udp: 1, tcp: 1 },
    failures: { udp: 1 },
    lost: 1,
  });
  // served clients carry their connection time; a copy is returned
  m.clientConnected(60, p(7), "re6stnet-tcp", 7n);
  assert.deepEqual(m.status().served, [
    { peer: p(7), ifname: "re6stnet-tcp", since: 60, destroying: false },
  ]);
  m.counters().attempts.udp = 99;
  assert.equal(m.counters().attempts.udp, 1);
});

const drops = (actions: PeerAction[]) =>
  actions.flatMap((a) => a.type === "log" && a.drop ? [a.drop] : []);

Deno.test("peer protocol: dropped datagrams and failed handshakes are tagged for counting", async () => {
  const pki = await testPki();
  const [n1, n2] = pki.nodes;
  const T = Date.now();
  const net = new TestNet(pki);
  const a = net.add(n1, { now: T });
  const b = net.add(n2, { now: T });
  const from3 = addressOf(prefix16(3));
  assert.deepEqual(drops(net.inject(a.prefix, "2001:db8:43::1", encodeHello0(n2.cert), T)), [
    "packet",
  ]);
  assert.deepEqual(drops(net.inject(a.prefix, from3, new Uint8Array(3), T)), ["packet"]);
  // data (sequence number 9) from a source without a session
  const data = new Uint8Array(40);
  data[3] = 9;
  assert.deepEqual(drops(net.inject(a.prefix, from3, data, T)), ["packet"]);
  // sequence number 0 is a hello0: an undecodable one is a failed handshake
  assert.deepEqual(drops(net.inject(a.prefix, from3, new Uint8Array(40), T)), ["handshake"]);
  assert.deepEqual(drops(net.inject(a.prefix, from3, encodeHello0(pki.foreign.cert), T)), [
    "handshake",
  ]);
  assert.deepEqual(drops(net.inject(a.prefix, from3, encodeHello0(pki.revoked.cert), T)), [
    "handshake",
  ]);
  const fp = crypto.createHash("sha1").update(n1.cert).digest();
  assert.deepEqual(
    drops(net.inject(a.prefix, from3, encodeHello0Fingerprint(10, fp, pki.expired.cert), T)),
    ["handshake"],
  );
  // a normal handshake drops nothing
  const before = net.logs.length;
  net.run(a.prefix, a.send(b.prefix, null, T));
  net.flush(T);
  assert.ok(a.peer(b.prefix, T)!.connected);
  assert.ok(a.peer(b.prefix, T)!.lastSeen! >= T, "last authenticated packet recorded");
  const sinceHandshake = net.logs.slice(before);
  assert.ok(sinceHandshake.length > 0);
  assert.ok(sinceHandshake.every((l) => !/ignor|drop/.test(l.msg)), JSON.stringify(sinceHandshake));
});

Deno.test("peer socket: onDrop counts garbage received on a real UDP socket", async () => {
  const pki = await testPki();
  const net = new TestNet(pki);
  const machine = net.add(pki.nodes[0]);
  const seen: DropKind[] = [];
  const socket = await PeerSocket.open({
    machine,
    port: 0,
    bindAddress: "::1",
    onDrop: (k) => seen.push(k),
    log: quietLog,
  });
  const sender = dgram.createSocket("udp6");
  try {
    // from ::1 the datagram is read as a local (registry) request: garbage is dropped
    for (const data of [new Uint8Array([1, 2]), new TextEncoder().encode("not a request")]) {
      await new Promise<void>((resolve, reject) =>
        sender.send(data, socket.port, "::1", (e) => e ? reject(e) : resolve())
      );
    }
    const deadline = Date.now() + 5000;
    while (seen.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(seen, ["packet", "packet"]);
  } finally {
    sender.close();
    await socket.close();
  }
});
