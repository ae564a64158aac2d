/**
 * Our UPnP IGD client against a real miniupnpd 2.3 on a NAT gateway in namespaces
 * (spec §13.1, statement 56): discovery, external IP, mapping of 1194/tcp into 32768–40959
 * with working DNAT from the outside, conflict handling, refresh after a mapping vanished,
 * deletion at stop. Topology: `out` and `gw` on switch "wan"; `lan`, `lan2` and `gw` on
 * switch "lan"; `gw` NATs with miniupnpd (tests/net/harness.ts).
 */
import assert from "node:assert/strict";
import { run, tryRun } from "../../lib/netns/exec.ts";
import { PORT_BASE, PortSequence } from "../../lib/node/upnp/port_sequence.ts";
import { canRunNetTests, type Host, type TestNet, waitFor, withNet } from "../net/harness.ts";

const DRIVER = new URL("./upnp_driver.ts", import.meta.url).pathname;
const PROBE = new URL("../net/udp_probe.ts", import.meta.url).pathname;
const SEED = [5, 7, 100] as const; // r1, r2, start: fixes the chooser's walk

type Answer = Record<string, unknown> & { ok: boolean };

/** Starts `upnp_driver.ts` in `host`; returns a function sending it one command. */
async function driver(net: TestNet, host: Host): Promise<(cmd: object) => Promise<Answer>> {
  const path = `${net.tmpDir}/${host.name}.sock`;
  const proc = await net.spawn(host, [Deno.execPath(), "run", "-A", DRIVER, path], {
    name: "upnp-driver",
  });
  await waitFor(async () => (await Deno.readTextFile(proc.logFile)).includes("ready"), {
    timeoutMs: 20_000,
    what: `UPnP driver on ${host.name}`,
  });
  return async (cmd) => {
    const conn = await Deno.connect({ transport: "unix", path });
    try {
      await conn.write(new TextEncoder().encode(JSON.stringify(cmd) + "\n"));
      let text = "";
      const buf = new Uint8Array(65536);
      for (let n = await conn.read(buf); n !== null; n = await conn.read(buf)) {
        text += new TextDecoder().decode(buf.subarray(0, n));
      }
      return JSON.parse(text);
    } finally {
      conn.close();
    }
  };
}

