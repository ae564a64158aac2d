import assert from "node:assert/strict";
import { gossipTargets, interpretDump } from "../../lib/node/babel/interpret.ts";
import { EMPTY_VIEW } from "../../lib/node/babel/view.ts";
import type { BabelDump, BabelRoute } from "../../lib/node/babel/types.ts";
import { setVerbosity } from "../../lib/log.ts";
import { bitsToCidr, cidrToBits } from "../../lib/wire/prefix.ts";

const N = cidrToBits("2001:db8:42::/48");
const p = (i: number) => i.toString(2).padStart(16, "0");
let rid = 0;
function route(
  dest: number | string,
  via: string,
  ifname: string,
  refmetric = 256,
  installed = true,
) {
  const prefix = typeof dest === "number" ? bitsToCidr(N + p(dest)) : dest;
  const r: BabelRoute = {
    id: `r${rid++}`,
    prefix,
    from: "::/0",
    installed,
    routerId: "00:00:00:00:00:00:00:01",
    metric: refmetric + 96,
    refmetric,
    via,
    ifname,
  };
  return r;
}

const neighbour = (address: string, ifname: string) => ({
  id: address,
  address,
  ifname,
  reach: 0xffff,
  rxcost: 96,
  txcost: 96,
  cost: 96,
});

Deno.test("statement 63: a neighbour originating a route (refmetric 0) is identified; its score counts the node prefixes routed through it", () => {
  const dump: BabelDump = {
    interfaces: [],
    neighbours: [neighbour("fe80::a", "re6stnet1"), neighbour("fe80::b", "re6stnet2")],
    routes: [
      route(2, "fe80::a", "re6stnet1", 0),
      route(5, "fe80::a", "re6stnet1"),
      route(6, "fe80::a", "re6stnet1"),
      route(3, "fe80::b", "re6stnet2", 0),
      route(7, "fe80::b", "re6stnet2", 256, false), // not installed: ignored
      route(8, "fe80::c", "eth0"), // unidentified neighbour
      route("::/0", "fe80::b", "re6stnet2", 0), // outside N
      route("198.19.3.0/24", "fe80::b", "re6stnet2", 0), // IPv4: skipped
    ],
  };
  const v = interpretDump(dump, N);
  assert.deepEqual([...v.neighbourPrefixes()].sort(), [p(2), p(3)]);
  assert.deepEqual(v.neighbour(p(2)), { ifname: "re6stnet1", address: "fe80::a", score: 3 });
  assert.equal(v.score(p(3)), 1);
  assert.equal(v.score(p(8)), 0);
  assert.deepEqual([...v.routed].sort(), [p(2), p(3), p(5), p(6), p(8)]);
  assert.ok(v.hasRoute(p(8)) && !v.hasRoute(p(7)));
  assert.deepEqual([...v.none.routes.keys()], [p(8)]);
  assert.deepEqual(v.none.keys, ["fe80::c%eth0"]);
  assert.equal(v.byPrefix.get(p(3))!.outside.length, 1);
  assert.equal(v.routesVia("re6stnet2"), 3, "IPv4 and default routes count for draining");
  assert.equal(v.routesVia("re6stnet1"), 3);
  assert.equal(v.routesVia("re6stnet9"), 0);
});

Deno.test("a buggy neighbour announcing several subnets does not crash: the last claim wins", () => {
  setVerbosity(0);
  try {
    const dump: BabelDump = {
      interfaces: [],
      neighbours: [],
      routes: [
        route(2, "fe80::a", "re6stnet1", 0),
        route(4, "fe80::a", "re6stnet1", 0),
        route(9, "fe80::a", "re6stnet1"),
      ],
    };
    const v = interpretDump(dump, N);
    assert.deepEqual([...v.neighbourPrefixes()], [p(4)]);
    assert.equal(v.score(p(4)), 3);
  } finally {
    setVerbosity(2);
  }
});

Deno.test("malformed route prefixes are dropped with a warning, not thrown", () => {
  setVerbosity(0);
  try {
    const dump: BabelDump = {
      interfaces: [],
      neighbours: [],
      routes: [
        route("garbage", "fe80::a", "re6stnet1", 0),
        route("2001:db8:42:1::1/64", "fe80::a", "re6stnet1", 0),
        route(1, "fe80::a", "re6stnet1", 0),
      ],
    };
    const v = interpretDump(dump, N);
    assert.deepEqual(v.routed, [p(1)]);
  } finally {
    setVerbosity(2);
  }
});

Deno.test("an empty dump gives an empty view", () => {
  const v = interpretDump({ interfaces: [], neighbours: [], routes: [] }, N);
  assert.deepEqual(v.routed, []);
  assert.deepEqual([...v.neighbourPrefixes()], []);
});

Deno.test("statement 49: a node announcing its prefix on a LAN interface is a LAN neighbour even while a tunnel carries its route", () => {
  const retracted = { ...route(6, "fe80::e", "eth0", 0, false), metric: 0xffff };
  const dump: BabelDump = {
    interfaces: [],
    neighbours: [neighbour("fe80::a", "re6stnet1"), neighbour("fe80::c", "eth0")],
    routes: [
      route(2, "fe80::a", "re6stnet1", 0), // installed through the tunnel
      route(2, "fe80::c", "eth0", 0, false), // same node, also announced on the LAN
      route(3, "fe80::d", "eth0", 0), // installed on the LAN
      route(4, "fe80::d", "eth0", 256, false), // relayed by a LAN node: not its own prefix
      retracted, // retracted on the LAN: not a neighbour any more
      route(5, "fe80::b", "re6stnet2", 0, false), // not on a LAN interface
      route("::/0", "fe80::c", "eth0", 0), // outside N
    ],
  };
  const v = interpretDump(dump, N, ["eth0"]);
  assert.deepEqual([...v.lanNeighbours()].sort(), [p(2), p(3)]);
  assert.equal(
    v.neighbour(p(2))?.ifname,
    "re6stnet1",
    "identification still follows installed routes",
  );
  assert.deepEqual([...interpretDump(dump, N).lanNeighbours()], [], "no -i: no LAN neighbour");
});

Deno.test("version gossip goes to every direct neighbour announcing its prefix, installed or not (right after a babeld restart)", () => {
  const dump: BabelDump = {
    interfaces: [],
    neighbours: [neighbour("fe80::a", "re6stnet1"), neighbour("fe80::b", "re6stnet-tcp")],
    routes: [
      route(2, "fe80::a", "re6stnet1", 0), // identified
      route(3, "fe80::b", "re6stnet-tcp", 0, false), // direct, but a 2-hop route won for now
      route(3, "fe80::a", "re6stnet1", 96),
      { ...route(4, "fe80::b", "re6stnet-tcp", 0, false), metric: 0xffff }, // retracted
    ],
  };
  const v = interpretDump(dump, N);
  assert.deepEqual([...v.neighbourPrefixes()], [p(2)]);
  assert.deepEqual(gossipTargets(v).sort(), [p(2), p(3)]);
  assert.deepEqual(gossipTargets(EMPTY_VIEW), []);
});
