/**
 * `getBootstrapPeer` under concurrent requests (spec §3.5: the candidate list is rebuilt under a
 * lock): in-process registry, a counting babel stub, a real UDP socket as the local node.
 */
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { createCa } from "../../lib/pki/ca.ts";
import { createCsr } from "../../lib/pki/csr.ts";
import type { BabelDump, BabelRoute } from "../../lib/node/babel/types.ts";
import { setVerbosity } from "../../lib/log.ts";
import { localDatagram } from "./e2e_helpers.ts";
import { startTestRegistry } from "./service_fixture.ts";

setVerbosity(0);
const ca = await createCa({ prefixCidr: "2001:db8:42::/48", bits: 2048, subject: "/CN=TEST-CA" });
const csr = () =>
  createCsr(crypto.generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey, [["O", "t"]]);
const REQUESTER = "0".repeat(15) + "1"; // 1/16, the second certificate issued

/** An installed babel route to node `n`'s /64 in 2001:db8:42::/48. */
const routeTo = (n: number): BabelRoute => ({
  id: String(n),
  prefix: `2001:db8:42:${n.toString(16)}::/64`,
  from: "::/0",
  installed: true,
  routerId: "00:00:00:00:00:00:00:01",
  metric: 96,
  refmetric: 0,
  via: "fe80::1",
  ifname: "re6stnet1",
});

/** A babeld whose dumps take 50 ms and are counted. */
function slowBabel(routes: BabelRoute[]) {
  const babel = {
    dumps: 0,
    async dump(): Promise<BabelDump> {
      babel.dumps++;
      await new Promise((r) => setTimeout(r, 50));
      return { interfaces: [], neighbours: [], routes: [...routes] };
    },
  };
  return babel;
}

async function withRegistry(
  routes: BabelRoute[],
  body: (
    r: Awaited<ReturnType<typeof startTestRegistry>>,
    babel: ReturnType<typeof slowBabel>,
  ) => Promise<void>,
): Promise<void> {
  const babel = slowBabel(routes);
  const t = await startTestRegistry(ca, { babel });
  try {
    await t.registry.requestCertificate("", csr(), "", ""); // 0/16, the registry's node
    await t.registry.requestCertificate("", csr(), "", ""); // 1/16, the requester
    t.node.answer = (bits, code) =>
      code === 1 ? localDatagram(bits, 1, "198.18.0.9,1194,tcp") : null;
    await body(t, babel);
  } finally {
    t.registry.close();
    t.node.close();
    t.db.close();
  }
}

Deno.test("getBootstrapPeer: concurrent requests share one rebuild and take distinct peers", async () => {
  // routed: 2/16 … 5/16 (+ the registry's own 0/16): five candidates for five requests
  await withRegistry([2, 3, 4, 5].map((n) => routeTo(n << 12)), async ({ registry, node }) => {
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => registry.getBootstrapPeer(REQUESTER, 10)),
    );
    assert.ok(answers.every((a) => a !== null), "every request got a peer");
    const asked = node.received.map((r) => new TextDecoder().decode(r.msg.subarray(0, 16)));
    assert.equal(new Set(asked).size, 5, `five distinct peers queried: ${asked}`);
  });
});

Deno.test("getBootstrapPeer: one babel dump for concurrent requests; an emptied list is rebuilt by the next", async () => {
  await withRegistry([2, 3].map((n) => routeTo(n << 12)), async ({ registry }, babel) => {
    const three = await Promise.all(
      Array.from({ length: 3 }, () => registry.getBootstrapPeer(REQUESTER, 10)),
    );
    assert.equal(babel.dumps, 1, "the three requests waited for the same dump");
    assert.ok(three.every((a) => a !== null));
    // the list (2/16, 3/16, 0/16) is used up: the next two requests rebuild it once, in turn
    const two = await Promise.all([0, 1].map(() => registry.getBootstrapPeer(REQUESTER, 10)));
    assert.ok(two.every((a) => a !== null));
    assert.equal(babel.dumps, 2);
  });
});

Deno.test("getBootstrapPeer: a request that finds the shared list emptied rebuilds it itself", async () => {
  // only the registry's own node is a candidate: each of three concurrent requests needs its
  // own rebuild, one after the other, and each still gets the registry node
  await withRegistry([], async ({ registry }, babel) => {
    const answers = await Promise.all(
      Array.from({ length: 3 }, () => registry.getBootstrapPeer(REQUESTER, 10)),
    );
    assert.ok(answers.every((a) => a !== null), "no 204 while a candidate exists");
    assert.equal(babel.dumps, 3);
  });
});
