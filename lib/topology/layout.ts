/**
 * Deterministic force-directed layout (Fruchterman–Reingold with a weak pull to the centre, so
 * that separate components stay in view), started from a circle in node order. Same input,
 * same positions: no randomness, fixed iteration count. Pure.
 */

/** A position in layout units. */
export interface Point {
  x: number;
  y: number;
}

/** Options of the layout; defaults suit 1–100 nodes. */
export interface LayoutOptions {
  iterations?: number;
  /** Ideal edge length. */
  spacing?: number;
}

/**
 * Positions for `n` nodes linked by `links` (pairs of node indices; direction ignored).
 * The result is centred on (0, 0).
 */
export function forceLayout(
  n: number,
  links: [number, number][],
  opts: LayoutOptions = {},
): Point[] {
  const k = opts.spacing ?? 100;
  const iterations = opts.iterations ?? 400;
  const radius = Math.max(k, (k * n) / (2 * Math.PI));
  const pos: Point[] = Array.from({ length: n }, (_, i) => ({
    x: radius * Math.cos((2 * Math.PI * i) / Math.max(n, 1)),
    y: radius * Math.sin((2 * Math.PI * i) / Math.max(n, 1)),
  }));
  if (n < 2) return pos.map(() => ({ x: 0, y: 0 }));
  const seen = new Set<string>();
  const pairs = links.filter(([a, b]) => {
    const key = a < b ? `${a},${b}` : `${b},${a}`;
    if (a === b || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  let temperature = radius / 4;
  const cooling = temperature / iterations;
  for (let it = 0; it < iterations; it++) {
    const disp = pos.map(() => ({ x: 0, y: 0 }));
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        let dx = pos[i].x - pos[j].x;
        let dy = pos[i].y - pos[j].y;
        let d2 = dx * dx + dy * dy;
        if (d2 < 1e-6) {
          // Coincident nodes: separate them along a fixed, index-derived direction.
          dx = Math.cos(i + j);
          dy = Math.sin(i + j);
          d2 = 1;
        }
        const f = (k * k) / d2; // repulsion k²/d, applied to the unit vector (dx,dy)/d
        disp[i].x += dx * f;
        disp[i].y += dy * f;
        disp[j].x -= dx * f;
        disp[j].y -= dy * f;
      }
    }
    for (const [a, b] of pairs) {
      const dx = pos[a].x - pos[b].x;
      const dy = pos[a].y - pos[b].y;
      const d = Math.sqrt(dx * dx + dy * dy) || 1e-3;
      const f = d / k; // attraction d²/k, applied to (dx,dy)/d
      disp[a].x -= dx * f;
      disp[a].y -= dy * f;
      disp[b].x += dx * f;
      disp[b].y += dy * f;
    }
    for (let i = 0; i < n; i++) {
      const gx = disp[i].x - (pos[i].x * 0.15) / k * Math.sqrt(n);
      const gy = disp[i].y - (pos[i].y * 0.15) / k * Math.sqrt(n);
      const len = Math.sqrt(gx * gx + gy * gy);
      if (len > 0) {
        const step = Math.min(len, temperature);
        pos[i].x += (gx / len) * step;
        pos[i].y += (gy / len) * step;
      }
    }
    temperature = Math.max(temperature - cooling, 0.5);
  }
  const cx = pos.reduce((s, p) => s + p.x, 0) / n;
  const cy = pos.reduce((s, p) => s + p.y, 0) / n;
  return pos.map((p) => ({ x: p.x - cx, y: p.y - cy }));
}
