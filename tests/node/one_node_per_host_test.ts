/**
 * One re6st node per host (spec §1.1): a second daemon started on a host where one already runs
 * must neither harm the first nor fail obscurely. Its run directory, if shared, is refused before
 * the clean-up of leftovers could kill the running node's babeld and OpenVPN; UDP 326 already
 * bound gives an error that says so.
 */
import assert from "node:assert/strict";
import dgram from "node:dgram";
import { runDirInUse } from "../../lib/node/leftovers.ts";
import { NodeControl } from "../../lib/node/control/server.ts";
import { PeerSocket } from "../../lib/node/peer/socket.ts";
import { TestNet } from "../peer/harness.ts";
import { testPki } from "../peer/fixtures.ts";
import { quiet } from "../tunnel/helpers.ts";

Deno.test("a run directory is in use while a daemon serves its control socket, not after", async () => {
  const run = await Deno.makeTempDir();
  try {
    assert.equal(await runDirInUse(run), false, "no socket");
    const control = await NodeControl.start(run);
    assert.equal(await runDirInUse(run), true, "a live daemon");
    await control.close();
    // a crashed daemon's socket file: nothing accepts on it
    const stale = Deno.listen({ transport: "unix", path: control.socketPath });
    stale.close();
    assert.equal(await runDirInUse(run), false, "a socket file nobody serves");
  } finally {
    await Deno.remove(run, { recursive: true });
  }
});

Deno.test("the peer socket's port already bound: an error naming the port and the likely cause", async () => {
  const pki = await testPki();
  const machine = new TestNet(pki).add(pki.nodes[0]);
  const holder = dgram.createSocket("udp6");
  await new Promise<void>((resolve) => holder.bind(0, "::1", resolve));
  try {
    const port = holder.address().port;
    await assert.rejects(
      PeerSocket.open({ machine, port, bindAddress: "::1", log: quiet }),
      new RegExp(`UDP port ${port} on \\[::1\\] is in use: is another re6st node running`),
    );
  } finally {
    holder.close();
  }
});
