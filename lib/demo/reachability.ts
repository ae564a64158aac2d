/**
 * All-pairs reachability of overlay addresses, one round at a time: every host pings every
 * other node's re6st address once (ICMPv6, 1 s deadline), all in parallel. `watchConvergence`
 * repeats rounds — already answered pairs are not pinged again — until every ordered pair has
 * answered or a deadline passes, reporting progress after each round.
 */
import { tryRun } from "../netns/exec.ts";

/** Something to ping from and at. */
export interface PingTarget {
  name: string;
  ns: string;
  address: string;
}

/** reached[i][j]: i pinged j (the diagonal is true). */
export type Matrix = boolean[][];

/** One ping from namespace `ns` to `address`. */
export async function ping6(ns: string, address: string, deadlineS = 1): Promise<boolean> {
  const r = await tryRun(["ping", "-6", "-n", "-c", "1", "-w", String(deadlineS), address], { ns });
  return r.code === 0;
}

/** Number of ordered pairs (i ≠ j) that reached each other. */
export function countReached(m: Matrix): number {
  let n = 0;
  m.forEach((row, i) => row.forEach((x, j) => n += i !== j && x ? 1 : 0));
  return n;
}

/** Result of `watchConvergence`. */
export interface Convergence {
  matrix: Matrix;
  complete: boolean;
  /** ms from the start until every pair answered (or the deadline) */
  ms: number;
}

/**
 * Pings every missing pair once per round until all answered or `timeoutMs` passed; `progress`
 * gets the matrix and elapsed ms after each round. `stop` (optional) ends the watch early.
 */
export async function watchConvergence(
  targets: readonly PingTarget[],
  timeoutMs: number,
  progress?: (m: Matrix, ms: number) => void,
  stop?: () => boolean,
): Promise<Convergence> {
  const start = Date.now();
  const matrix: Matrix = targets.map((_, i) => targets.map((_, j) => i === j));
  const total = targets.length * (targets.length - 1);
  while (Date.now() - start < timeoutMs && !stop?.()) {
    const round = Date.now();
    const jobs: Promise<void>[] = [];
    targets.forEach((src, i) =>
      targets.forEach((dst, j) => {
        if (matrix[i][j]) return;
        jobs.push(
          ping6(src.ns, dst.address).then((ok) => {
            if (ok) matrix[i][j] = true;
          }),
        );
      })
    );
    await Promise.all(jobs);
    const ms = Date.now() - start;
    progress?.(matrix, ms);
    if (countReached(matrix) === total) return { matrix, complete: true, ms };
    const left = 1000 - (Date.now() - round);
    if (left > 0) await new Promise((r) => setTimeout(r, left));
  }
  return { matrix, complete: countReached(matrix) === total, ms: Date.now() - start };
}

/** The matrix as a text table (`+` reached, `.` not), rows = from, columns = to. */
export function matrixTable(names: readonly string[], m: Matrix): string {
  const w = Math.max(4, ...names.map((n) => n.length));
  const head = " ".repeat(w + 4) + names.map((_, j) => String(j + 1).padStart(3)).join("");
  const rows = m.map((row, i) =>
    `${String(i + 1).padStart(2)} ${names[i].padEnd(w)} ` +
    row.map((x, j) => (i === j ? "  -" : x ? "  +" : "  .")).join("")
  );
  return [head, ...rows].join("\n");
}
