/**
 * The registry next to a real babeld (namespaces): the node prefixes it reports come from the
 * co-located babeld's routes, read through its socket at `<--run>/babeld.sock`.
 */
import assert from "node:assert/strict";
import { canRunNetTests, waitFor, withNet } from "./harness.ts";
import { installedRoute, startBabelNode } from "./babel_node.ts";
import { makeCa } from "../registry/e2e_helpers.ts";
import { run, tryRun } from "../../lib/netns/exec.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

Deno.test("registry versions/bootstrap candidates come from the co-located babeld", async () => {
  if (!canRunNetTests("registry babel")) return;
  const ca = await makeCa(); // network 2001:db8:42::/48, as the babel test nodes
  try {
    await withNet("registry babel", async (net) => {
      const [r, b] = await Promise.all([net.host("r"), net.host("b")]);
      await net.link(r, b);
      const R = await startBabelNode(net, r, 0, ["eth0"]); // 2001:db8:42::/64 = 0/16
      const B = await startBabelNode(net, b, 1, ["eth0"]); // 2001:db8:42:1::/64 = 1/16
      await waitFor(async () => installedRoute(await R.babeld.socket.dump(), B.subnet), {
        timeoutMs: 20_000,
        intervalMs: 100,
        what: "r learns b's route",
      });
      const runDir = R.socketPath.slice(0, R.socketPath.lastIndexOf("/"));
      const url = "http://127.0.0.1:8080";
      await net.spawn(r, [
        Deno.execPath(),
        "run",
        "-A",
        `${ROOT}main.ts`,
        "registry",
        "--port",
        "8080",
        "-4",
        "127.0.0.1",
        "-6",
        "",
        "--db",
        `${ca.dir}/registry.db`,
        "--ca",
        ca.caPath,
        "--key",
        ca.keyPath,
        "--dh",
        ca.dhPath,
        "-r",
        runDir,
        "-l",
        `${net.logDir}/registry.log`,
        "-v",
        "3",
        "--anonymous-prefix-length",
        "16",
      ], { name: "registry" }); // deno-fmt-ignore
      const curl = (args: string[]) => tryRun(["curl", "-s", "-f", ...args], { ns: r.ns });
      await waitFor(async () => (await curl([`${url}/getCa`])).code === 0 || undefined, {
        timeoutMs: 20_000,
        intervalMs: 100,
        what: "registry up",
      });
      // the registry node's certificate (0/16), then b's (1/16)
      for (const cn of ["0/16", "1/16"]) {
        await run([
          "openssl",
          "req",
          "-new",
          "-newkey",
          "rsa:2048",
          "-nodes",
          "-subj",
          "/O=t",
          "-keyout",
          `${ca.dir}/${cn[0]}.key`,
          "-out",
          `${ca.dir}/${cn[0]}.csr`,
        ]); // deno-fmt-ignore
        const pem = await curl(["-G", "--data-urlencode", "token=",
          "--data-urlencode", `req@${ca.dir}/${cn[0]}.csr`, `${url}/requestCertificate`]); // deno-fmt-ignore
        assert.equal(pem.code, 0, pem.stderr);
        assert.ok(pem.stdout.includes("BEGIN CERTIFICATE"));
      }
      const versions = await curl([`${url}/versions`]);
      assert.equal(versions.code, 0, versions.stderr);
      // no re6st node answers on [::1]:326 here, hence null versions; the keys are what
      // the registry found: its own prefix and b's, routed by its babeld
      assert.deepEqual(JSON.parse(versions.stdout), {
        "0000000000000000": null,
        "0000000000000001": null,
      });
    });
  } finally {
    await Deno.remove(ca.dir, { recursive: true });
  }
});
