import assert from "node:assert/strict";
import crypto from "node:crypto";
import { routedPrefixes } from "../../lib/registry/babel_routes.ts";
import {
  decodeLocalAnswer,
  encodeLocalRequest,
  LocalNode,
  requestTimes,
  TopologyCrawl,
} from "../../lib/registry/local_node.ts";
import { encryptBootstrap } from "../../lib/registry/service.ts";
import { parseAddresses } from "../../lib/wire/address.ts";
import { bitsToCn, cidrToBits } from "../../lib/wire/prefix.ts";
import { FakeLocalNode, localDatagram, waitFor } from "./e2e_helpers.ts";

const enc = (s: string) => new TextEncoder().encode(s);

Deno.test("local answers: no separator, non-binary prefix or wrong code are dropped", () => {
  assert.equal(decodeLocalAnswer(enc("0101"), 1), undefined);
  assert.equal(decodeLocalAnswer(enc("01a1\0\x01x"), 1), undefined);
  assert.equal(decodeLocalAnswer(enc("0101\0\x04x"), 1), undefined);
  assert.equal(decodeLocalAnswer(enc("0101\0"), 1), undefined);
  assert.equal(decodeLocalAnswer(new Uint8Array([0x30, 0, 1, 0xff, 0xfe]), 1), undefined);
  assert.deepEqual(decodeLocalAnswer(enc("0101\0\x01198.18.0.1,1194,tcp"), 1), {
    prefix: "0101",
    text: "198.18.0.1,1194,tcp",
  });
  assert.deepEqual(encodeLocalRequest("01", 5), enc("01\0\x05"));
});

Deno.test("statement 14: address queries over real UDP ignore unrelated answers and time out", async () => {
  const node = new FakeLocalNode();
  await node.start();
  try {
    node.answer = (target, code) => {
      // first an unrelated datagram (another prefix), then garbage, then the right answer
      node.socket.send(
        localDatagram("1111", 1, "198.18.0.9,1,tcp"),
        node.received.at(-1)!.from.port,
        "::1",
      );
      node.socket.send(enc("garbage"), node.received.at(-1)!.from.port, "::1");
      return localDatagram(target, code, "198.18.0.1,1194,tcp");
    };
    const link = new LocalNode({ host: "::1", port: node.port }, 500);
    assert.equal(await link.queryAddress("0101"), "198.18.0.1,1194,tcp");
    assert.deepEqual(node.received.at(-1)!.msg, enc("0101\0\x01"));
    node.answer = () => null;
    const t0 = Date.now();
    assert.equal(await link.queryAddress("0101"), undefined);
    assert.ok(Date.now() - t0 >= 450);
    // versions: silent nodes map to null
    node.answer = (t, code) => (t === "01" ? localDatagram(t, code, "0.1.0, x") : null);
    assert.deepEqual(await link.versions(["01", "10"]), { "01": "0.1.0, x", "10": null });
    await link.notifyNewVersion("01");
    await waitFor(() =>
      node.received.some(({ msg }) => new TextDecoder().decode(msg) === "01\0\0")
    );
  } finally {
    node.close();
  }
  // nobody listening at all: still an answer (undefined) within the timeout
  const nobody = new LocalNode({ host: "::1", port: node.port }, 300);
  assert.equal(await nobody.queryAddress("01"), undefined);
});

Deno.test("address queries are sent again every resendMs within their window", () => {
  assert.deepEqual(requestTimes(3000, 500), [0, 500, 1000, 1500, 2000, 2500]);
  assert.deepEqual(requestTimes(3000, 1000), [0, 1000, 2000]);
  assert.deepEqual(requestTimes(500, 500), [0]);
  assert.deepEqual(requestTimes(3000, 0), [0]);
});

Deno.test("cold start: an address query reaches a local node that binds UDP 326 after it was sent", async () => {
  // a free port on ::1, where the registry's node is not listening yet
  const probe = new FakeLocalNode();
  await probe.start();
  const port = probe.port;
  probe.close();
  const late = (resendMs: number) => {
    const node = new FakeLocalNode();
    node.answer = (t, code) => localDatagram(t, code, "198.18.0.1,1194,tcp");
    const bound = new Promise<void>((r) => setTimeout(() => node.start(port).then(r), 400));
    return { node, bound, link: new LocalNode({ host: "::1", port }, 1500, resendMs) };
  };
  // one datagram only (the old behaviour): it was sent into the void, the query times out
  const once = late(0);
  const t0 = Date.now();
  assert.equal(await once.link.queryAddress("0101"), undefined);
  assert.ok(Date.now() - t0 >= 1400);
  await once.bound;
  assert.equal(once.node.received.length, 0);
  once.node.close();
  // sent again every 200 ms: the first one after the bind is answered
  const again = late(200);
  const t1 = Date.now();
  assert.equal(await again.link.queryAddress("0101"), "198.18.0.1,1194,tcp");
  assert.ok(Date.now() - t1 < 1000, `${Date.now() - t1} ms`);
  await again.bound;
  again.node.close();
});

Deno.test("an address query dropped once by the local node (no session yet) is answered on the next send", async () => {
  const node = new FakeLocalNode();
  await node.start();
  try {
    let asked = 0;
    node.answer = (t, code) => asked++ === 0 ? null : localDatagram(t, code, "198.18.0.2,1194,tcp");
    const link = new LocalNode({ host: "::1", port: node.port }, 3000, 250);
    const t0 = Date.now();
    assert.equal(await link.queryAddress("0110"), "198.18.0.2,1194,tcp");
    assert.ok(Date.now() - t0 < 1000);
    assert.equal(node.received.length, 2);
  } finally {
    node.close();
  }
});

