/**
 * Stock babeld 1.12 driven by the babeld shell (args builder, socket client, process control)
 * in namespaces: routes learnt and seen through the dump, run-time interfaces, draining a link
 * with `flush interface` + rxcost (also under HMAC: the re-declared interface keeps signing),
 * a drain re-applied on a babeld restarted by the supervisor (on purpose and after a crash),
 * HMAC (statement 71, routing part), every command line and run-time interface statement the
 * builder can produce accepted.
 */
import assert from "node:assert/strict";
import { canRunNetTests, type Host, type TestNet, waitFor, withNet } from "./harness.ts";
import {
  type BabelNode,
  babelNodeOptions,
  installedRoute,
  nodeSubnet,
  startBabelNode,
} from "./babel_node.ts";
import { BabelSupervisor } from "../../lib/node/babel_supervisor.ts";
import { CommandExecutor, type ExecutorDeps } from "../../lib/node/executor.ts";
import { BabelSocket, BabelSocketError } from "../../lib/node/babel/socket.ts";
import { BabeldProcess } from "../../lib/node/babel/process.ts";
import type { BabelDump } from "../../lib/node/babel/types.ts";
import { tryRun } from "../../lib/netns/exec.ts";

/** Waits until `node`'s dump satisfies `ok`; returns that dump. */
function dumpUntil(
  node: BabelNode,
  ok: (d: BabelDump) => boolean,
  what: string,
  timeoutMs = 20_000,
) {
  return waitFor(async () => {
    const d = await node.babeld.socket.dump();
    return ok(d) ? d : undefined;
  }, { timeoutMs, intervalMs: 100, what: `${node.host.name}: ${what}` });
}

/** Polls for `ms` and fails if `bad` ever holds (bounded negative check). */
async function neverWithin(ms: number, bad: () => Promise<string | undefined>): Promise<void> {
  const found = await waitFor(bad, { timeoutMs: ms, intervalMs: 200 }).catch(() => undefined);
  assert.equal(found, undefined, found);
}

const has = (n: BabelNode) => (d: BabelDump) => installedRoute(d, n.subnet) !== undefined;

Deno.test("babel: routes via the dump, ping6, run-time interface, socket restarts", async () => {
  if (!canRunNetTests("babel routes")) return;
  await withNet("babel routes", async (net) => {
    const [a, b, c] = await Promise.all(["a", "b", "c"].map((h) => net.host(h)));
    await net.link(a, b); // a.eth0 - b.eth0
    await net.link(b, c); // b.eth1 - c.eth0
    const A = await startBabelNode(net, a, 1, ["eth0"]);
    const B = await startBabelNode(net, b, 2, ["eth0"]);
    const C = await startBabelNode(net, c, 3, ["eth0"]);

    const greeting = await A.babeld.socket.connect();
    assert.equal(greeting.protocol, "1.0");
    assert.equal(greeting.version, "babeld-1.12.1");

    await dumpUntil(A, has(B), "route to b");
    const dB = await dumpUntil(B, has(A), "route to a");
    const toA = installedRoute(dB, A.subnet)!;
    assert.equal(toA.refmetric, 0, "a originates its own subnet");
    assert.equal(toA.ifname, "eth0");
    assert.equal(toA.from, "::/0");
    assert.ok(dB.neighbours.some((n) => n.ifname === "eth0" && n.address === toA.via));
    const m = await net.allPairsPing6(
      [{ host: a, address: A.ip }, { host: b, address: B.ip }],
      10_000,
    );
    assert.ok(m.complete, JSON.stringify(m));

    // b does not run babel on eth1 yet: c is unknown to a.
    assert.equal(installedRoute(await A.babeld.socket.dump(), C.subnet), undefined);
    // Adding it at run time answers ok; c appears as a neighbour of b, its route reaches a.
    await B.babeld.socket.addInterface("eth1");
    await dumpUntil(B, (d) => d.neighbours.some((n) => n.ifname === "eth1"), "neighbour on eth1");
    await dumpUntil(A, has(C), "route to c through b");
    const all = await net.allPairsPing6(
      [A, B, C].map((n) => ({ host: n.host, address: n.ip })),
      10_000,
    );
    assert.ok(all.complete, JSON.stringify(all));

    // Refusals come back as statuses / clear errors.
    assert.equal((await B.babeld.socket.request("bogus statement")).status, "bad");
    await assert.rejects(B.babeld.socket.flushInterface("nope0"), BabelSocketError);
    await assert.rejects(B.babeld.socket.request("dump\ndump"), /single line/);

    // A client kept across a babeld restart reconnects by itself.
    const client = new BabelSocket(A.socketPath);
    try {
      assert.ok(has(B)(await client.dump()));
      await A.babeld.stop();
      const exits: Deno.CommandStatus[] = [];
      const again = await BabeldProcess.start({
        args: A.args,
        socketPath: A.socketPath,
        outputFile: `${net.logDir}/a-babeld/output-2.log`,
        ns: a.ns,
        onUnexpectedExit: (s) => exits.push(s),
      });
      net.onDispose(() => again.stop(2000));
      await waitFor(async () => has(B)(await client.dump()), {
        timeoutMs: 20_000,
        what: "restarted babeld on a to relearn b through the old client",
      });
      // An exit nobody asked for reaches the supervisor hook.
      Deno.kill(again.pid, "SIGKILL");
      await waitFor(() => exits.length === 1, { timeoutMs: 5000, what: "unexpected-exit hook" });
      assert.equal(exits[0].signal, "SIGKILL");
      await assert.rejects(client.dump(), BabelSocketError);
    } finally {
      client.close();
    }
  });
});

