/**
 * A small self-made SVG line plot (no external tool): several series, linear or logarithmic
 * axes, ticks, grid, legend. Points that a log axis cannot show (≤ 0) break the line.
 */

/** One line of the plot. */
export interface Series {
  name: string;
  points: ReadonlyArray<readonly [number, number]>;
  /** drawn dashed (e.g. published reference values) */
  dashed?: boolean;
  /** index into the palette (series sharing a colour, e.g. measured vs published) */
  colour?: number;
}

/** What to draw. */
export interface Plot {
  title: string;
  xLabel: string;
  yLabel: string;
  xScale?: "linear" | "log2";
  yScale?: "linear" | "log10";
  series: readonly Series[];
  width?: number;
  height?: number;
}

const PALETTE = [
  "#1f77b4",
  "#d62728",
  "#2ca02c",
  "#ff7f0e",
  "#9467bd",
  "#8c564b",
  "#e377c2",
  "#7f7f7f",
  "#bcbd22",
  "#17becf",
];

function escape(s: string): string {
  return s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;");
}

function label(v: number): string {
  if (Number.isInteger(v) && Math.abs(v) < 1e7) return String(v);
  if (v !== 0 && (Math.abs(v) >= 1e5 || Math.abs(v) < 1e-3)) return v.toExponential(0);
  return String(Number(v.toPrecision(4)));
}

/** Tick values covering [lo, hi] for a scale. */
function ticks(lo: number, hi: number, scale: string): number[] {
  if (scale === "log2" || scale === "log10") {
    const base = scale === "log2" ? 2 : 10;
    const out: number[] = [];
    for (let e = Math.floor(Math.log(lo) / Math.log(base)); base ** e <= hi * 1.0001; e++) {
      if (base ** e >= lo * 0.9999) out.push(base ** e);
    }
    return out;
  }
  const span = hi - lo || 1;
  const raw = span / 6;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) {
    out.push(Number(v.toPrecision(12)));
  }
  return out;
}

/** Renders the plot as a standalone SVG document. */
export function linePlot(p: Plot): string {
  const W = p.width ?? 800, H = p.height ?? 500;
  const left = 70, right = 190, top = 40, bottom = 55;
  const xs = p.xScale ?? "linear", ys = p.yScale ?? "linear";
  const tx = (v: number) => (xs === "log2" ? Math.log2(v) : v);
  const ty = (v: number) => (ys === "log10" ? Math.log10(v) : v);
  const ok = (x: number, y: number) =>
    Number.isFinite(x) && Number.isFinite(y) && (xs !== "log2" || x > 0) &&
    (ys !== "log10" || y > 0);
  const all = p.series.flatMap((s) => s.points.filter(([x, y]) => ok(x, y)));
  let [xlo, xhi] = all.length
    ? [Math.min(...all.map((q) => q[0])), Math.max(...all.map((q) => q[0]))]
    : [0, 1];
  let [ylo, yhi] = all.length
    ? [Math.min(...all.map((q) => q[1])), Math.max(...all.map((q) => q[1]))]
    : [0, 1];
  if (ys === "linear") {
    const pad = (yhi - ylo) * 0.05 || Math.abs(yhi) * 0.05 || 1;
    ylo = ylo >= 0 && ylo - pad < 0 ? 0 : ylo - pad;
    yhi += pad;
  } else {
    ylo /= 2;
    yhi *= 2;
  }
  if (xlo === xhi) {
    xlo = xs === "log2" ? xlo / 2 : xlo - 1;
    xhi = xs === "log2" ? xhi * 2 : xhi + 1;
  }
  const X = (v: number) => left + (tx(v) - tx(xlo)) / (tx(xhi) - tx(xlo)) * (W - left - right);
  const Y = (v: number) =>
    H - bottom - (ty(v) - ty(ylo)) / (ty(yhi) - ty(ylo)) * (H - top - bottom);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${(left + W - right) / 2}" y="22" text-anchor="middle" font-size="15">${
      escape(p.title)
    }</text>`,
  ];
  for (const v of ticks(xlo, xhi, xs)) {
    const x = X(v).toFixed(1);
    out.push(
      `<line x1="${x}" y1="${top}" x2="${x}" y2="${H - bottom}" stroke="#e5e5e5"/>`,
      `<text x="${x}" y="${H - bottom + 16}" text-anchor="middle">${label(v)}</text>`,
    );
  }
  for (const v of ticks(ylo, yhi, ys)) {
    const y = Y(v).toFixed(1);
    out.push(
      `<line x1="${left}" y1="${y}" x2="${W - right}" y2="${y}" stroke="#e5e5e5"/>`,
      `<text x="${left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${
        label(v)
      }</text>`,
    );
  }
  out.push(
    `<rect x="${left}" y="${top}" width="${W - left - right}" height="${
      H - top - bottom
    }" fill="none" stroke="#333"/>`,
    `<text x="${(left + W - right) / 2}" y="${H - 14}" text-anchor="middle">${
      escape(p.xLabel)
    }</text>`,
    `<text transform="translate(16 ${(top + H - bottom) / 2}) rotate(-90)" text-anchor="middle">${
      escape(p.yLabel)
    }</text>`,
  );
  p.series.forEach((s, i) => {
    const colour = PALETTE[(s.colour ?? i) % PALETTE.length];
    const dash = s.dashed ? ` stroke-dasharray="6 4"` : "";
    let d = "";
    let pen = "M";
    for (const [x, y] of s.points) {
      if (!ok(x, y)) {
        pen = "M";
        continue;
      }
      d += `${pen}${X(x).toFixed(1)} ${Y(y).toFixed(1)} `;
      pen = "L";
    }
    if (d) {
      out.push(`<path d="${d.trim()}" fill="none" stroke="${colour}" stroke-width="2"${dash}/>`);
    }
    const fill = s.dashed ? `fill="white" stroke="${colour}"` : `fill="${colour}"`;
    for (const [x, y] of s.points) {
      if (ok(x, y)) {
        out.push(`<circle cx="${X(x).toFixed(1)}" cy="${Y(y).toFixed(1)}" r="2.5" ${fill}/>`);
      }
    }
    const ly = top + 10 + i * 18;
    out.push(
      `<line x1="${W - right + 12}" y1="${ly}" x2="${
        W - right + 40
      }" y2="${ly}" stroke="${colour}" stroke-width="2"${dash}/>`,
      `<text x="${W - right + 46}" y="${ly}" dominant-baseline="middle">${escape(s.name)}</text>`,
    );
  });
  out.push("</svg>");
  return out.join("\n") + "\n";
}
