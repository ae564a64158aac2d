/**
 * Which client TAPs the tunnel core currently keeps drained (spec §10.6), followed command by
 * command: `drainInterface` drains its TAP, `restoreInterface` undoes it, `killTunnel` frees
 * the TAP (the core follows the kill of a drained tunnel with `restoreInterface` anyway).
 * A babeld started again declares every TAP of its command line at normal cost, so the shell
 * drains these TAPs once more on the new babeld.
 */
import type { Command } from "./tunnel/commands.ts";

/** No TAP drained. */
export const NO_DRAINS: ReadonlySet<string> = new Set<string>();

/**
 * The drained TAPs after `c`: a new set if `c` changed them, `drained` itself otherwise
 * (commands that do not concern drains leave it untouched).
 */
export function drainedAfter(drained: ReadonlySet<string>, c: Command): ReadonlySet<string> {
  switch (c.type) {
    case "drainInterface": {
      if (drained.has(c.ifname)) return drained;
      const next = new Set(drained);
      next.add(c.ifname);
      return next;
    }
    case "restoreInterface":
    case "killTunnel": {
      if (!drained.has(c.ifname)) return drained;
      const next = new Set(drained);
      next.delete(c.ifname);
      return next;
    }
    default:
      return drained;
  }
}
