/**
 * re6stnet's published average hop distances (spec §15, `results/distance_final.csv` of its C++
 * random-graph model): each of n nodes opens k tunnels to random nodes.
 */

/** Columns of the table: k = 5, 10, …, 50. */
export const PUBLISHED_K = [5, 10, 15, 20, 25, 30, 35, 40, 45, 50];

/** Rows: n → average hops for each k of `PUBLISHED_K`. */
export const PUBLISHED_DISTANCES: ReadonlyMap<number, readonly number[]> = new Map([
  [100, [2.24, 1.82, 1.72, 1.65, 1.59, 1.53, 1.48, 1.43, 1.39, 1.35]],
  [200, [2.55, 2.03, 1.86, 1.81, 1.77, 1.73, 1.69, 1.66, 1.63, 1.60]],
  [400, [2.84, 2.31, 2.03, 1.92, 1.88, 1.86, 1.83, 1.81, 1.79, 1.77]],
  [800, [3.17, 2.57, 2.28, 2.09, 1.98, 1.94, 1.92, 1.90, 1.89, 1.88]],
  [1600, [3.48, 2.77, 2.55, 2.34, 2.18, 2.07, 2.00, 1.97, 1.95, 1.94]],
  [3200, [3.77, 2.97, 2.74, 2.59, 2.44, 2.31, 2.19, 2.11, 2.05, 2.01]],
  [6400, [4.09, 3.23, 2.88, 2.77, 2.67, 2.56, 2.45, 2.35, 2.27, 2.19]],
  [12800, [4.41, 3.51, 3.06, 2.89, 2.82, 2.75, 2.68, 2.60, 2.52, 2.45]],
  [25600, [4.70, 3.72, 3.32, 3.03, 2.91, 2.87, 2.82, 2.77, 2.72, 2.67]],
  [51200, [5.01, 3.91, 3.57, 3.26, 3.04, 2.95, 2.91, 2.88, 2.85, 2.82]],
  [102400, [5.34, 4.15, 3.76, 3.52, 3.27, 3.09, 2.99, 2.95, 2.92, 2.91]],
]);

/** The published average distance for (n, k), if the table has it. */
export function publishedDistance(n: number, k: number): number | undefined {
  const col = PUBLISHED_K.indexOf(k);
  return col < 0 ? undefined : PUBLISHED_DISTANCES.get(n)?.[col];
}
