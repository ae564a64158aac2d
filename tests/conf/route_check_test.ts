import assert from "node:assert/strict";
import { addressInNetwork, routeSource } from "../../lib/conf/route_check.ts";
import { cidrToBits } from "../../lib/wire/prefix.ts";

const NET = cidrToBits("2001:db8:42::/48");

Deno.test("--is-needed: the route's src is found by name, whatever its position", () => {
  const viaRe6st = "2001:db8:42:: from :: via fe80::1 dev re6stnet1 proto babel " +
    "src 2001:db8:42:1::1 metric 1024 pref medium";
  const viaIsp = "2001:db8:42:: from :: via fd00::1 dev eth0 src fd00::2 metric 1024 pref medium";
  const noSrc = "2001:db8:42:: from :: via fd00::1 dev eth0 metric 1024 pref medium";
  assert.equal(routeSource(viaRe6st), "2001:db8:42:1::1");
  assert.equal(routeSource(viaIsp), "fd00::2");
  assert.equal(routeSource(noSrc), undefined);
  assert.equal(routeSource(""), undefined);
  assert.equal(routeSource("2001:db8:42:: dev eth0 src"), undefined);
});

Deno.test("--is-needed: a source inside the network means re6st already runs", () => {
  assert.equal(addressInNetwork("2001:db8:42:1::1", NET), true);
  assert.equal(addressInNetwork("2001:db8:43::1", NET), false);
  assert.equal(addressInNetwork("fd00::2", NET), false);
  assert.equal(addressInNetwork("198.18.0.1", NET), false, "IPv4 or garbage is not inside");
  assert.equal(addressInNetwork("garbage", NET), false);
});
