import assert from "node:assert/strict";
import { defaultOptions, SimNetwork, type SimOptions } from "../../lib/sim/network.ts";
import { runRounds } from "../../lib/sim/rounds.ts";
import { TunnelManager } from "../../lib/node/tunnel/manager.ts";
import { SERVER_IFNAME } from "../../lib/sim/graph.ts";
import { SimRoutingView } from "../../lib/sim/view.ts";
import { bruteForce } from "./brute_force.ts";

function small(o: Partial<SimOptions> = {}): SimOptions {
  return defaultOptions({ nodes: 120, clientCount: 4, ...o });
}

/** Everything observable about a run, for determinism checks. */
function trace(o: SimOptions, rounds: number): string {
  const net = new SimNetwork(o);
  const out: unknown[] = [];
  runRounds(net, rounds, o.nodes, (r) => out.push([r.snapshot, r.counters]));
  const edges: number[][] = [];
  const g = net.graph;
  for (let e = 0; e < g.edgeCapacity; e++) {
    if (g.exists(e)) edges.push([g.client[e], g.server[e], g.up[e], g.drained[e]]);
  }
  return JSON.stringify([out, edges, net.connectedAt]);
}

Deno.test("the simulator's nodes are the real TunnelManager core and it alone decides", () => {
  const calls = { dump: 0, tick: 0 };
  const proto = TunnelManager.prototype;
  const { babelDump, tick } = proto;
  proto.babelDump = function (...a) {
    calls.dump++;
    return babelDump.apply(this, a);
  };
  proto.tick = function (...a) {
    calls.tick++;
    return tick.apply(this, a);
  };
  let net: SimNetwork;
  try {
    net = new SimNetwork(small());
    net.runUntil(400);
  } finally {
    proto.babelDump = babelDump;
    proto.tick = tick;
  }
  for (const m of net.managers) assert.ok(m instanceof TunnelManager);
  // every dump the simulator counted went through the real class's method
  assert.equal(calls.dump, net.counters.dumps);
  // quiet ticks are skipped (tests/tunnel/quiet_ticks_test.ts), yet each node ticks at least at
  // every tunnel-refresh deadline (60 s)
  assert.ok(calls.tick >= 120 * Math.floor(400 / 60), `${calls.tick} ticks`);
  // the tunnels of the model are exactly the ones the cores opened and accepted
  const g = net.graph;
  net.managers.forEach((m, i) => {
    const clients = new Set<string>(), served = new Set<string>();
    for (let e = 0; e < g.edgeCapacity; e++) {
      if (!g.exists(e)) continue;
      if (g.client[e] === i) clients.add(net.prefixOf(g.server[e]));
      if (g.server[e] === i && g.up[e]) served.add(net.prefixOf(g.client[e]));
    }
    assert.deepEqual(clients, new Set(m!.clientPeers()), `node ${i} client tunnels`);
    assert.deepEqual(served, new Set(m!.servedPeers()), `node ${i} served peers`);
  });
});

Deno.test("lib/sim carries no copy of the tunnel manager's decision logic", async () => {
  const dir = new URL("../../lib/sim/", import.meta.url);
  const decisions = [
    /class\s+TunnelManager\b/,
    /class\s+DistantPeers\b/,
    /chooseTunnelToDestroy|makeNewTunnels|normalMode|bootstrapMode|lightAttempt/,
    /function\s+step(Client|Server)\b/,
    /(const|let)\s+specBackoff\b|function\s+growingBackoff\b/,
    /min\(\s*2\s*,\s*(this\.)?clientCount/,
  ];
  let imports = false;
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.name.endsWith(".ts")) continue;
    const text = await Deno.readTextFile(new URL(entry.name, dir));
    for (const re of decisions) assert.doesNotMatch(text, re, `${entry.name} duplicates ${re}`);
    assert.doesNotMatch(text, /from\s+"[^"]*tests\//, `${entry.name} imports test code`);
    if (
      /import \{[^}]*\bTunnelManager\b[^}]*\} from "\.\.\/node\/tunnel\/manager\.ts"/.test(text)
    ) {
      imports = true;
    }
  }
  assert.ok(imports, "the simulator imports TunnelManager from lib/node/tunnel/manager.ts");
});

Deno.test("same seed, same result; another seed, another result", () => {
  const a = trace(small({ seed: 5, natShare: 0.2, killRate: 0.05, reviveRate: 0.3 }), 4);
  const b = trace(small({ seed: 5, natShare: 0.2, killRate: 0.05, reviveRate: 0.3 }), 4);
  const c = trace(small({ seed: 6, natShare: 0.2, killRate: 0.05, reviveRate: 0.3 }), 4);
  assert.equal(a, b);
  assert.notEqual(a, c);
  // the landmark estimate is seeded too
  const d = trace(small({ seed: 5, routeCounts: 16 }), 3);
  assert.equal(d, trace(small({ seed: 5, routeCounts: 16 }), 3));
});

Deno.test("warm start: every node gets connected, tunnels respect client_count and max_clients", () => {
  const o = small({ nodes: 200, clientCount: 5, maxClients: 7 });
  const net = new SimNetwork(o);
  const reports: number[] = [];
  runRounds(net, 4, 200, (r) => {
    assert.equal(r.snapshot.pairsConnected, 1, `round ${r.round} fully connected`);
    reports.push(r.replacedPerNode);
  });
  assert.ok(net.connectedAt !== undefined && net.connectedAt < 30);
  assert.ok(reports.slice(1).reduce((a, b) => a + b, 0) > 1.5, "tunnels are replaced each round");
  const g = net.graph;
  for (let i = 0; i < 200; i++) {
    assert.ok(g.served[i] <= 7, `node ${i} serves ${g.served[i]}`);
    assert.ok(g.degree[i] - g.served[i] <= 5);
  }
});

