/**
 * A fresh routing view for status requests. The tunnel manager dumps babeld only when it needs
 * to (up to `tunnel_refresh` apart), so its last view can be minutes old; status output asks
 * babeld again (one `dump`, shared with any dump already waiting) and falls back to that last
 * view when babeld is restarting or does not answer.
 */
import type { Bits } from "../../wire/prefix.ts";
import { logger } from "../../log.ts";
import { interpretDump } from "../babel/interpret.ts";
import type { BabelSocket } from "../babel/socket.ts";
import type { RoutingView } from "../babel/view.ts";

const log = logger("control");

/** babeld's current view of network `network` (`-i` interfaces `lan`), else `fallback`. */
export async function freshView(
  socket: BabelSocket | undefined,
  network: Bits,
  lan: readonly string[],
  fallback: RoutingView,
): Promise<RoutingView> {
  if (!socket) return fallback;
  try {
    return interpretDump(await socket.dump(), network, lan);
  } catch (e) {
    log.debug(`status: babel dump failed, showing the last one: ${(e as Error).message}`);
    return fallback;
  }
}
