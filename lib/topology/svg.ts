/**
 * Self-contained SVG of a topology graph: force-directed layout, CN labels, client tunnels as
 * arrows (client → server, slightly curved so that both directions of a pair stay visible),
 * silent nodes (did not answer the crawl) hollow and dashed, and a legend. Pure.
 */
import type { TopologyGraph } from "./graph.ts";
import { forceLayout } from "./layout.ts";

const NODE_R = 7;
const MARGIN = 40;
const FONT = 11;

/** Escapes text for XML content and attribute values. */
export function xmlEscape(s: string): string {
  return s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;").replaceAll("'", "&apos;");
}

const fix = (v: number) => (Math.round(v * 10) / 10).toString();

/** Renders the graph; `title` becomes the SVG `<title>`. */
export function topologyToSvg(g: TopologyGraph, title = "re6st topology"): string {
  const index = new Map(g.nodes.map((n, i) => [n, i]));
  const links = g.edges.map(([a, b]): [number, number] => [index.get(a)!, index.get(b)!]);
  const pos = forceLayout(g.nodes.length, links);
  const labelHalf = Math.max(0, ...g.nodes.map((n) => n.length * FONT * 0.3));
  const xs = pos.map((p) => p.x);
  const ys = pos.map((p) => p.y);
  const minX = Math.min(0, ...xs) - Math.max(MARGIN, labelHalf + 10);
  const maxX = Math.max(0, ...xs) + Math.max(MARGIN, labelHalf + 10);
  const minY = Math.min(0, ...ys) - MARGIN - 30;
  const maxY = Math.max(0, ...ys) + MARGIN;
  const width = Math.max(320, maxX - minX);
  const height = Math.max(200, maxY - minY);
  const ox = -minX + (width - (maxX - minX)) / 2;
  const oy = -minY;
  const at = pos.map((p) => ({ x: p.x + ox, y: p.y + oy }));

  const out: string[] = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${fix(width)}" height="${fix(height)}" ` +
    `viewBox="0 0 ${fix(width)} ${fix(height)}" font-family="sans-serif" font-size="${FONT}">`,
    `<title>${xmlEscape(title)}</title>`,
    "<defs>",
    '<marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" ' +
    'markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="#555"/></marker>',
    "<style>",
    ".edge{fill:none;stroke:#555;stroke-opacity:.55;stroke-width:1.2}",
    ".node circle{stroke:#1d4f82;stroke-width:1.5;fill:#4a90d9}",
    ".node.silent circle{fill:#fff;stroke:#999;stroke-dasharray:3 2}",
    ".node text{fill:#111;paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}",
    ".node.silent text{fill:#888}",
    "</style>",
    "</defs>",
    '<rect width="100%" height="100%" fill="#fff"/>',
    '<g class="edges">',
  ];
  for (const [i, j] of links) {
    const a = at[i];
    const b = at[j];
    const dx = b.x - a.x;
    const dy = b.y - a.y;
    const d = Math.sqrt(dx * dx + dy * dy) || 1;
    const ux = dx / d;
    const uy = dy / d;
    // Start/end on the circles; bend to the right of the direction of travel.
    const sx = a.x + ux * NODE_R;
    const sy = a.y + uy * NODE_R;
    const ex = b.x - ux * (NODE_R + 1);
    const ey = b.y - uy * (NODE_R + 1);
    const bend = Math.min(18, d * 0.12);
    const cx = (sx + ex) / 2 - uy * bend;
    const cy = (sy + ey) / 2 + ux * bend;
    out.push(
      `<path class="edge" d="M${fix(sx)},${fix(sy)}Q${fix(cx)},${fix(cy)} ${fix(ex)},${fix(ey)}" ` +
        `marker-end="url(#arrow)"><title>${xmlEscape(g.nodes[i])} → ${
          xmlEscape(g.nodes[j])
        }</title></path>`,
    );
  }
  out.push("</g>", '<g class="nodes">');
  g.nodes.forEach((n, i) => {
    const silent = !g.responders.has(n);
    const { x, y } = at[i];
    out.push(
      `<g class="node${silent ? " silent" : ""}"><title>${xmlEscape(n)}${
        silent ? " (did not answer)" : ""
      }</title>` +
        `<circle cx="${fix(x)}" cy="${fix(y)}" r="${NODE_R}"/>` +
        `<text x="${fix(x)}" y="${fix(y + NODE_R + FONT + 1)}" text-anchor="middle">${
          xmlEscape(n)
        }</text></g>`,
    );
  });
  out.push(
    "</g>",
    '<g class="legend" font-size="11">',
    `<circle cx="14" cy="14" r="5" fill="#4a90d9" stroke="#1d4f82"/>`,
    `<text x="24" y="18">answered (${g.responders.size})</text>`,
    `<circle cx="134" cy="14" r="5" fill="#fff" stroke="#999" stroke-dasharray="3 2"/>`,
    `<text x="144" y="18">did not answer (${
      g.nodes.length - g.nodes.filter((n) => g.responders.has(n)).length
    })</text>`,
    `<text x="14" y="34" fill="#555">${g.nodes.length} nodes, ${g.edges.length} client tunnels (client → server)</text>`,
    "</g>",
    "</svg>",
    "",
  );
  return out.join("\n");
}
