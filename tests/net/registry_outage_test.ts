/**
 * Statement 34 (spec §7.5) on the `router` topology (TESTNET.md), all real programs: registry
 * host + nodes n1, n2 on one switch, hello 4. A parameter change (a never-started node n3
 * revoked: a new CRL and version) happens while n2 is off; then the registry process stops.
 * n2, started again from its cache, keeps routing with its cached parameters, learns the newer
 * version from its peers, cannot fetch it, and fetches again 300 s later — when the registry is
 * back — without any attempt in between. Takes about 6 minutes (the spec's 300 s).
 *
 * The demo topology (demo_topology_test.ts) covers the outage at scale: 30 % of the nodes
 * restarted from their cache while the registry is stopped.
 */
import assert from "node:assert/strict";
import { matrixTable, watchConvergence } from "../../lib/demo/reachability.ts";
import { tryRun } from "../../lib/netns/exec.ts";
import { canRunNetTests, type Host, waitFor, withNet } from "./harness.ts";
import { testOverlay } from "./test_overlay.ts";

/** The node's retry period after a failed fetch of a newer version (spec §7.5). */
const RETRY_S = 300;
const TUNNEL_REFRESH = 30;
const FAILED = "cannot get network parameters";
const ADOPTED = /network parameters changed: [^\n]*crl/;

Deno.test("statement 34: registry down ⇒ nodes route with cached parameters and retry the fetch every 300 s", async () => {
  if (!canRunNetTests("registry outage retry")) return;
  await withNet("registry-outage", async (net) => {
    const hosts: Host[] = [];
    for (const name of ["registry", "n1", "n2", "n3"]) hosts.push(await net.host(name));
    const sw = await net.switch("lan", hosts);
    const ip = (h: Host) => sw.members.get(h)!.ip;
    const overlay = await testOverlay(net, {
      // a node whose client tunnels are all up meets the registry node's session (and so the
      // version) at its next tunnel refresh dump
      tunnelRefresh: TUNNEL_REFRESH,
    });
    const registry = await overlay.startRegistry(hosts[0], ip(hosts[0]));
    const [n1, n2, n3] = await Promise.all(hosts.slice(1).map((h) => overlay.addNode(h, [ip(h)])));
    const running = [registry, n1, n2];
    await Promise.all(running.map((n) => n.start()));
    const targets = running.map((n) => ({ name: n.host.name, ns: n.host.ns, address: n.address }));
    const converge = async (what: string) => {
      const c = await watchConvergence(targets, 120_000);
      assert.ok(c.complete, `${what}:\n${matrixTable(running.map((n) => n.host.name), c.matrix)}`);
      console.log(`${what}: all pairs ping after ${c.ms} ms`);
    };
    await converge("cold start");

    // n2 off; a parameter change; the registry process stops
    assert.equal((await n2.stop("SIGTERM", 20_000)).code, 0);
    const r = await tryRun(
      [
        "curl",
        "-sS",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        `http://127.0.0.1/revoke?cn_or_serial=${n3.cn}`,
      ],
      { ns: registry.host.ns },
    );
    assert.equal(r.stdout, "204", r.stderr);
    const logOf = (n: typeof n1) => Deno.readTextFile(`${n.logDir}/re6stnet.log`).catch(() => "");
    await waitFor(async () => ADOPTED.test(await logOf(n1)), {
      timeoutMs: 120_000,
      intervalMs: 500,
      what: "n1 to adopt the new parameters",
    });
    const registryProc = overlay.registry!;
    const argv = (await Deno.readTextFile(`/proc/${registryProc.pid}/cmdline`)).split("\0")
      .filter((a) => a !== "");
    await net.kill(registryProc);

    // n2 back from its cache: it routes, learns the newer version, the fetch fails
    const offset = (await logOf(n2)).length;
    const n2Log = async () => (await logOf(n2)).slice(offset);
    await n2.start();
    await converge("registry down, n2 restarted from its cache");
    const failedAt = await waitFor(
      async () => (await n2Log()).includes(FAILED) ? Date.now() : undefined,
      {
        timeoutMs: (TUNNEL_REFRESH + 60) * 1000,
        intervalMs: 250,
        what: "n2 to learn the newer version and fail to fetch it",
      },
    );
    assert.doesNotMatch(await n2Log(), /asking the registry/, "n2 started from its cache");

    // the registry comes back a while later: no fetch before the retry is due
    await new Promise((r) => setTimeout(r, 20_000));
    await net.spawn(hosts[0], argv, {
      name: "registry-again",
      logFile: `${registry.logDir}/registry-again.out`,
    });
    const adoptedAt = await waitFor(
      async () => ADOPTED.test(await n2Log()) ? Date.now() : undefined,
      { timeoutMs: (RETRY_S + 60) * 1000, intervalMs: 250, what: "n2 to retry the fetch" },
    );
    const waited = (adoptedAt - failedAt) / 1000;
    console.log(`n2 fetched again ${waited} s after the failed fetch`);
    assert.ok(waited >= RETRY_S - 5 && waited <= RETRY_S + 15, `retried after ${waited} s`);
    assert.equal((await n2Log()).split(FAILED).length - 1, 1, "one failed fetch, then the retry");
    await converge("registry back");
  });
});