Deno.test("cold start: nodes bootstrap through the registry; without registry they never do", () => {
  const up = new SimNetwork(small({ start: "cold", nodes: 80 }));
  up.runUntil(900);
  assert.ok(up.counters.bootstrapAsks > 0);
  assert.ok(up.connectedAt !== undefined, "connected from a cold start");
  const down = new SimNetwork(small({ start: "cold", nodes: 80 }));
  down.registryUp = false;
  down.runUntil(300);
  assert.equal(down.connectedAt, undefined);
  assert.equal(down.graph.established, 0, "no cache, no registry: no tunnel");
});

Deno.test("NATed nodes accept nothing and keep at most 2 client tunnels, yet reach everyone", () => {
  const net = new SimNetwork(small({ nodes: 150, clientCount: 6, natShare: 0.3 }));
  net.runUntil(600);
  const g = net.graph;
  let natted = 0;
  for (let i = 0; i < 150; i++) {
    if (!net.natted[i]) continue;
    natted++;
    assert.equal(g.served[i], 0);
    assert.ok(g.degree[i] <= 2, `NATed node ${i} has ${g.degree[i]} tunnels`);
    assert.ok(g.degree[i] >= 1);
  }
  assert.equal(natted, Math.round(0.3 * 149));
  for (let i = 1; i < 150; i++) assert.ok(net.connected(0, i));
});

Deno.test("churn: dead nodes lose their tunnels, peers notice and rebuild, revived nodes rejoin", () => {
  const net = new SimNetwork(small({ nodes: 150, clientCount: 5 }));
  net.runUntil(200);
  const g = net.graph;
  const victim = 7;
  const peers = new Set<number>();
  for (let x = victim * g.cap; x < victim * g.cap + g.degree[victim]; x++) peers.add(g.adjNode[x]);
  net.kill(victim);
  assert.equal(net.alive[victim], 0);
  assert.equal(g.degree[victim], 0);
  assert.equal(net.managers[victim], undefined);
  net.runUntil(200 + 2 * net.o.detectDelay + 30);
  for (const p of peers) {
    assert.ok(!net.managers[p]!.clientPeers().includes(net.prefixOf(victim)), `peer ${p} noticed`);
    assert.ok(!net.managers[p]!.servedPeers().includes(net.prefixOf(victim)));
  }
  net.revive(victim);
  net.runUntil(400);
  const reborn: unknown = net.managers[victim];
  assert.ok(reborn instanceof TunnelManager);
  assert.ok(g.degree[victim] > 0, "the revived node has tunnels again");
  assert.ok(net.connected(0, victim));
  // steady churn: kills and revives happen at the configured rates
  const churn = new SimNetwork(small({ nodes: 150, killRate: 0.1, reviveRate: 0.5 }));
  churn.runUntil(10 * churn.o.tunnelRefresh);
  assert.ok(
    churn.counters.kills > 50 && churn.counters.revives > 20,
    JSON.stringify(churn.counters),
  );
  for (let i = 0; i < 150; i++) if (!churn.alive[i]) assert.equal(churn.graph.degree[i], 0);
});

Deno.test("refresh rule off keeps the initial tunnels; random and route rules replace them", () => {
  const replaced = (refreshRule: SimOptions["refreshRule"]) => {
    const net = new SimNetwork(small({ refreshRule }));
    net.runUntil(5 * net.o.tunnelRefresh);
    return net.counters.replaced;
  };
  assert.equal(replaced("off"), 0);
  assert.ok(replaced("random") > 200);
  assert.ok(replaced("routes") > 200);
});

Deno.test("the server side of a tunnel sees it on its server interface", () => {
  const net = new SimNetwork(small());
  net.runUntil(100);
  const g = net.graph;
  const e = g.adjEdge[0];
  assert.equal(g.ifnameAt(e, g.server[e]), SERVER_IFNAME);
  assert.match(g.ifnameAt(e, g.client[e]), /^re6stnet\d+$/);
});

Deno.test("inside a running network, babel views equal a brute-force computation on its graph", () => {
  // landmarks: every node, samples refreshed every second (then the estimate is exact)
  for (const routeCounts of ["exact", 200] as const) {
    const net = new SimNetwork(small({ nodes: 70, clientCount: 3, routeCounts, landmarkAge: 1 }));
    for (const t of [40, 95, 170]) {
      net.runUntil(t); // mid-refresh: some tunnels are drained
      const bf = bruteForce(net.graph);
      const g = net.graph;
      for (let i = 0; i < 70; i++) {
        const view = new SimRoutingView(net, i);
        for (const { e, a, b } of bf.edges) {
          if (a !== i && b !== i) continue;
          const j = a === i ? b : a;
          const hop = bf.firstHop(i, j);
          const nb = view.neighbour(net.prefixOf(j));
          if (hop >= 0 && g.other(hop, i) === j) {
            assert.equal(nb?.ifname, g.ifnameAt(hop, i));
            if (hop === e) {
              assert.equal(nb!.score, bf.routes(i, e), `${routeCounts} t=${t} ${i} via ${e}`);
            }
          } else assert.equal(nb, undefined);
        }
      }
    }
  }
});