/** Hosts a and b joined by two links: eth0 – eth0 and eth1 – eth1. */
async function twoLinks(net: TestNet): Promise<Host[]> {
  const [a, b] = await Promise.all(["a", "b"].map((h) => net.host(h)));
  await net.link(a, b);
  await net.link(a, b);
  return [a, b];
}

Deno.test("babel: flush interface + high rxcost drains a link at once (two parallel paths)", async () => {
  if (!canRunNetTests("babel drain")) return;
  await withNet("babel drain", async (net) => {
    const [a, b] = await twoLinks(net);
    const A = await startBabelNode(net, a, 1, ["eth0", "eth1"], { hello: 2 });
    const B = await startBabelNode(net, b, 2, ["eth0", "eth1"], { hello: 2 });
    const both = (d: BabelDump) =>
      d.neighbours.filter((n) => n.reach !== 0 && n.txcost < 65535).length === 2;
    const dA = await dumpUntil(A, (d) => has(B)(d) && both(d), "route to b and two neighbours");
    await dumpUntil(B, (d) => has(A)(d) && both(d), "route to a and two neighbours");
    const x = installedRoute(dA, B.subnet)!.ifname;
    const y = x === "eth0" ? "eth1" : "eth0";

    // Drain x on a: its own routes leave x at once.
    const t0 = Date.now();
    await A.babeld.socket.flushInterface(x);
    await A.babeld.socket.addInterface(x, { rxcost: 4000 });
    // The equal-metric route via y is not feasible (metric not below the feasibility distance)
    // until b answers a's seqno request: one round trip, below one hello interval (2 s) and
    // the neighbour expiry that a plain tunnel kill would wait for.
    await dumpUntil(
      A,
      (d) => installedRoute(d, B.subnet)?.ifname === y,
      `route to b via ${y}`,
      1500,
    );
    const aMs = Date.now() - t0;
    const kernel = await tryRun(["ip", "-6", "route", "get", B.ip], { ns: a.ns });
    assert.match(kernel.stdout, new RegExp(`dev ${y} `));

    // b learns the high cost of x from a's IHUs and moves its route to a off x as well.
    await dumpUntil(B, (d) => installedRoute(d, A.subnet)?.ifname === y, "route to a via y");
    const bMs = Date.now() - t0;
    console.log(`drain: a moved in ${aMs} ms, b in ${bMs} ms (hello 2 s)`);
    // x stays usable as an expensive fallback: b is told a's rxcost 4000 on x.
    await dumpUntil(A, (d) => d.neighbours.some((n) => n.ifname === x && n.cost < 65535), "x back");
    await dumpUntil(B, (d) => d.neighbours.some((n) => n.ifname === x && n.txcost >= 4000), "cost");
    const m = await net.allPairsPing6(
      [{ host: a, address: A.ip }, { host: b, address: B.ip }],
      10_000,
    );
    assert.ok(m.complete);
  });
});

