/**
 * The real `re6st node` process before it touches the network: it refuses a certificate of
 * another CA (exit 1), and while no parameters are cached it blocks fetching them with back-off
 * from an unreachable registry, yet stops at once, with status 0, on SIGTERM.
 */
import assert from "node:assert/strict";
import { createTestCa } from "../../lib/pki/testing.ts";
import { waitFor } from "../../lib/netns/wait.ts";
import { nodeCommand, writeNodeDir } from "./node_process.ts";

const ca = await createTestCa();
const other = await createTestCa();

/** `re6st node` on the files of `dir` with an unreachable registry. */
function start(dir: string): Deno.ChildProcess {
  return nodeCommand(dir, "http://127.0.0.1:9/", ["-v", "3"], { stdout: "null", stderr: "null" })
    .spawn();
}

Deno.test("re6st node refuses a certificate of another CA", async () => {
  const dir = await writeNodeDir(ca, other.signer);
  try {
    const status = await start(dir).status;
    assert.equal(status.code, 1);
    assert.match(await Deno.readTextFile(`${dir}/log/re6stnet.log`), /not signed by CA/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("re6st node blocks on a dead registry with back-off and exits 0 on SIGTERM", async () => {
  const dir = await writeNodeDir(ca);
  const child = start(dir);
  try {
    await waitFor(
      async () =>
        /retrying in 2 s/.test(await Deno.readTextFile(`${dir}/log/re6stnet.log`).catch(() => "")),
      { timeoutMs: 20_000, what: "the second fetch attempt" },
    );
    const t = Date.now();
    child.kill("SIGTERM");
    const status = await child.status;
    assert.equal(status.code, 0);
    assert.ok(Date.now() - t < 5000, "stops without waiting for the back-off");
  } finally {
    try {
      child.kill("SIGKILL");
    } catch { /* exited */ }
    await child.status;
    await Deno.remove(dir, { recursive: true });
  }
});
