import assert from "node:assert/strict";
import { ClientEdges } from "../../lib/sim/client_edges.ts";
import { seededRandom } from "../../lib/node/tunnel/random.ts";

Deno.test("client edges per node behave like one Map<id, edge> per node, rows growing", () => {
  const n = 5;
  const random = seededRandom(7);
  const edges = new ClientEdges(n, 1);
  const maps = Array.from({ length: n }, () => new Map<number, number>());
  for (let step = 0; step < 4000; step++) {
    const node = Math.floor(random() * n), id = 1 + Math.floor(random() * 12);
    const r = random();
    if (r < 0.5) {
      const e = Math.floor(random() * 1000);
      edges.set(node, id, e);
      maps[node].set(id, e);
    } else if (r < 0.95) {
      assert.equal(edges.delete(node, id), maps[node].delete(id));
    } else {
      edges.clear(node);
      maps[node].clear();
    }
    assert.equal(edges.get(node, id), maps[node].get(id) ?? -1);
    const listed = Array.from({ length: edges.size(node) }, (_, x) => edges.edgeAt(node, x));
    assert.deepEqual(listed, [...maps[node].values()], `node ${node} in insertion order`);
  }
});
