import assert from "node:assert/strict";
import { TunnelGraph } from "../../lib/sim/graph.ts";
import { measure, pairsAmong } from "../../lib/sim/metrics.ts";
import { ExactRouteCounts, SampledRouteCounts } from "../../lib/sim/route_counts.ts";
import { components, Reach, SearchSpace, UNREACHED } from "../../lib/sim/search.ts";
import { MAX_SOURCES, MultiSearch, popcount } from "../../lib/sim/multi_search.ts";
import { type RoutingModel, SimRoutingView } from "../../lib/sim/view.ts";
import { seededRandom } from "../../lib/node/tunnel/random.ts";
import { bruteForce, edgeList } from "./brute_force.ts";

/** A random small graph: some parallel tunnels, some drained, some isolated nodes. */
function randomGraph(seed: number, n: number, edges: number): TunnelGraph {
  const random = seededRandom(seed);
  const g = new TunnelGraph(n, 3 * edges);
  let tap = 0;
  for (let x = 0; x < edges; x++) {
    const a = Math.floor(random() * n);
    let b = Math.floor(random() * n);
    if (a === b) b = (b + 1) % n;
    const e = g.open(a, b, `re6stnet${++tap}`);
    if (random() < 0.85) g.establish(e);
    if (random() < 0.2) g.setDrained(e, true);
    if (random() < 0.1) g.remove(e); // recycled ids
  }
  return g;
}

Deno.test("shortest-path search: distances and first hops equal a brute-force computation", () => {
  for (let seed = 1; seed <= 40; seed++) {
    const n = 6 + (seed % 20);
    const g = randomGraph(seed, n, n + (seed % 3) * n);
    const bf = bruteForce(g);
    const space = new SearchSpace(n);
    for (let i = 0; i < n; i++) {
      space.run(g, i, true);
      const reached = new Set(Array.from(space.order.subarray(0, space.count)));
      for (let t = 0; t < n; t++) {
        const want = bf.d[i][t];
        assert.equal(space.dist[t] === UNREACHED ? Infinity : space.dist[t], want, `d(${i},${t})`);
        assert.equal(reached.has(t), want < Infinity);
        if (t !== i && want < Infinity) {
          assert.equal(space.key[t], bf.firstHop(i, t), `seed ${seed}: first hop ${i}→${t}`);
        }
      }
      // visiting order is by distance
      for (let x = 1; x < space.count; x++) {
        assert.ok(space.dist[space.order[x - 1]] <= space.dist[space.order[x]]);
      }
    }
    // searches rooted at the destination give every node its next hop towards it
    for (let t = 0; t < n; t++) {
      space.run(g, t, false);
      for (let i = 0; i < n; i++) {
        if (i !== t && bf.d[i][t] < Infinity) {
          assert.equal(space.key[i], bf.firstHop(i, t), `seed ${seed}: next hop ${i}→${t}`);
        }
      }
    }
  }
});

Deno.test("multi-source search: hop distances and next hops equal brute force", () => {
  for (let seed = 1; seed <= 30; seed++) {
    const n = 8 + (seed % 40);
    const g = randomGraph(500 + seed, n, n + (seed % 4) * n);
    // hops count every tunnel; `clean` searches avoid drained ones (on such a path, babel's next
    // hop in `g` is the brute force's: a drained tunnel is never on a shortest path there)
    const plain = new TunnelGraph(n, g.cap), clean = new TunnelGraph(n, g.cap);
    for (const { a, b, w } of edgeList(g)) {
      plain.establish(plain.open(a, b, "x"));
      if (w === 1) clean.establish(clean.open(a, b, "x"));
    }
    const hopBf = bruteForce(plain).d, cleanBf = bruteForce(clean).d, bf = bruteForce(g);
    const search = new MultiSearch(n);
    const sources = Array.from({ length: n }, (_, i) => (i * 7 + seed) % n);
    for (let x = 0; x < n; x += MAX_SOURCES) {
      const batch = sources.slice(x, x + MAX_SOURCES);
      search.run(g, batch, false, false);
      const levels = Array<number>(search.levels.length).fill(0);
      batch.forEach((src, s) => {
        let reached = 0;
        for (let v = 0; v < n; v++) {
          const hit = (search.seen[v] >>> s & 1) === 1;
          assert.equal(hit, hopBf[src][v] < Infinity, `seed ${seed}: ${src} reaches ${v}`);
          if (hit) {
            reached++;
            levels[hopBf[src][v]]++;
          }
        }
        assert.equal(search.reached[s], reached);
      });
      assert.deepEqual(search.levels, levels);
      search.run(g, batch, true, true);
      batch.forEach((src, s) => {
        for (let v = 0; v < n; v++) {
          const hit = (search.seen[v] >>> s & 1) === 1;
          assert.equal(
            hit,
            cleanBf[src][v] < Infinity,
            `seed ${seed}: ${src} cleanly reaches ${v}`,
          );
          if (hit && v !== src) {
            assert.equal(search.key[v * MAX_SOURCES + s], bf.firstHop(v, src), `${v}→${src}`);
          }
        }
      });
    }
  }
  assert.equal(popcount(0), 0);
  assert.equal(popcount(-1), 32);
  assert.equal(popcount(0x80000001 | 0), 2);
});

