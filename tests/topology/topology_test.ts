import { strict as assert } from "node:assert";
import { parseTopology } from "../../lib/topology/graph.ts";
import { topologyToDot } from "../../lib/topology/dot.ts";
import { topologyToSvg } from "../../lib/topology/svg.ts";
import { forceLayout } from "../../lib/topology/layout.ts";

/** A registry-style answer: `n` nodes, each with up to `c` client tunnels, some silent. */
function sample(n: number, c: number): Record<string, string[]> {
  let s = 11;
  const rnd = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  const cns = Array.from({ length: n }, (_, i) => `${4096 + i * 3}/16`);
  const t: Record<string, string[]> = {};
  for (const a of cns) t[a] = Array.from({ length: c }, () => cns[Math.floor(rnd() * n)]);
  t[""] = cns.filter((_, i) => i % 5 !== 2);
  return t;
}

/** Evaluates an XPath number with xmllint (a real XML parser); fails if not well-formed. */
async function xpath(svg: string, expr: string): Promise<number> {
  const file = await Deno.makeTempFile({ suffix: ".svg" });
  try {
    await Deno.writeTextFile(file, svg);
    const out = await new Deno.Command("xmllint", { args: ["--xpath", expr, file] }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    return Number(new TextDecoder().decode(out.stdout));
  } finally {
    await Deno.remove(file);
  }
}

const EDGES = "count(//*[local-name()='path'][@class='edge'])";
const NODES = "count(//*[local-name()='g'][@class='node' or @class='node silent'])";
const SILENT = "count(//*[local-name()='g'][@class='node silent'])";

Deno.test("parseTopology: nodes from keys, values and responders; edges deduplicated", () => {
  const g = parseTopology(
    JSON.stringify({ "1/4": ["2/4", "3/4", "2/4", "1/4"], "2/4": [], "": ["1/4", "2/4", "9/4"] }),
  );
  assert.deepEqual(g.nodes, ["1/4", "2/4", "3/4", "9/4"]);
  assert.deepEqual(g.edges, [["1/4", "2/4"], ["1/4", "3/4"]]);
  assert.deepEqual([...g.responders].sort(), ["1/4", "2/4", "9/4"]);
});

Deno.test("parseTopology: malformed answers give clear errors", () => {
  assert.throws(() => parseTopology("{"), /not JSON/);
  assert.throws(() => parseTopology("[]"), /expected an object/);
  assert.throws(() => parseTopology(null), /expected an object/);
  assert.throws(() => parseTopology({ a: "b" }), /entry for 'a'/);
  assert.throws(() => parseTopology({ a: [1] }), /entry for 'a'/);
  assert.throws(() => parseTopology({ a: [""] }), /non-empty/);
  assert.throws(() => parseTopology({ "": "x" }), /entry for ''/);
});

Deno.test("SVG: well-formed, one node group per CN, one arrow per client tunnel", async () => {
  for (const n of [6, 20, 50]) {
    const t = sample(n, 4);
    const g = parseTopology(t);
    const svg = topologyToSvg(g);
    assert.equal(await xpath(svg, NODES), n);
    assert.equal(await xpath(svg, EDGES), g.edges.length);
    assert.equal(await xpath(svg, SILENT), n - t[""].length);
    assert.equal(
      await xpath(svg, "count(//*[local-name()='path'][@class='edge'][not(@marker-end)])"),
      0,
    );
    assert.equal(topologyToSvg(parseTopology(t)), svg, "deterministic");
  }
});

Deno.test("SVG: labels escaped, empty and single-node graphs render", async () => {
  const svg = topologyToSvg(parseTopology({ "a<&>\"'": ["b"], "": ["b"] }), "t & <t>");
  assert.equal(await xpath(svg, NODES), 2);
  // The parser decodes the entities back to the original CN.
  assert.equal(await xpath(svg, "count(//*[local-name()='text'][starts-with(., 'a<&>')])"), 1);
  assert.match(svg, /a&lt;&amp;&gt;&quot;&apos;/);
  assert.equal(await xpath(topologyToSvg(parseTopology({})), NODES), 0);
  assert.equal(await xpath(topologyToSvg(parseTopology({ "": ["x"] })), NODES), 1);
});

Deno.test("layout: nodes are spread apart and centred", () => {
  const pos = forceLayout(12, [[0, 1], [1, 2], [2, 0], [3, 4]]);
  for (let i = 0; i < pos.length; i++) {
    for (let j = i + 1; j < pos.length; j++) {
      assert.ok(Math.hypot(pos[i].x - pos[j].x, pos[i].y - pos[j].y) > 20, `${i}-${j} too close`);
    }
  }
  assert.ok(Math.abs(pos.reduce((s, p) => s + p.x, 0)) < 1e-6);
  assert.deepEqual(forceLayout(1, []), [{ x: 0, y: 0 }]);
});

Deno.test("DOT: quoted names, silent nodes dashed, one edge line per tunnel", () => {
  const dot = topologyToDot(parseTopology({ 'a"\\': ["b", "c"], "": ['a"\\', "b"] }));
  assert.match(dot, /^digraph re6st \{$/m);
  assert.match(dot, /^ {2}"a\\"\\\\" -> "b";$/m);
  assert.match(dot, /^ {2}"c" \[style="dashed"/m);
  assert.match(dot, /^ {2}"b";$/m);
  assert.equal(dot.match(/->/g)?.length, 2);
  assert.ok(dot.trimEnd().endsWith("}"));
});