Deno.test("topology crawl: recorded answers give the client-tunnel graph", () => {
  const p = (n: number, len = 16) => n.toString(2).padStart(len, "0");
  const crawl = new TopologyCrawl(p(0));
  assert.deepEqual(crawl.takePending(), [p(0)]);
  crawl.answer(p(0), "2 1/16 2/16 3/16");
  assert.deepEqual(crawl.takePending(), [p(1), p(2), p(3)]);
  crawl.answer(p(1), "1 36893488147419103232/80 0/16");
  crawl.answer(p(2), "0");
  crawl.answer(p(3), "garbage");
  crawl.answer(p(3), "5 1/16"); // count larger than the list
  crawl.answer(p(3), "1 3/16"); // lists itself
  const big = "0".repeat(14) + "1" + "0".repeat(65);
  assert.deepEqual(crawl.takePending(), [big]);
  const g = crawl.graph(bitsToCn);
  assert.deepEqual(g["0/16"], ["1/16", "2/16"]);
  assert.deepEqual(g["3/16"], ["0/16"]);
  assert.deepEqual(g["1/16"], ["36893488147419103232/80"]);
  assert.deepEqual(g["2/16"], []);
  assert.deepEqual(g[""].sort(), ["0/16", "1/16", "2/16"]);
});

Deno.test("statement 46: topology re-asks nodes that did not answer, a bounded number of times", async () => {
  const p = (n: number) => n.toString(2).padStart(16, "0");
  const crawl = new TopologyCrawl(p(0));
  assert.deepEqual(crawl.takePending(), [p(0)]);
  crawl.answer(p(0), "2 1/16 2/16");
  assert.deepEqual(crawl.takePending(), [p(1), p(2)]);
  crawl.answer(p(1), "0");
  assert.equal(crawl.retry(2), 1);
  assert.deepEqual(crawl.takePending(), [p(2)]);
  assert.equal(crawl.retry(2), 0); // p(2) asked twice: given up

  // over real UDP: the first request to each peer is dropped (no session yet), as the node does
  const node = new FakeLocalNode();
  await node.start();
  try {
    const asked = new Map<string, number>();
    const answers: Record<string, string> = { [p(0)]: "1 1/16", [p(1)]: "0 2/16" };
    node.answer = (target, code) => {
      const n = (asked.get(target) ?? 0) + 1;
      asked.set(target, n);
      if (target !== p(0) && n === 1) return null;
      return target in answers ? localDatagram(target, code, answers[target]) : null;
    };
    const link = new LocalNode({ host: "::1", port: node.port }, 200);
    const g = await link.topology(p(0), bitsToCn);
    assert.deepEqual(g[""].sort(), ["0/16", "1/16"]);
    assert.deepEqual(g["0/16"], ["1/16"]);
    assert.deepEqual(g["2/16"], ["1/16"]);
    assert.equal(asked.get(p(0)), 1);
    assert.equal(asked.get(p(2)), 3); // silent node: asked TOPOLOGY_ASKS times, then given up
  } finally {
    node.close();
  }
});

Deno.test("routed prefixes from a babeld dump: installed routes inside the network only", () => {
  const network = cidrToBits("2001:db8:42::/48");
  const route = (prefix: string, installed = true, from = "::/0") => ({
    id: "1",
    prefix,
    from,
    installed,
    routerId: "a",
    metric: 96,
    refmetric: 0,
    via: "fe80::2",
    ifname: "t1",
  }); // deno-fmt-ignore
  const dump = {
    interfaces: [],
    neighbours: [],
    routes: [
      route("2001:db8:42:1::/64"),
      route("2001:db8:42:2::/64", false),
      route("2001:db8:43::/64"),
      route("2001:db8:42::/48"),
      route("198.18.3.0/24", true, "0.0.0.0/0"),
      route("not-an-address"),
      route("2001:db8:42:1::/64", true, "2001:db8::/32"),
      route("2001:db8:42:0:8000::/80"),
    ],
  };
  assert.deepEqual(routedPrefixes(dump, network), [
    "0000000000000001",
    "0".repeat(16) + "1" + "0".repeat(15),
  ]);
});

Deno.test("statement 15: bootstrap answers strip the country for old protocols and fit the key", () => {
  const { privateKey, publicKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
  const decrypt = (b: Uint8Array) =>
    new TextDecoder().decode(
      crypto.privateDecrypt({ key: privateKey, padding: crypto.constants.RSA_PKCS1_PADDING }, b),
    );
  const eps = parseAddresses("198.18.0.1,1194,tcp,FR;2001:db8::1,1194,tcp6,FR");
  assert.equal(
    decrypt(encryptBootstrap(publicKey, "01", eps, true)!),
    "01 198.18.0.1,1194,tcp,FR;2001:db8::1,1194,tcp6,FR",
  );
  assert.equal(
    decrypt(encryptBootstrap(publicKey, "01", eps, false)!),
    "01 198.18.0.1,1194,tcp;2001:db8::1,1194,tcp6",
  );
  // too many addresses for one PKCS#1 block: trailing items are dropped
  const many = Array.from(
    { length: 20 },
    (_, i) => ({ ip: `2001:db8::${i + 1}`, port: 1194, proto: "tcp6" }),
  );
  const text = decrypt(encryptBootstrap(publicKey, "01", many, true)!);
  assert.ok(text.length <= 245 && text.startsWith("01 2001:db8::1,1194,tcp6;"));
});