Deno.test("route counts per tunnel: exact, and sampled with every node as landmark, equal brute force", () => {
  for (let seed = 1; seed <= 25; seed++) {
    // more than 32 nodes now and then: the landmark searches run 32 at a time
    const n = seed % 5 === 0 ? 40 + seed : 8 + (seed % 15);
    const g = randomGraph(100 + seed, n, 2 * n);
    const bf = bruteForce(g);
    const exact = new ExactRouteCounts(g);
    const alive = new Uint8Array(n).fill(1);
    const sampled = new SampledRouteCounts(g, n, 1000, alive, seededRandom(seed));
    for (const { e, a, b } of bf.edges) {
      for (const node of [a, b]) {
        const want = bf.routes(node, e);
        assert.equal(exact.routesThrough(node, e), want, `seed ${seed}: exact ${node} via ${e}`);
        assert.ok(
          Math.abs(sampled.routesThrough(node, e, 0) - want) < 1e-9,
          `seed ${seed}: sampled ${node} via ${e}`,
        );
      }
    }
    // a tunnel the node is not part of carries none of its routes
    const [first] = bf.edges;
    const stranger = Array.from({ length: n }, (_, i) => i).find((i) =>
      i !== first.a && i !== first.b
    )!;
    assert.equal(exact.routesThrough(stranger, first.e), 0);
  }
});

Deno.test("sampled route counts estimate the exact ones on a larger graph", () => {
  const n = 400;
  const random = seededRandom(3);
  const g = new TunnelGraph(n, 40);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < 5; k++) {
      const j = Math.floor(random() * n);
      if (j !== i && g.degree[i] < 40 && g.degree[j] < 40) g.establish(g.open(i, j, `t${k}`));
    }
  }
  const exact = new ExactRouteCounts(g);
  const sampled = new SampledRouteCounts(g, 200, 1000, new Uint8Array(n).fill(1), seededRandom(9));
  let err = 0, total = 0;
  for (let node = 0; node < n; node += 7) {
    const base = node * g.cap;
    for (let x = base; x < base + g.degree[node]; x++) {
      const e = g.adjEdge[x];
      const want = exact.routesThrough(node, e);
      err += Math.abs(sampled.routesThrough(node, e, 0) - want);
      total += want;
    }
  }
  assert.ok(err / total < 0.35, `relative error ${err / total}`);
});

Deno.test("components, clean reachability and measurements (hop distances) equal brute force", () => {
  for (let seed = 1; seed <= 20; seed++) {
    const n = 10 + seed;
    const g = randomGraph(200 + seed, n, n);
    const bf = bruteForce(g);
    const label = new Int32Array(n), size = new Int32Array(n), queue = new Int32Array(n);
    components(g, label, size, queue);
    const reach = new Reach(n);
    // hop counts ignore drain costs
    const plain = new TunnelGraph(n, g.cap);
    for (const { a, b } of bf.edges) plain.establish(plain.open(a, b, "x"));
    const hopBf = bruteForce(plain).d;
    const clean = new TunnelGraph(n, g.cap);
    for (const { a, b, w } of bf.edges) if (w === 1) clean.establish(clean.open(a, b, "x"));
    const cleanBf = bruteForce(clean).d;
    let sum = 0, count = 0, diameter = 0, pairs = 0;
    for (let i = 0; i < n; i++) {
      for (let t = 0; t < n; t++) {
        const connected = bf.d[i][t] < Infinity;
        assert.equal(label[i] === label[t], connected);
        assert.equal(reach.reaches(g, i, t, true), cleanBf[i][t] < Infinity, `clean ${i}→${t}`);
        if (t !== i && connected) {
          sum += hopBf[i][t];
          count++;
          pairs++;
          diameter = Math.max(diameter, hopBf[i][t]);
        }
      }
      assert.equal(size[label[i]], bf.d[i].filter((x) => x < Infinity).length);
    }
    const s = measure(g, new Uint8Array(n).fill(1), n, 1);
    assert.ok(s.allSources);
    assert.ok(Math.abs(s.hopsMean - (count ? sum / count : 0)) < 1e-12);
    assert.equal(s.diameter, diameter);
    assert.ok(Math.abs(s.pairsConnected - pairs / (n * (n - 1))) < 1e-12);
    assert.equal(s.degreeHistogram.reduce((a, b) => a + b, 0), n);
  }
});

