/** Bounded polling: the only way tests and the demo wait for something to happen. */

/** Options of `waitFor`. */
export interface WaitOptions {
  /** give up after this many milliseconds */
  timeoutMs: number;
  /** pause between two probes (default 50 ms) */
  intervalMs?: number;
  /** what is awaited, for the timeout message; a function is called at the timeout */
  what?: string | (() => string);
}

/**
 * Calls `probe` until it returns a value other than `undefined`/`null`/`false`, and returns
 * that value; throws once `timeoutMs` has passed. A probe that throws counts as "not yet"
 * (the last error is quoted in the timeout message).
 */
export async function waitFor<T>(
  probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  opts: WaitOptions,
): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  const interval = opts.intervalMs ?? 50;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== null && v !== false) return v;
    } catch (e) {
      lastError = e;
    }
    const left = deadline - Date.now();
    if (left <= 0) {
      const why = lastError ? ` (last error: ${String(lastError)})` : "";
      const what = typeof opts.what === "function" ? opts.what() : opts.what;
      throw new Error(
        `timed out after ${opts.timeoutMs} ms waiting for ${what ?? "condition"}${why}`,
      );
    }
    await delay(Math.min(interval, left));
  }
}

/** Resolves after `ms` milliseconds (a pause between probes, never a synchronisation). */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
