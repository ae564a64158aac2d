/** Memory figures of this process for the simulator's reports. */

/** Peak resident set size in bytes (VmHWM from /proc), or the current RSS if unavailable. */
export function peakRss(): number {
  try {
    const status = Deno.readTextFileSync("/proc/self/status");
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux, or no read permission: fall back to the current figure
  }
  return Deno.memoryUsage().rss;
}

/** Bytes as MiB with one decimal. */
export function mib(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(1);
}
