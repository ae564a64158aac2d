/** The namespaced test-network harness, checked on a small topology of real namespaces. */
import assert from "node:assert/strict";
import { canRunNetTests, FAMILY, waitFor, withNet } from "./harness.ts";
import { tryRun } from "../../lib/netns/exec.ts";
import { cleanLeftovers, createNamespace, listNamespaces } from "../../lib/netns/netns.ts";

const PROBE = new URL("./udp_probe.ts", import.meta.url).pathname;
const probe = (...args: string[]) => [Deno.execPath(), "run", "-A", PROBE, ...args];

Deno.test("harness: switch, router, NAT with miniupnpd, all-pairs ping6", async () => {
  if (!canRunNetTests("harness topology")) return;
  await withNet("harness topology", async (net) => {
    const [a, b, c, s, gw, n] = await Promise.all(
      ["a", "b", "c", "s", "gw", "n"].map((h) => net.host(h)),
    );
    const lan1 = await net.switch("lan1", [a, b]);
    const lan2 = await net.switch("lan2", [c]);
    await net.router("r", [lan1, lan2]);
    const wan = await net.switch("wan", [s, gw]);
    const lan3 = await net.switch("lan3", [n, gw]);
    const nat = await net.nat(gw, lan3, wan, { upnp: true });
    const ip = (sw: typeof lan1, h: typeof a) => sw.members.get(h)!.ip;

    // IPv4 on one switch and across the router, both ways.
    assert.ok(await net.ping(a, ip(lan1, b)), "a -> b on lan1");
    assert.ok(await net.ping(a, ip(lan2, c)), "a -> c via router");
    assert.ok(await net.ping(c, ip(lan1, b)), "c -> b via router");

    // Through the NAT one way only: s has no route to the inside block.
    assert.ok(await net.ping(n, ip(wan, s)), "n -> s through NAT");
    assert.equal(await net.ping(s, ip(lan3, n)), false, "s must not reach inside n");

    // The NAT masquerades: s sees the datagram coming from the gateway's outside address.
    const listener = await net.spawn(s, probe("listen", "5000"), { name: "udp-listen" });
    await waitFor(async () => (await Deno.readTextFile(listener.logFile)).includes("listening"), {
      timeoutMs: 15_000,
      what: "UDP listener on s",
    });
    const sent = await tryRun(probe("send", ip(wan, s), "5000", "hello"), { ns: n.ns });
    assert.equal(sent.code, 0, sent.stderr);
    const seen = await waitFor(async () => {
      const log = await Deno.readTextFile(listener.logFile);
      return /from (\S+):\d+ hello/.exec(log)?.[1];
    }, { timeoutMs: 10_000, what: "datagram at s" });
    assert.equal(seen, nat.publicIp);

    // miniupnpd answers an SSDP M-SEARCH from the inside.
    const ssdp = await tryRun(probe("msearch", "5000"), { ns: n.ns });
    assert.equal(ssdp.code, 0, ssdp.stdout + ssdp.stderr);
    assert.match(ssdp.stdout, /^HTTP\/1\.1 200 OK/m);
    assert.match(ssdp.stdout, /ST: urn:schemas-upnp-org:device:InternetGatewayDevice:1/);
    assert.match(ssdp.stdout, new RegExp(`LOCATION: http://${ip(lan3, gw)}:\\d+/`, "i"));

    // IPv6 overlay-style addresses on one switch: everyone reaches everyone.
    await net.addr(a, lan1.members.get(a)!.ifname, "2001:db8:1::a/64");
    await net.addr(b, lan1.members.get(b)!.ifname, "2001:db8:1::b/64");
    const m = await net.allPairsPing6(
      [{ host: a, address: "2001:db8:1::a" }, { host: b, address: "2001:db8:1::b" }],
      10_000,
    );
    assert.ok(m.complete, JSON.stringify(m));
    assert.deepEqual(m.reached, [[true, true], [true, true]]);
  });
});

Deno.test("harness: leftovers of dead runs of our family are deleted, live ones kept", async () => {
  if (!canRunNetTests("harness leftovers")) return;
  const dead = new Deno.Command("true").spawn();
  await dead.status;
  const stale = `${FAMILY}${dead.pid}-zzzz-old`;
  const mine = `${FAMILY}${Deno.pid}-zzzz-live`;
  try {
    await createNamespace(stale);
    await createNamespace(mine);
    const deleted = await cleanLeftovers(FAMILY);
    assert.ok(deleted.includes(stale));
    const left = await listNamespaces();
    assert.ok(!left.includes(stale));
    assert.ok(left.includes(mine));
  } finally {
    await tryRun(["ip", "netns", "del", stale]);
    await tryRun(["ip", "netns", "del", mine]);
  }
});