const K1 = new Uint8Array(16).map((_, i) => i + 1);
const K2 = new Uint8Array(16).map((_, i) => 0xf0 - i);

async function lan(net: TestNet, name: string, hosts: string[]): Promise<Host[]> {
  const hs = await Promise.all(hosts.map((h) => net.host(h)));
  await net.switch(name, hs);
  return hs;
}

Deno.test("statement 71 (routing part): babelds with the same HMAC key exchange routes, different keys do not", async () => {
  if (!canRunNetTests("babel hmac")) return;
  await withNet("babel hmac", async (net) => {
    const [a, b, c] = await lan(net, "lan", ["a", "b", "c"]);
    const A = await startBabelNode(net, a, 1, ["eth0"], { hmacSign: K1 });
    const B = await startBabelNode(net, b, 2, ["eth0"], { hmacSign: K1 });
    const C = await startBabelNode(net, c, 3, ["eth0"], { hmacSign: K2 });
    await dumpUntil(A, has(B), "route to b (same key)");
    await dumpUntil(B, has(A), "route to a (same key)");
    // Over four hello intervals: c (other key) neither hears a/b nor is heard by them.
    await neverWithin(4000, async () => {
      const [dA, dB, dC] = await Promise.all([A, B, C].map((n) => n.babeld.socket.dump()));
      if (dC.neighbours.length) return `c has neighbours ${JSON.stringify(dC.neighbours)}`;
      if (dC.routes.length) return `c learnt ${JSON.stringify(dC.routes)}`;
      if (installedRoute(dA, C.subnet) || installedRoute(dB, C.subnet)) return "a/b learnt c";
      if (dA.neighbours.length !== 1) return `a has ${dA.neighbours.length} neighbours`;
    });
  });
});

Deno.test("babel HMAC: a drained then restored tunnel keeps signing (strict peer keeps it)", async () => {
  if (!canRunNetTests("babel hmac drain")) return;
  await withNet("babel hmac drain", async (net) => {
    const [a, b] = await twoLinks(net);
    // Both links are declared as the daemon declares its TAPs: `interface X type tunnel`.
    const over = { hello: 2, hmacSign: K1, tunnelInterfaces: ["eth0", "eth1"] };
    const A = await startBabelNode(net, a, 1, [], over);
    const B = await startBabelNode(net, b, 2, [], over);
    const heard = (ifname: string, ok: (txcost: number) => boolean) => (d: BabelDump) =>
      d.neighbours.some((n) => n.ifname === ifname && n.reach !== 0 && ok(n.txcost));
    const normal = (c: number) => c < 4000;
    const both = (d: BabelDump) => heard("eth0", normal)(d) && heard("eth1", normal)(d);
    const dA = await dumpUntil(A, (d) => has(B)(d) && both(d), "route to b and two neighbours");
    await dumpUntil(B, (d) => has(A)(d) && both(d), "route to a and two neighbours");
    const x = installedRoute(dA, B.subnet)!.ifname;
    const y = x === "eth0" ? "eth1" : "eth0";
    // What the executor sends (lib/node/executor.ts, drainInterface / restoreInterface).
    const drain = async (n: BabelNode, ifname: string) => {
      await n.babeld.socket.flushInterface(ifname);
      await n.babeld.socket.addInterface(ifname, { tunnel: true, rxcost: 4000 });
    };
    const restore = async (n: BabelNode, ifname: string) => {
      await n.babeld.socket.flushInterface(ifname);
      await n.babeld.socket.addInterface(ifname, { tunnel: true });
    };

    await drain(A, x);
    await dumpUntil(A, (d) => installedRoute(d, B.subnet)?.ifname === y, `a: route to b via ${y}`);
    await dumpUntil(B, (d) => installedRoute(d, A.subnet)?.ifname === y, `b: route to a via ${y}`);
    // b (strict on K1) still hears a on x: a's hellos and IHUs on the re-declared x are signed,
    // and they carry the drain cost.
    await dumpUntil(B, heard(x, (c) => c >= 4000 && c < 65535), `b: a still heard on ${x}, cost`);
    await dumpUntil(A, heard(x, (c) => c < 65535), `a: b still heard on ${x}`);

    await restore(A, x);
    await dumpUntil(B, heard(x, normal), `b: a heard on ${x} at normal cost again`);
    await dumpUntil(A, heard(x, normal), `a: b heard on ${x} at normal cost again`);
    // x carries the routes again: drained y sends them back to x, at a normal metric.
    await drain(A, y);
    const back = (n: BabelNode) => (d: BabelDump) => {
      const r = installedRoute(d, n.subnet);
      return r?.ifname === x && r.metric < 4000;
    };
    await dumpUntil(A, back(B), `a: route to b back on ${x}`);
    await dumpUntil(B, back(A), `b: route to a back on ${x}`);
    const m = await net.allPairsPing6(
      [{ host: a, address: A.ip }, { host: b, address: B.ip }],
      10_000,
    );
    assert.ok(m.complete, JSON.stringify(m));
  });
});

