import assert from "node:assert/strict";
import { drainedAfter, NO_DRAINS } from "../../lib/node/drained_taps.ts";
import { CommandExecutor, type ExecutorDeps } from "../../lib/node/executor.ts";
import type { BabelSocket } from "../../lib/node/babel/socket.ts";
import type { Command } from "../../lib/node/tunnel/commands.ts";
import { cnToBits } from "../../lib/wire/prefix.ts";

const peer = cnToBits("5/16");
const drain = (ifname: string): Command => ({ type: "drainInterface", ifname });
const restore = (ifname: string): Command => ({ type: "restoreInterface", ifname });
const kill = (ifname: string): Command => ({ type: "killTunnel", id: 7, peer, ifname });
const fold = (commands: Command[]) => [...commands.reduce(drainedAfter, NO_DRAINS)].sort();

Deno.test("drained TAPs: drain adds, restore and kill remove, other commands leave the set", () => {
  assert.deepEqual(fold([drain("re6stnet1"), drain("re6stnet3")]), ["re6stnet1", "re6stnet3"]);
  assert.deepEqual(fold([drain("re6stnet1"), restore("re6stnet1")]), [], "aborted destruction");
  // the core's kill of a drained tunnel: killTunnel, then restoreInterface (manager.ts #remove)
  assert.deepEqual(fold([drain("re6stnet1"), kill("re6stnet1"), restore("re6stnet1")]), []);
  assert.deepEqual(fold([drain("re6stnet1"), kill("re6stnet1")]), []);
  assert.deepEqual(fold([drain("re6stnet1"), kill("re6stnet2"), restore("re6stnet3")]), [
    "re6stnet1",
  ]);
  const one = drainedAfter(NO_DRAINS, drain("re6stnet1"));
  assert.equal(drainedAfter(one, drain("re6stnet1")), one, "drained twice: unchanged");
  assert.equal(drainedAfter(one, { type: "requestDump" }), one);
  assert.equal(drainedAfter(one, restore("re6stnet2")), one);
  assert.equal(NO_DRAINS.size, 0, "the shared empty set is never changed");
});

/** A babeld socket that records the statements it is sent. */
function recordingSocket(lines: string[]): BabelSocket {
  return {
    flushInterface: (name: string) => Promise.resolve(void lines.push(`flush interface ${name}`)),
    addInterface: (name: string, o: { rxcost?: number }) =>
      Promise.resolve(void lines.push(`interface ${name}${o.rxcost ? ` rxcost ${o.rxcost}` : ""}`)),
  } as unknown as BabelSocket;
}

Deno.test("executor: a restarted babeld gets the drains again, also those asked while it was down", async () => {
  let babel: BabelSocket | undefined = recordingSocket([]);
  const ex = new CommandExecutor({ babel: () => babel, now: () => 0 } as unknown as ExecutorDeps);
  ex.execute([drain("re6stnet1"), drain("re6stnet2")]);
  babel = undefined; // babeld crashed
  ex.execute([restore("re6stnet2"), drain("re6stnet3")]);
  const lines: string[] = [];
  ex.babelStarted(recordingSocket(lines));
  await Promise.resolve();
  assert.deepEqual(lines, [
    "flush interface re6stnet1",
    "flush interface re6stnet3",
    "interface re6stnet1 rxcost 4000",
    "interface re6stnet3 rxcost 4000",
  ]);
  ex.execute([kill("re6stnet1"), restore("re6stnet1"), restore("re6stnet3")]);
  const none: string[] = [];
  ex.babelStarted(recordingSocket(none));
  assert.deepEqual(none, [], "nothing drained: nothing sent");
  ex.close();
});