Deno.test("statement 56: PortMapper behind real miniupnpd maps, refreshes and deletes", async () => {
  if (!canRunNetTests("miniupnpd")) return;
  await withNet("upnp miniupnpd", async (net) => {
    const [out, gw, lan, lan2] = await Promise.all(
      ["out", "gw", "lan", "lan2"].map((h) => net.host(h)),
    );
    const wan = await net.switch("wan", [out, gw]);
    const inside = await net.switch("lan", [lan, lan2, gw]);
    const nat = await net.nat(gw, inside, wan, { upnp: true });
    const lanIp = inside.members.get(lan)!.ip, lan2Ip = inside.members.get(lan2)!.ip;
    const outIp = wan.members.get(out)!.ip;
    const dnatRules = async () =>
      (await run(["nft", "list", "chain", "inet", "miniupnpd", "prerouting_miniupnpd"], {
        ns: gw.ns,
      })).split("\n").map((l) => l.trim()).filter((l) => l.includes("dnat"));
    const lanLog = async () => await Deno.readTextFile(`${net.logDir}/${lan.name}-upnp-driver.log`);
    const [onLan, onLan2, onOut] = await Promise.all([lan, lan2, out].map((h) => driver(net, h)));

    // Discovery, our LAN address, the gateway's outside address.
    const d = await onLan({ op: "discover" });
    assert.equal(d.ok, true, JSON.stringify(d));
    assert.equal(d.lanAddress, lanIp);
    assert.equal(d.externalIp, nat.publicIp);
    assert.match(String(d.serviceType), /WANIPConnection:[12]$/);

    // Another LAN host holds the chooser's first candidate: the mapper must skip it.
    const walk = new PortSequence({ r1: SEED[0], r2: SEED[1], start: SEED[2] });
    const first = walk.next(), second = walk.next(), third = walk.next();
    const taken = await onLan2({
      op: "add",
      externalPort: first,
      proto: "tcp",
      internalPort: 2000,
    });
    assert.equal(taken.ok, true, JSON.stringify(taken));

    assert.equal((await onLan({ op: "listen", port: 1194 })).ok, true);
    const servers = [{ proto: "tcp", port: 1194 }, { proto: "udp", port: 1194 }];
    await onLan({ op: "mapper", servers, seed: SEED });
    const started = await onLan({ op: "start" });
    assert.equal(started.ok, true, JSON.stringify(started));
    const mapped = [
      { ip: nat.publicIp, port: second, proto: "tcp" },
      { ip: nat.publicIp, port: third, proto: "udp" },
    ];
    assert.deepEqual(started.result, { kind: "mapped", endpoints: mapped });
    assert.ok(second >= PORT_BASE && second <= 40959);
    assert.match(await lanLog(), new RegExp(`external port ${first}/tcp in conflict`));

    // DNAT works: the outside host reaches the LAN listener through the mapped port.
    const reached = `hello from LAN to ${outIp}`;
    const c = await onOut({ op: "connect", host: nat.publicIp, port: second });
    assert.equal(c.received, reached, JSON.stringify(c));
    const rule = `dport ${second} dnat ip to ${lanIp}:1194`;
    assert.ok((await dnatRules()).some((r) => r.includes(rule)));

    // The UDP server is reachable from the outside too.
    const udp = await net.spawn(lan, [Deno.execPath(), "run", "-A", PROBE, "listen", "1194"], {
      name: "udp-listen",
    });
    await waitFor(async () => (await Deno.readTextFile(udp.logFile)).includes("listening"), {
      timeoutMs: 20_000,
      what: "UDP listener on lan",
    });
    const sent = await tryRun([
      Deno.execPath(),
      "run",
      "-A",
      PROBE,
      "send",
      nat.publicIp,
      String(third),
      "hi",
    ], {
      ns: out.ns,
    });
    assert.equal(sent.code, 0, sent.stderr);
    await waitFor(async () => (await Deno.readTextFile(udp.logFile)).includes(`from ${outIp}:`), {
      timeoutMs: 10_000,
      what: "datagram through the UDP mapping",
    });

    // A mapping deleted behind our back is recreated by the next refresh.
    assert.equal((await onLan({ op: "delete", externalPort: second, proto: "tcp" })).ok, true);
    assert.ok(!(await dnatRules()).some((r) => r.includes(`dport ${second} `)));
    const r1 = await onLan({ op: "refresh", force: false });
    assert.equal(r1.refreshed, true, JSON.stringify(r1));
    assert.deepEqual(r1.endpoints, mapped);
    assert.match(await lanLog(), new RegExp(`mapping ${second}/tcp missing`));
    assert.ok((await dnatRules()).some((r) => r.includes(rule)));
    const c2 = await onOut({ op: "connect", host: nat.publicIp, port: second });
    assert.equal(c2.received, reached, JSON.stringify(c2));

    // The forced (periodic) refresh re-adds in place.
    const r2 = await onLan({ op: "refresh", force: true });
    assert.deepEqual(r2.endpoints, mapped);

    // stop() deletes ours; the other client's mapping stays.
    assert.deepEqual((await onLan({ op: "stop" })).endpoints, []);
    const left = await dnatRules();
    assert.ok(!left.some((r) => r.includes(`dport ${second} `)), left.join("\n"));
    assert.ok(!left.some((r) => r.includes(`dport ${third} `)), left.join("\n"));
    assert.ok(
      left.some((r) => r.includes(`dport ${first} dnat ip to ${lan2Ip}:2000`)),
      left.join("\n"),
    );
    const c3 = await onOut({ op: "connect", host: nat.publicIp, port: second });
    assert.equal(c3.ok, false, "the mapping must be gone");
  });
});