Deno.test("babel: a drain outlives babeld restarts (restartWith and a crash), as the daemon wires it", async () => {
  if (!canRunNetTests("babel redrain")) return;
  await withNet("babel redrain", async (net) => {
    const [a, b] = await twoLinks(net);
    const over = { hello: 1, tunnelInterfaces: ["eth0", "eth1"] };
    // a: babeld under the daemon's supervisor, drains sent by the daemon's executor
    const { start } = await babelNodeOptions(net, a, 1, [], over);
    const supervisor = await BabelSupervisor.start(start);
    net.onDispose(() => supervisor.stop());
    const ex = new CommandExecutor({
      babel: () => supervisor.socket,
      now: () => Date.now() / 1000,
    } as unknown as ExecutorDeps);
    supervisor.onStart = (p) => ex.babelStarted(p.socket); // as lib/node/daemon.ts
    const B = await startBabelNode(net, b, 2, [], over);
    const heard = (ifname: string, ok: (txcost: number) => boolean) => (d: BabelDump) =>
      d.neighbours.some((n) => n.ifname === ifname && n.reach !== 0 && ok(n.txcost));
    const normal = (c: number) => c < 4000;
    const drained = (c: number) => c >= 4000 && c < 65535;
    await dumpUntil(B, (d) => heard("eth0", normal)(d) && heard("eth1", normal)(d), "a on both");

    ex.execute([{ type: "drainInterface", ifname: "eth0" }]);
    await dumpUntil(B, heard("eth0", drained), "b: a's rxcost on eth0 is the drain cost");
    /** After a restart: the new babeld is heard, and its eth0 never at normal cost. */
    const stillDrained = async (what: string) => {
      await dumpUntil(B, heard("eth1", normal), `${what}: b hears the new babeld of a on eth1`);
      // a's IHUs come every 3 hellos (3 s): 8 s see at least two of them
      await neverWithin(8000, async () => {
        const d = await B.babeld.socket.dump();
        const n = d.neighbours.find((n) => n.ifname === "eth0" && n.reach !== 0);
        if (n && normal(n.txcost)) return `${what}: b hears a on drained eth0 at ${n.txcost}`;
      });
      await dumpUntil(B, heard("eth0", drained), `${what}: a's eth0 still at the drain cost`);
    };

    const first = supervisor.pid;
    await supervisor.restartWith(start); // a parameter change (lib/node/lifecycle/reaction.ts)
    assert.notEqual(supervisor.pid, first);
    await stillDrained("restartWith");

    const second = supervisor.pid!;
    Deno.kill(second, "SIGKILL"); // a crash: the supervisor starts babeld again after 1 s
    await waitFor(() => supervisor.pid !== undefined && supervisor.pid !== second, {
      timeoutMs: 10_000,
      what: "a new babeld on a",
    });
    assert.equal(supervisor.restarts, 1);
    await stillDrained("crash");

    // restored: the next babeld keeps eth0 at normal cost
    ex.execute([{ type: "restoreInterface", ifname: "eth0" }]);
    await dumpUntil(B, heard("eth0", normal), "b: a's eth0 at normal cost again");
    await supervisor.restartWith(start);
    await dumpUntil(B, heard("eth1", normal), "b hears the third babeld of a on eth1");
    await neverWithin(4000, async () => {
      const d = await B.babeld.socket.dump();
      if (heard("eth0", drained)(d)) return "restored eth0 drained by a restart";
    });
    ex.close();
  });
});

