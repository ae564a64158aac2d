/**
 * `re6st conf --is-needed` on a host whose routing table already routes the re6st network
 * 2001:db8:42::/48 from an address inside it (what a running node sets up): re6st is not
 * needed, exit status 1, nothing written. The registry runs inside the closed test network.
 */
import assert from "node:assert/strict";
import { run, tryRun } from "../../lib/netns/exec.ts";
import { canRunNetTests, waitFor, withNet } from "./harness.ts";

const REPO = new URL("../../", import.meta.url).pathname;

Deno.test("conf --is-needed exits 1 where the network is already routed from inside it", async () => {
  if (!canRunNetTests("conf --is-needed")) return;
  await withNet("conf-is-needed", async (net) => {
    const host = await net.host("node");
    await net.addr(host, "lo", "2001:db8:42:1::1/64");
    await run(
      ["ip", "-6", "route", "add", "2001:db8:42::/48", "dev", "lo", "src", "2001:db8:42:1::1"],
      { ns: host.ns },
    );
    const registry = await net.spawn(
      host,
      [Deno.execPath(), "run", "-A", `${REPO}tests/conf/test_registry.ts`],
      { name: "registry" },
    );
    const url = await waitFor(
      async () => (await Deno.readTextFile(registry.logFile)).match(/^http:\S+/m)?.[0],
      { timeoutMs: 20_000, what: "the test registry to print its URL" },
    );
    const dir = await Deno.makeTempDir({ dir: net.tmpDir });
    const conf = await tryRun(
      [
        Deno.execPath(),
        "run",
        "-A",
        `${REPO}main.ts`,
        "conf",
        "--registry",
        url,
        "--is-needed",
        "-d",
        dir,
      ],
      { ns: host.ns },
    );
    assert.equal(conf.code, 1, conf.stderr);
    assert.match(
      conf.stdout,
      /2001:db8:42::\/48 is already routed from 2001:db8:42:1::1: re6st is not needed here/,
    );
    assert.deepEqual([...Deno.readDirSync(dir)], [], "--is-needed writes nothing");

    await run(["ip", "-6", "route", "del", "2001:db8:42::/48"], { ns: host.ns });
    const needed = await tryRun(
      [
        Deno.execPath(),
        "run",
        "-A",
        `${REPO}main.ts`,
        "conf",
        "--registry",
        url,
        "--is-needed",
        "-d",
        dir,
      ],
      { ns: host.ns },
    );
    assert.equal(needed.code, 0, `without that route re6st is needed: ${needed.stderr}`);
  });
});
