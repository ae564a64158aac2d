/** Graphviz DOT text of a topology graph (silent nodes dashed and grey). Pure. */
import type { TopologyGraph } from "./graph.ts";

function quote(s: string): string {
  return `"${s.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n")}"`;
}

/** `digraph re6st { … }` with one edge per client tunnel (client → server). */
export function topologyToDot(g: TopologyGraph): string {
  const lines = [
    "digraph re6st {",
    "  graph [overlap=false, splines=true];",
    '  node [shape=ellipse, style=filled, fillcolor="#cfe3f7", fontname="sans-serif"];',
    '  edge [color="#555555"];',
  ];
  for (const n of g.nodes) {
    lines.push(
      g.responders.has(n)
        ? `  ${quote(n)};`
        : `  ${quote(n)} [style="dashed", fillcolor="white", fontcolor="gray40"];`,
    );
  }
  for (const [from, to] of g.edges) lines.push(`  ${quote(from)} -> ${quote(to)};`);
  lines.push("}", "");
  return lines.join("\n");
}
