/**
 * A fresh routing view for status requests. The tunnel manager dumps babeld only when it needs
 * to (up to `tunnel_refresh` apart), so its last view can be minutes old; status output asks
 * babeld again (one `dump`, shared with any dump already waiting) and falls back to that last
 * view when babeld is restarting, refuses, or has not answered within `waitMs` (a status page
 * should not hang for the socket's whole reply timeout).
 */
import type { Bits } from "../../wire/prefix.ts";
import { logger } from "../../log.ts";
import { interpretDump } from "../babel/interpret.ts";
import type { BabelSocket } from "../babel/socket.ts";
import type { BabelDump } from "../babel/types.ts";
import type { RoutingView } from "../babel/view.ts";

const log = logger("control");

/** How long a status request waits for babeld's dump by default (ms). */
export const FRESH_VIEW_WAIT_MS = 1500;

/** babeld's current view of network `network` (`-i` interfaces `lan`), else `fallback`. */
export async function freshView(
  socket: Pick<BabelSocket, "dump"> | undefined,
  network: Bits,
  lan: readonly string[],
  fallback: RoutingView,
  waitMs = FRESH_VIEW_WAIT_MS,
): Promise<RoutingView> {
  if (!socket) return fallback;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), waitMs);
  });
  const dumping = socket.dump();
  dumping.catch(() => {}); // a refusal after the wait is over is nobody's business
  try {
    const dump: BabelDump | undefined = await Promise.race([dumping, late]);
    if (dump) return interpretDump(dump, network, lan);
    log.debug(`status: no babel dump within ${waitMs} ms, showing the last one`);
  } catch (e) {
    log.debug(`status: babel dump failed, showing the last one: ${(e as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
  return fallback;
}
