/**
 * `quietUntil` / `skipQuietTicks`: a driver that skips the quiet ticks gets exactly the commands
 * of one that ticks at every `nextWake()`, whatever events come in between.
 */
import assert from "node:assert/strict";
import type { Command } from "../../lib/node/tunnel/commands.ts";
import type { TunnelManager } from "../../lib/node/tunnel/manager.ts";
import { seededRandom } from "../../lib/node/tunnel/random.ts";
import { addr, makeManager, p, StaticView } from "./helpers.ts";

const ROUTED = Array.from({ length: 40 }, (_, i) => p(i));

/** What babel would show: every client tunnel's peer identified on its TAP, score by peer. */
function view(m: TunnelManager): StaticView {
  const neighbours: Record<string, { ifname: string; address: string; score: number }> = {};
  const via: Record<string, number> = {};
  for (const c of m.status().clients) {
    if (!c.established) continue;
    const score = parseInt(c.peer, 2) % 7;
    neighbours[c.peer] = { ifname: c.ifname, address: "fe80::1", score };
    via[c.ifname] = c.destroying ? 0 : score;
  }
  return new StaticView(ROUTED, neighbours, via);
}

/**
 * Runs one manager for `seconds`, answering its commands like a small network would and adding
 * random events (lost tunnels, clients coming and going, destruction requests); returns the log
 * of every event and the commands it produced. With `skip`, ticks come only at `quietUntil()`.
 */
function drive(skip: boolean, seed: number, seconds: number): { log: string[]; ticks: number } {
  const { m, cache } = makeManager({ prefix: p(5), clientCount: 4, tunnelRefresh: 60 });
  for (let i = 0; i < 40; i++) if (i !== 5) cache.addPeer(p(i), addr(i));
  const random = seededRandom(seed);
  const log: string[] = [];
  /** OpenVPN id running on each TAP (the status has no ids; the commands carry them) */
  const ids = new Map<string, number>();
  /** events due at each second: delivered before that second's tick */
  const due = new Map<number, Array<() => Command[]>>();
  const later = (at: number, run: () => Command[]) => {
    if (!due.has(at)) due.set(at, []);
    due.get(at)!.push(run);
  };
  const handle = (now: number, what: string, cmds: Command[]) => {
    log.push(`${now} ${what} ${JSON.stringify(cmds)}`);
    for (const c of cmds) {
      if (c.type === "requestDump") handle(now, "dump", m.babelDump(now, view(m)));
      else if (c.type === "openTunnel") {
        ids.set(c.ifname, c.id);
        later(now + 1, () => m.tunnelUp(now + 1, c.id, BigInt(parseInt(c.peer, 2))));
      } else if (c.type === "send" && c.code === 2) {
        later(now + 1, () => m.messageReceived(now + 1, c.peer, 3));
      } else if (c.type === "send" && c.code === 1) {
        later(now + 1, () => m.addressReceived(now + 1, c.peer, addr(parseInt(c.peer, 2))));
      } else if (c.type === "requestBootstrapPeer") {
        later(now + 1, () => m.bootstrapPeer(now + 1, { prefix: p(1), address: addr(1) }));
      }
    }
  };
  let wake = 0, ticks = 0;
  for (let now = 0; now < seconds; now++) {
    // outside events, drawn the same way in both runs
    const r = random();
    if (r < 0.02) {
      const clients = m.status().clients.filter((c) => c.established);
      const victim = clients[Math.floor(random() * clients.length)];
      if (victim) later(now, () => m.tunnelExited(now, ids.get(victim.ifname)!));
    } else if (r < 0.04) {
      const peer = p(10 + Math.floor(random() * 20));
      later(now, () => m.clientConnected(now, peer, "re6stnet-tcp", 99n).commands);
      later(now + 30, () => m.clientDisconnected(now + 30, peer, "re6stnet-tcp"));
    } else if (r < 0.05) {
      const served = m.servedPeers();
      if (served.length) later(now, () => m.messageReceived(now, served[0], 2));
    }
    const events = due.get(now) ?? [];
    due.delete(now);
    for (const run of events) {
      if (skip) m.skipQuietTicks(now);
      handle(now, "event", run());
    }
    if (events.length) wake = Math.ceil(skip ? m.quietUntil() : m.nextWake());
    if (now >= wake) {
      ticks++;
      handle(now, "tick", m.tick(now));
      wake = Math.max(now + 1, Math.ceil(skip ? m.quietUntil() : m.nextWake()));
    }
  }
  return { log: log.filter((line) => !line.endsWith("tick []")), ticks };
}

Deno.test("skipping quiet ticks changes no command: 3 seeds × 30 simulated minutes", () => {
  for (const seed of [1, 2, 3]) {
    const every = drive(false, seed, 1800);
    const skipping = drive(true, seed, 1800);
    assert.ok(every.log.length > 200, `${every.log.length} events with commands`);
    assert.deepEqual(skipping.log, every.log, `seed ${seed}`);
    assert.ok(skipping.ticks < every.ticks * 0.75, `${skipping.ticks} of ${every.ticks} ticks`);
  }
});
