/**
 * Our UPnP IGD client against a real miniupnpd 2.3 on a NAT gateway in namespaces
 * (spec §13.1, statement 56): discovery, external IP, mapping of 1194/tcp into 32768–40959
 * with working DNAT from the outside, conflict handling, refresh after a mapping vanished,
 * deletion at stop.
 */
import assert from "node:assert/strict";
import { PORT_BASE, PortSequence } from "../../lib/node/upnp/port_sequence.ts";
import { ADDR, GatewayNet } from "./gateway_net.ts";

const SEED = [5, 7, 100] as const; // r1, r2, start: fixes the chooser's walk

Deno.test({
  name: "statement 56: PortMapper behind real miniupnpd maps, refreshes and deletes",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    if (Deno.uid() !== 0) {
      console.log("miniupnpd test: not root, namespaced network test not run (CI runs it as root)");
      return;
    }
    const net = await GatewayNet.create();
    let ok = false;
    try {
      const lan = net.driver(net.ns.lan, "lan");
      const lan2 = net.driver(net.ns.lan2, "lan2");
      const out = net.driver(net.ns.out, "out");

      // Discovery, LAN address, external IP.
      const d = await lan.send({ op: "discover" });
      assert.equal(d.ok, true, JSON.stringify(d));
      assert.equal(d.lanAddress, ADDR.lan);
      assert.equal(d.externalIp, ADDR.gwOutside);
      assert.match(String(d.serviceType), /WANIPConnection:[12]$/);

      // Another LAN host holds the chooser's first candidate: the mapper must skip it.
      const walk = new PortSequence({ r1: SEED[0], r2: SEED[1], start: SEED[2] });
      const first = walk.next(), second = walk.next();
      const taken = await lan2.send({
        op: "add",
        externalPort: first,
        proto: "tcp",
        internalPort: 2000,
      });
      assert.equal(taken.ok, true, JSON.stringify(taken));

      assert.equal((await lan.send({ op: "listen", port: 1194 })).ok, true);
      await lan.send({ op: "mapper", servers: [{ proto: "tcp", port: 1194 }], seed: SEED });
      const started = await lan.send({ op: "start" });
      assert.equal(started.ok, true, JSON.stringify(started));
      const result = started.result as {
        kind: string;
        endpoints: { ip: string; port: number; proto: string }[];
      };
      assert.equal(result.kind, "mapped");
      assert.deepEqual(result.endpoints, [{ ip: ADDR.gwOutside, port: second, proto: "tcp" }]);
      assert.ok(second >= PORT_BASE && second <= 40959);
      assert.match(lan.output(), new RegExp(`external port ${first}/tcp in conflict`));

      // DNAT works: the outside host reaches the LAN listener through the mapped port.
      const c = await out.send({ op: "connect", host: ADDR.gwOutside, port: second });
      assert.equal(c.ok, true, JSON.stringify(c));
      assert.equal(c.received, `hello from LAN to ${ADDR.out}`);
      assert.ok(
        (await net.dnatRules()).some((r) =>
          r.includes(`dport ${second} dnat ip to ${ADDR.lan}:1194`)
        ),
      );

      // A mapping deleted behind our back is recreated by the next refresh.
      assert.equal((await lan.send({ op: "delete", externalPort: second, proto: "tcp" })).ok, true);
      assert.ok(!(await net.dnatRules()).some((r) => r.includes(`dport ${second} `)));
      const r1 = await lan.send({ op: "refresh", force: false });
      assert.equal(r1.refreshed, true, JSON.stringify(r1));
      assert.deepEqual(r1.endpoints, [{ ip: ADDR.gwOutside, port: second, proto: "tcp" }]);
      assert.match(lan.output(), new RegExp(`mapping ${second}/tcp missing`));
      assert.ok(
        (await net.dnatRules()).some((r) =>
          r.includes(`dport ${second} dnat ip to ${ADDR.lan}:1194`)
        ),
      );
      const c2 = await out.send({ op: "connect", host: ADDR.gwOutside, port: second });
      assert.equal(c2.received, `hello from LAN to ${ADDR.out}`);

      // The forced (periodic) refresh re-adds in place.
      const r2 = await lan.send({ op: "refresh", force: true });
      assert.deepEqual(r2.endpoints, [{ ip: ADDR.gwOutside, port: second, proto: "tcp" }]);

      // stop() deletes ours; the other client's mapping stays.
      const s = await lan.send({ op: "stop" });
      assert.deepEqual(s.endpoints, []);
      const left = await net.dnatRules();
      assert.ok(!left.some((r) => r.includes(`dport ${second} `)), left.join("\n"));
      assert.ok(
        left.some((r) => r.includes(`dport ${first} dnat ip to ${ADDR.lan2}:2000`)),
        left.join("\n"),
      );
      const c3 = await out.send({ op: "connect", host: ADDR.gwOutside, port: second }, 10_000);
      assert.equal(c3.ok, false, "the mapping must be gone");
      ok = true;
    } finally {
      if (!ok) console.log(net.logs());
      await net.dispose();
    }
  },
});
