import assert from "node:assert/strict";
import { freshView } from "../../lib/node/control/fresh_view.ts";
import type { BabelDump } from "../../lib/node/babel/types.ts";
import { EMPTY_VIEW, type RoutingView } from "../../lib/node/babel/view.ts";
import { bitsToCidr, cidrToBits } from "../../lib/wire/prefix.ts";

const N = cidrToBits("2001:db8:42::/48");
const P = "0000000000000101";

/** A view the status would fall back to (the tunnel manager's last one). */
const LAST: RoutingView = { ...EMPTY_VIEW, routed: ["last"] };

const ONE_ROUTE: BabelDump = {
  interfaces: [],
  neighbours: [],
  routes: [{
    id: "r1",
    prefix: bitsToCidr(N + P),
    from: "::/0",
    installed: true,
    routerId: "00:00:00:00:00:00:00:01",
    metric: 352,
    refmetric: 256,
    via: "fe80::a",
    ifname: "re6stnet1",
  }],
};

Deno.test("status view: babeld's fresh dump when it answers", async () => {
  const view = await freshView({ dump: () => Promise.resolve(ONE_ROUTE) }, N, [], LAST);
  assert.deepEqual([...view.routed], [P]);
});

Deno.test("status view: the last view when babeld refuses, is gone, or is slow", async () => {
  const refused = { dump: () => Promise.reject(new Error("dump refused: bad")) };
  assert.equal(await freshView(refused, N, [], LAST), LAST);
  assert.equal(await freshView(undefined, N, [], LAST), LAST);
  const t0 = Date.now();
  const silent = { dump: () => new Promise<BabelDump>(() => {}) };
  assert.equal(await freshView(silent, N, [], LAST, 100), LAST);
  const waited = Date.now() - t0;
  assert.ok(waited >= 90 && waited < 1000, `waited ${waited} ms`);
});

Deno.test("status view: a refusal that comes after the wait is dropped quietly", async () => {
  let refuse = () => {};
  const late = {
    dump: () => new Promise<BabelDump>((_, reject) => refuse = () => reject(new Error("late"))),
  };
  assert.equal(await freshView(late, N, [], LAST, 20), LAST);
  refuse(); // an unhandled rejection here would fail the test
  await new Promise((resolve) => setTimeout(resolve, 20));
});
