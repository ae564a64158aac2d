/**
 * Bad input sent to a live `re6st node` (registry + 2 nodes, router topology): truncated,
 * garbled, forged and replayed UDP 326 packets, hello0s carrying a foreign-CA, an expired and a
 * revoked certificate (revoked at the registry while the network runs, so the CRL reaches the node
 * through version gossip and a parameter fetch), garbage on its OpenVPN event FIFO and on its
 * OpenVPN management socket. Every one is dropped with a log line; the node keeps running and
 * every pair still pings.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { matrixTable, watchConvergence } from "../../lib/demo/reachability.ts";
import { loadCaSigner } from "../../lib/pki/ca.ts";
import { parseNodeCertificate } from "../../lib/pki/certificate.ts";
import { createTestCa, createTestNode } from "../../lib/pki/testing.ts";
import { run } from "../../lib/netns/exec.ts";
import { canRunNetTests, type Host, waitFor, withNet } from "./harness.ts";
import { routerNetwork, startAll, targetsOf } from "./router_network.ts";

const TOOL = new URL("./udp_send.ts", import.meta.url).pathname;

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

function seq(n: number, body: Uint8Array = new Uint8Array(0)): Uint8Array {
  const out = new Uint8Array(4 + body.length);
  new DataView(out.buffer).setUint32(0, n);
  out.set(body, 4);
  return out;
}

function random(n: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(n));
}

Deno.test("live node drops forged, garbled, replayed packets, bad-cert hellos and event garbage", async () => {
  if (!canRunNetTests("node bad input")) return;
  await withNet("node-bad-input", async (net) => {
    const { overlay, nodes, hosts } = await routerNetwork(net, 3);
    const [, target, attacker, revokedNode] = nodes;
    const live = nodes.slice(0, 3);
    await startAll(live);
    const targets = targetsOf(live);
    const names = live.map((n) => n.host.name);
    const first = await watchConvergence(targets, 90_000);
    assert.ok(first.complete, matrixTable(names, first.matrix));
    const log = `${target.logDir}/re6stnet.log`;
    const logText = () => Deno.readTextFile(log);

    // revoke the (never started) third node at the registry; wait for the CRL to reach the target
    const revokedCert = parseNodeCertificate(
      await Deno.readTextFile(`${revokedNode.dir}/cert.crt`),
    );
    await run(
      ["curl", "-sf", `http://127.0.0.1/revoke?cn_or_serial=${revokedCert.serial}`],
      { ns: hosts[0].ns },
    );
    const revokedAt = Date.now();
    await waitFor(async () => /network parameters changed: .*crl/.test(await logText()), {
      timeoutMs: 60_000,
      what: "the target node to fetch the new CRL",
    });
    console.log(`CRL reached the node ${Date.now() - revokedAt} ms after the revocation`);

    const attackerPrefix = parseNodeCertificate(await Deno.readTextFile(`${attacker.dir}/cert.crt`))
      .prefix;
    const foreign = await createTestCa({ prefixCidr: "2001:db8:42::/48" });
    const foreignCert = await createTestNode(foreign.signer, attackerPrefix);
    const signer = loadCaSigner(
      await Deno.readTextFile(`${overlay.caDir}/ca.crt`),
      await Deno.readTextFile(`${overlay.caDir}/ca.key`),
    );
    const expired = await createTestNode(signer, attackerPrefix, {
      serial: 90_000n,
      notBefore: new Date(Date.now() - 10 * 86_400_000),
      notAfter: new Date(Date.now() - 86_400_000),
    });
    const packets = [
      new Uint8Array(0),
      new Uint8Array([1]),
      new Uint8Array([0, 0, 0]),
      seq(0),
      random(3),
      ...Array.from({ length: 10 }, () => random(1 + Math.floor(Math.random() * 600))),
      seq(0, random(300)), // garbled hello0
      seq(1, random(300)), // garbled hello0 with fingerprint
      seq(2, random(512)), // forged hello (session key)
      seq(7, random(40)), // forged data packet (bad HMAC)
      seq(0xffffffff, random(24)),
      seq(0, foreignCert.cert.der),
      seq(0, expired.cert.der),
    ];
    const file = `${net.tmpDir}/packets.hex`;
    await Deno.writeTextFile(file, packets.map(hex).join("\n") + "\n");
    const send = (from: Host, bind: string, path: string) =>
      run([Deno.execPath(), "run", "-A", TOOL, bind, target.address, "326", path], { ns: from.ns });
    await send(attacker.host as Host, attacker.address, file);

    // the revoked certificate, from an address of its own prefix (borrowed by the attacker)
    await run(["ip", "-6", "addr", "add", `${revokedNode.address}/128`, "dev", "lo"], {
      ns: attacker.host.ns,
    });
    const revokedFile = `${net.tmpDir}/revoked.hex`;
    await Deno.writeTextFile(revokedFile, hex(seq(0, revokedCert.der)) + "\n");
    await send(attacker.host as Host, revokedNode.address, revokedFile);

    // garbage on the OpenVPN event FIFO and on a server's management socket
    const fifo = await Deno.open(`${target.dir}/run/ovpn-events`, { write: true });
    const enc = new TextEncoder();
    for (
      const line of [
        "garbage\n",
        "route-up\tnot-a-pid\tre6stnet1\t1/16\t1\t\n",
        "route-up\t4242\tre6stnet1\t1/16\t12\t198.18.1.9\n",
        "route-up\t1\t../../etc\tx\t1\t\n",
        "x".repeat(10_000) + "\n",
        "\0\xff\xfe\n",
      ]
    ) await fifo.write(enc.encode(line));
    fifo.close();
    const mgmt = await Deno.connect({
      transport: "unix",
      path: `${target.dir}/run/re6stnet-tcp.mgmt`,
    });
    try {
      await mgmt.write(
        enc.encode(">CLIENT:CONNECT,zz,zz\n>CLIENT:ENV,common_name=1/16\ngarbage\n"),
      );
    } catch (e) {
      // the node may already have closed this extra connection
      if (!(e instanceof Deno.errors.BrokenPipe)) throw e;
    }
    mgmt.close();

    await waitFor(async () => {
      const text = await logText();
      return [
        /ignoring \d-byte datagram/,
        /hello0 from .* ignored: .*(not signed|CA)/i,
        /hello0 from .* ignored: .*expired/,
        /hello0 from .* ignored: certificate \d+ revoked/,
        /hook channel: dropped/,
        /second management connection refused/,
      ].every((re) => re.test(text));
    }, { timeoutMs: 20_000, what: "a log line for every kind of bad input" });
    assert.equal(target.proc?.exit, undefined, "the target node still runs");
    const after = await watchConvergence(targets, 60_000);
    assert.ok(after.complete, `after the attack:\n${matrixTable(names, after.matrix)}`);
  });
});
