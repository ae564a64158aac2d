/**
 * Peer protocol machine cost (lib/node/peer): handshakes, request/answer processing and
 * memory per session for one node talking with N peers, all in memory (no sockets).
 * usage: deno run -A bench/peer_sessions.ts [N=300]
 */
import { encodeHello0 } from "../lib/node/peer/packet.ts";
import { addressOf, TestNet } from "../tests/peer/harness.ts";
import { prefix16, testPki } from "../tests/peer/fixtures.ts";

const N = Number(Deno.args[0] ?? 300);
const pki = await testPki();
const peers = await pki.issueMore!(Array.from({ length: N }, (_, i) => prefix16(100 + i)));
const T = Date.now();

// 1. memory: hello0 from N peers stores N sessions with certificates in A
{
  const net = new TestNet(pki);
  const a = net.add(pki.nodes[0], { now: T });
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = Deno.memoryUsage().heapUsed;
  for (const p of peers) net.inject(a.prefix, addressOf(p.prefix), encodeHello0(p.cert), T);
  net.queue.length = 0;
  net.logs.length = 0;
  gc?.();
  const after = Deno.memoryUsage().heapUsed;
  console.log(
    `sessions stored: ${a.peerPrefixes().length}, heap per session ≈ ${
      ((after - before) / N / 1024).toFixed(1)
    } KiB${gc ? "" : " (run with --v8-flags=--expose-gc for a stable figure)"}`,
  );
}

// 2. handshakes: A opens sessions to N peers (both sides' RSA work included)
const net = new TestNet(pki);
const a = net.add(pki.nodes[0], { now: T });
const machines = peers.map((p) => net.add(p, { now: T }));
let t0 = performance.now();
for (const m of machines) net.run(a.prefix, a.send(m.prefix, null, T));
net.flush(T, 10 * N);
const hs = performance.now() - t0;
console.log(`handshakes: ${N} in ${hs.toFixed(0)} ms (${(hs / N).toFixed(2)} ms each, both ends)`);

// 3. requests: each peer asks A for its addresses R times; time spent inside A.receive
const R = 20;
let inA = 0, count = 0;
const receive = a.receive.bind(a);
a.receive = (addr, port, data, now) => {
  const s = performance.now();
  const r = receive(addr, port, data, now);
  inA += performance.now() - s;
  count++;
  return r;
};
t0 = performance.now();
for (let r = 0; r < R; r++) {
  for (const m of machines) net.run(m.prefix, m.sendMessage(a.prefix, 1, new Uint8Array(0), T));
  net.flush(T, 10 * N);
}
const total = performance.now() - t0;
console.log(
  `requests: ${N * R} code-1 round trips in ${total.toFixed(0)} ms; A.receive ${
    (inA / count * 1000).toFixed(1)
  } µs per datagram (${count} datagrams: requests + acks)`,
);
