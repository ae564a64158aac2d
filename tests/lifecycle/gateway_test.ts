/** Default routes and gateways (spec §11.3), the pure kernel checks of statements 60 and 61. */
import assert from "node:assert/strict";
import {
  babelDefaultRoutes,
  gatewayWarnings,
  hostDefaultRoutes,
  parseRoutes6,
  type Route6,
} from "../../lib/node/lifecycle/gateway.ts";

const NET = "2001:db8:42::/48";
/** `ip -6 route show` lines as iproute2 6.1 prints them. */
const NON_GATEWAY = [
  "unreachable :: from :: dev lo metric 1024 pref medium",
  "2001:db8:42:1::/64 via fe80::1 dev re6stnet1 proto babel metric 1024 pref medium",
  "unreachable 2001:db8:42::/48 dev lo metric 1024 pref medium",
  "fe80::/64 dev eth0 proto kernel metric 256 pref medium",
  "default from 2001:db8:42::/48 via fe80::1 dev re6stnet1 proto babel metric 1024 pref medium",
  "",
  "garbage line",
].join("\n");

Deno.test("gateway: parse ip -6 route output", () => {
  const routes = parseRoutes6(NON_GATEWAY);
  assert.equal(routes.length, 5);
  assert.deepEqual(routes[0], {
    type: "unreachable",
    dst: "::/128",
    from: "::/128",
    dev: "lo",
  });
  assert.deepEqual(routes[4], {
    type: "unicast",
    dst: "::/0",
    from: NET,
    via: "fe80::1",
    dev: "re6stnet1",
    proto: "babel",
  });
});

Deno.test("statement 60 (pure part): a non-gateway holds the default route only from the network", () => {
  const routes = parseRoutes6(NON_GATEWAY);
  const split = babelDefaultRoutes(routes, NET);
  assert.equal(split.fromNetwork.length, 1);
  assert.equal(split.other.length, 0);
  assert.deepEqual(gatewayWarnings({ gateway: false, subtrees: true, network: NET, routes }), []);
  const plain = parseRoutes6(
    NON_GATEWAY + "\ndefault via fe80::1 dev re6stnet1 proto babel metric 1024 pref medium",
  );
  const w = gatewayWarnings({ gateway: false, subtrees: true, network: NET, routes: plain });
  assert.match(w.join(), /not sourced from 2001:db8:42::\/48: default from ::\/0 via fe80::1/);
});

Deno.test("statement 61 (pure part): a gateway needs a host default route; merged networks", () => {
  const gw = parseRoutes6("default via fd00::2 dev eth1 proto static metric 1024 pref medium");
  assert.deepEqual(hostDefaultRoutes(gw).map((r) => r.via), ["fd00::2"]);
  const check = (routes: Route6[]) =>
    gatewayWarnings({ gateway: true, subtrees: true, network: NET, routes });
  assert.deepEqual(check(gw), []);
  assert.deepEqual(check(parseRoutes6("default via fe80::1 dev eth1 proto ra metric 1024")), []);
  const boot = parseRoutes6("default via fd00::2 dev eth1 metric 1024 pref medium");
  assert.match(check(boot)[0], /protocol boot/, "stock babeld never exports proto boot routes");
  assert.match(
    gatewayWarnings({ gateway: true, subtrees: true, network: NET, routes: [] })[0],
    /no IPv6 default route/,
  );
  // two re6st networks merged on one host: one source-specific default route per network
  const merged = parseRoutes6([
    "default from 2001:db8:42::/48 via fe80::1 dev re6stnet1 proto babel metric 1024",
    "default from 2001:db8:43::/48 via fe80::2 dev re6stnet2 proto babel metric 1024",
  ].join("\n"));
  assert.equal(babelDefaultRoutes(merged, NET).fromNetwork.length, 1);
  assert.equal(babelDefaultRoutes(merged, "2001:db8:43::/48").fromNetwork.length, 1);
  assert.deepEqual(hostDefaultRoutes(merged), [], "neither is a host default route");
});

Deno.test("gateway: without subtrees the operator is warned", () => {
  const own = parseRoutes6("default via fd00::2 dev eth1 metric 1024 pref medium");
  const w = gatewayWarnings({ gateway: false, subtrees: false, network: NET, routes: own });
  assert.equal(w.length, 2);
  assert.match(w[0], /will not forward/);
  assert.match(w[1], /remove the host's default route/);
});