Deno.test("the babel view: identified neighbours, scores and routes per interface equal brute force", () => {
  for (let seed = 1; seed <= 20; seed++) {
    const n = 8 + seed;
    const g = randomGraph(300 + seed, n, 2 * n);
    const bf = bruteForce(g);
    const exact = new ExactRouteCounts(g);
    const label = new Int32Array(n), size = new Int32Array(n), queue = new Int32Array(n);
    components(g, label, size, queue);
    const reach = new Reach(n);
    const prefix = (i: number) => i.toString(2).padStart(6, "0");
    const model: RoutingModel = {
      graph: g,
      indexOf: (p) => /^[01]{6}$/.test(p) && parseInt(p, 2) < n ? parseInt(p, 2) : -1,
      prefixOf: prefix,
      routedBy: (i) =>
        size[label[i]] < 2
          ? []
          : Array.from({ length: n }, (_, v) => v).filter((v) => label[v] === label[i]).map(prefix),
      connected: (a, b) => label[a] === label[b] && size[label[a]] > 1,
      reachesClean: (a, b) => reach.reaches(g, a, b, true),
      routes: (i, e) => exact.routesThrough(i, e),
      score: (i, e) => exact.routesThrough(i, e),
    };
    for (let i = 0; i < n; i++) {
      const view = new SimRoutingView(model, i);
      const identified = new Set<number>();
      for (let j = 0; j < n; j++) {
        if (j === i) continue;
        const hop = bf.d[i][j] < Infinity ? bf.firstHop(i, j) : -1;
        // babel identifies j when its own route to j's prefix goes straight to j
        const direct = hop >= 0 && g.other(hop, i) === j;
        const nb = view.neighbour(prefix(j));
        assert.equal(nb !== undefined, direct, `seed ${seed}: ${i} identifies ${j}`);
        if (direct) {
          identified.add(j);
          assert.equal(nb!.ifname, g.ifnameAt(hop, i));
          assert.equal(nb!.score, bf.routes(i, hop));
        }
        assert.equal(view.hasRoute(prefix(j)), bf.d[i][j] < Infinity);
      }
      assert.deepEqual(
        new Set([...view.neighbourPrefixes()].map((p) => parseInt(p, 2))),
        identified,
      );
      const perIf = new Map<string, number>();
      for (const { e, a, b } of bf.edges) {
        if (a !== i && b !== i) continue;
        const ifname = g.ifnameAt(e, i);
        perIf.set(ifname, (perIf.get(ifname) ?? 0) + bf.routes(i, e));
      }
      for (const [ifname, want] of perIf) assert.equal(view.routesVia(ifname), want, ifname);
      assert.equal(view.routesVia("nothing"), 0);
      assert.equal(view.hasRoute("zzz"), false);
      assert.equal(view.neighbour("zzz"), undefined);
      const reachable = bf.d[i].filter((x) => x < Infinity).length;
      assert.equal(view.routed.length, reachable > 1 ? reachable : 0);
    }
  }
});

Deno.test("pairs that still communicate when only some nodes are alive equal brute force", () => {
  for (let seed = 1; seed <= 15; seed++) {
    const n = 12 + seed;
    const g = randomGraph(400 + seed, n, n + seed);
    const random = seededRandom(seed);
    const mask = new Uint8Array(n).map(() => (random() < 0.6 ? 1 : 0));
    // brute force: Floyd–Warshall over tunnels whose both ends are alive
    const alive = new TunnelGraph(n, g.cap);
    for (const { a, b } of edgeList(g)) {
      if (mask[a] && mask[b]) alive.establish(alive.open(a, b, "x"));
    }
    const d = bruteForce(alive).d;
    let connected = 0, total = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        if (i === j || !mask[i] || !mask[j]) continue;
        total++;
        if (d[i][j] < Infinity) connected++;
      }
    }
    assert.deepEqual(pairsAmong(g, mask), { connected, total });
  }
});