Deno.test("babel HMAC rotation on stock babeld: accept-bad-signatures bridges K1 and K2 signers", async () => {
  if (!canRunNetTests("babel hmac rotation")) return;
  await withNet("babel hmac rotation", async (net) => {
    // x in phase (K1,K2,-): signs K1, accepts K2; y in phase (-,K2,K1): signs K2, accepts K1.
    const [x, y, z] = await lan(net, "lan", ["x", "y", "z"]);
    const X = await startBabelNode(net, x, 1, ["eth0"], { hmacSign: K1, hmacAccept: K2 });
    const Y = await startBabelNode(net, y, 2, ["eth0"], { hmacSign: K2, hmacAccept: K1 });
    // z already strict on K2 (phase (K2,-,-)): hears y, not x's K1 packets.
    const Z = await startBabelNode(net, z, 3, ["eth0"], { hmacSign: K2 });
    await dumpUntil(X, has(Y), "x: route to y");
    await dumpUntil(Y, has(X), "y: route to x");
    await dumpUntil(Z, has(Y), "z: route to y");
    // z reaches x only through y: x's K1-signed packets are refused, so y is its only neighbour.
    const dZ = await dumpUntil(Z, has(X), "z: route to x through y");
    const route = installedRoute(dZ, X.subnet)!;
    assert.ok(route.refmetric > 0, "learnt from y, not from x itself");
    assert.equal(dZ.neighbours.length, 1);
    assert.equal(dZ.neighbours[0].address, route.via);
  });
});

Deno.test("stock babeld 1.12 accepts every command line the builder produces", async () => {
  if (!canRunNetTests("babel command lines")) return;
  await withNet("babel command lines", async (net) => {
    const combos = [
      { gateway: false, subtrees: true },
      { gateway: false, subtrees: false },
      { gateway: true, subtrees: true },
      { gateway: true, subtrees: false },
    ];
    await Promise.all(combos.map(async (combo, i) => {
      const h = await net.host(`g${i}`);
      const peer = await net.host(`p${i}`);
      await net.link(h, peer);
      const ip4 = `198.19.${i + 1}.1`;
      await net.addr(h, "lo", `${ip4}/24`);
      const node = await startBabelNode(net, h, 0x10 + i, ["eth0"], {
        ...combo,
        hmacSign: K1,
        hmacAccept: i % 2 ? K2 : new Uint8Array(),
        ipv4: { ip: ip4, len: 24 },
        tunnelInterfaces: ["re6stnet-udp", "re6stnet0"],
        extraArgs: ["-C", "smoothing-half-life 4"],
      });
      // the run-time statements of a drain and a restore (with the `default` options) too
      await node.babeld.socket.flushInterface("re6stnet0");
      await node.babeld.socket.addInterface("re6stnet0", { tunnel: true, rxcost: 4000 });
      await node.babeld.socket.flushInterface("re6stnet0");
      await node.babeld.socket.addInterface("re6stnet0", { tunnel: true });
      const d = await node.babeld.socket.dump();
      assert.deepEqual(
        d.interfaces.map((f) => [f.name, f.up]).sort(),
        [["eth0", true], ["re6stnet-udp", false], ["re6stnet0", false]],
      );
      assert.equal(nodeSubnet(0x10 + i).ip, node.ip);
    }));
  });
});
