/**
 * Start-up flush of a dead babeld's routes (lib/node/leftovers.ts) in a namespace: only the
 * `proto babel` routes with our preferred source go; those of another babeld on the host (another
 * re6st network's, or any other mesh) and non-babel routes stay.
 */
import assert from "node:assert/strict";
import { run } from "../../lib/netns/exec.ts";
import { flushBabelRoutes } from "../../lib/node/leftovers.ts";
import { runIp } from "../../lib/node/system/ip.ts";
import { canRunNetTests, withNet } from "./harness.ts";

Deno.test("babel routes flushed at start-up: ours (by preferred source) only", async () => {
  if (!canRunNetTests("babel flush")) return;
  await withNet("babel-flush", async (net) => {
    const a = await net.host("a"), b = await net.host("b");
    await net.link(a, b, { a: "198.18.0.1/24", b: "198.18.0.2/24" });
    const ip = (...args: string[]) => run(["ip", ...args], { ns: a.ns });
    for (const cidr of ["2001:db8:42:1::1/64", "2001:db8:43:1::1/64"]) {
      await ip("-6", "addr", "add", cidr, "dev", "lo");
    }
    await ip("addr", "add", "198.19.1.1/32", "dev", "lo");
    await ip("addr", "add", "198.19.2.1/32", "dev", "lo");
    const via = ["via", "fe80::1", "dev", "eth0"];
    const routes = [
      ["2001:db8:42:2::/64", ...via, "proto", "babel", "src", "2001:db8:42:1::1"],
      ["default", "from", "2001:db8:42::/48", ...via, "proto", "babel", "src", "2001:db8:42:1::1"],
      ["2001:db8:43:2::/64", ...via, "proto", "babel", "src", "2001:db8:43:1::1"],
      ["default", "from", "2001:db8:43::/48", ...via, "proto", "babel", "src", "2001:db8:43:1::1"],
      ["2001:db8:44::/64", ...via, "proto", "static", "src", "2001:db8:42:1::1"],
    ];
    for (const r of routes) await ip("-6", "route", "add", ...r);
    await ip(
      "-4",
      "route",
      "add",
      "198.19.1.0/24",
      "via",
      "198.18.0.2",
      "proto",
      "babel",
      "src",
      "198.19.1.1",
    );
    await ip(
      "-4",
      "route",
      "add",
      "198.19.2.0/24",
      "via",
      "198.18.0.2",
      "proto",
      "babel",
      "src",
      "198.19.2.1",
    );

    await flushBabelRoutes(
      ["2001:db8:42:1::1", "198.19.1.1"],
      (args) => runIp(["-n", a.ns, ...args]),
    );
    const v6 = await ip("-6", "route", "show");
    assert.doesNotMatch(v6, /2001:db8:42:2::\/64|from 2001:db8:42::\/48/, "ours flushed");
    assert.match(v6, /^2001:db8:43:2::\/64 via fe80::1 .*proto babel/m, "the other babeld's");
    assert.match(v6, /^default from 2001:db8:43::\/48 via fe80::1 .*proto babel/m);
    assert.match(v6, /^2001:db8:44::\/64 .*proto static/m, "not babel's");
    const v4 = await ip("-4", "route", "show");
    assert.doesNotMatch(v4, /198\.19\.1\.0\/24/);
    assert.match(v4, /^198\.19\.2\.0\/24 via 198\.18\.0\.2 .*proto babel/m);
  });
});
