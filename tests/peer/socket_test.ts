/**
 * The peer protocol on real UDP sockets: three node processes, each in its own network
 * namespace with a 2001:db8:42:N::1/64 address on a shared bridge, each bound to [::]:326 and
 * reaching peers at their subnet-router anycast address (forwarding on). They handshake,
 * exchange codes 0/1/4, relay a registry request from ::1, then survive a stream of forged,
 * garbled, replayed and truncated packets and hellos with foreign-CA, expired, revoked certs.
 * Follows TESTNET.md: per-run namespace prefix, processes killed by PID, namespaces deleted in
 * finally, every wait bounded.
 */
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { encodeHello0, encodeHello0Fingerprint, packetSeq } from "../../lib/node/peer/packet.ts";
import { decodeLocalDatagram, encodeLocalDatagram } from "../../lib/node/peer/local.ts";
import { nodeAddress, subnetAnycast } from "../../lib/wire/prefix.ts";
import { NETWORK, savePki, testPki } from "./fixtures.ts";

const PREFIX = "re6st-peer-";
const DRIVER = new URL("./netns/peer_node.ts", import.meta.url).pathname;
const b64 = (b: Uint8Array) => btoa(String.fromCharCode(...b));
const unb64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
const td = new TextDecoder();

async function sh(...args: string[]): Promise<string> {
  const out = await new Deno.Command(args[0], { args: args.slice(1), stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(`${args.join(" ")}: ${td.decode(out.stderr).trim()}`);
  }
  return td.decode(out.stdout);
}

/** Deletes namespaces of earlier runs of this test whose process is gone. */
async function cleanLeftovers(): Promise<void> {
  for (const line of (await sh("ip", "netns", "list")).split("\n")) {
    const name = line.split(" ")[0];
    const m = name.startsWith(PREFIX) ? /^re6st-peer-(\d+)-/.exec(name) : null;
    if (m && Number(m[1]) !== Deno.pid) {
      try {
        await Deno.stat(`/proc/${m[1]}`);
      } catch {
        await sh("ip", "netns", "del", name).catch(() => {});
      }
    }
  }
}

type Event = { event: string; id?: number; [k: string]: unknown };

/** One node process and its event stream. */
class NodeProc {
  readonly events: Event[] = [];
  private nextId = 1;
  private readonly writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly done: Promise<void>;

  constructor(readonly name: string, readonly child: Deno.ChildProcess) {
    this.writer = child.stdin.getWriter();
    this.done = (async () => {
      let buf = "";
      for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
        buf += chunk;
        let nl;
        while ((nl = buf.indexOf("\n")) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          try {
            this.events.push(JSON.parse(line));
          } catch {
            this.events.push({ event: "stdout", line });
          }
        }
      }
    })();
  }

  /** Waits (bounded) for an event matching `pred`. */
  async waitFor(pred: (e: Event) => boolean, what: string, ms = 10_000): Promise<Event> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      const e = this.events.find(pred);
      if (e) return e;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`${this.name}: timed out waiting for ${what}`);
  }

  /** Sends a command and waits for its reply event. */
  async call(cmd: Record<string, unknown>, ms = 10_000): Promise<Event> {
    const id = this.nextId++;
    await this.writer.write(new TextEncoder().encode(JSON.stringify({ id, ...cmd }) + "\n"));
    return await this.waitFor((e) => e.id === id, `reply to ${cmd.cmd}`, ms);
  }

  logs(text: string): string[] {
    return this.events.filter((e) => e.event === "log" && String(e.msg).includes(text))
      .map((e) => String(e.msg));
  }
}

Deno.test("peer protocol over real UDP sockets between namespaces", async () => {
  if (Deno.uid() !== 0) {
    console.log("skipped: namespaced UDP test needs root (ip netns)");
    return;
  }
  await cleanLeftovers();
  const run = `${PREFIX}${Deno.pid}-${crypto.randomBytes(2).toString("hex")}`;
  const hub = `${run}-hub`;
  const names = ["a", "b", "c"].map((x) => `${run}-${x}`);
  const created: string[] = [];
  const procs: NodeProc[] = [];
  const dir = await Deno.makeTempDir({ prefix: "re6st-peer-test-" });
  const pki = await testPki();
  const [n1, n2, n3] = pki.nodes;
  const addr = (n: { prefix: string }) => nodeAddress(NETWORK + n.prefix);
  try {
    // --- network: a bridge in the hub namespace, one node namespace per node
    await sh("ip", "netns", "add", hub);
    created.push(hub);
    await sh("ip", "-n", hub, "link", "add", "br0", "type", "bridge");
    await sh("ip", "-n", hub, "link", "set", "br0", "up");
    for (const [i, ns] of names.entries()) {
      await sh("ip", "netns", "add", ns);
      created.push(ns);
      const port = `p${i}`;
      await sh(
        "ip",
        "link",
        "add",
        "eth0",
        "netns",
        ns,
        "type",
        "veth",
        "peer",
        port,
        "netns",
        hub,
      );
      await sh("ip", "-n", hub, "link", "set", port, "master", "br0", "up");
      await sh("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.forwarding=1");
      await sh("ip", "-n", ns, "link", "set", "lo", "up");
      await sh("ip", "-n", ns, "link", "set", "eth0", "up");
      const node = pki.nodes[i];
      await sh("ip", "-n", ns, "addr", "add", `${addr(node)}/64`, "dev", "eth0", "nodad");
      await sh("ip", "-n", ns, "route", "add", "2001:db8:42::/48", "dev", "eth0");
    }
    // an address outside the network, on C's host, for the attacker
    await sh("ip", "-n", names[2], "addr", "add", "2001:db8:43::3/64", "dev", "eth0", "nodad");
    const pkiPath = `${dir}/pki.json`;
    await savePki(pki, pkiPath);

    // --- three nodes: A (1/16) is the registry's node and has the newest version
    const versions = [2, 1, 1];
    for (const [i, ns] of names.entries()) {
      const child = new Deno.Command("ip", {
        args: ["netns", "exec", ns, Deno.execPath(), "run", "-A", DRIVER, pkiPath, String(i)]
          .concat([String(versions[i]), n1.prefix]),
        stdin: "piped",
        stdout: "piped",
        stderr: "inherit",
      }).spawn();
      procs.push(new NodeProc(`node ${"ABC"[i]}`, child));
    }
    const [A, B, C] = procs;
    for (const p of procs) await p.waitFor((e) => e.event === "ready", "ready", 20_000);

    const connected = async (x: NodeProc, y: { prefix: string }) => {
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        if ((await x.call({ cmd: "status", prefix: y.prefix })).connected) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`${x.name} never connected to ${y.prefix}`);
    };

    // --- statement 38: handshake, first message = version; B adopts A's newer version
    await A.call({ cmd: "send", prefix: n2.prefix });
    await connected(A, n2);
    await connected(B, n1);
    await B.waitFor((e) => e.event === "newVersion" && e.delayMs === 1000, "newVersion");
    const bStatus = await B.call({ cmd: "status", prefix: n1.prefix });
    assert.equal(
      bStatus.version,
      Array.from(pki.version(2), (x) => x.toString(16).padStart(2, "0")).join(""),
    );
    assert.equal(bStatus.protocol, 10);

    // --- codes 1 and 4, statement 37: requests went to B's subnet-router anycast address
    await A.call({ cmd: "send", prefix: n2.prefix, code: 1 });
    const addrMsg = await A.waitFor((e) => e.event === "message" && e.code === 1, "code 1");
    assert.equal(td.decode(unb64(String(addrMsg.data))), "198.18.0.2,1194,tcp,FR");
    await A.call({ cmd: "send", prefix: n2.prefix, code: 4 });
    const sw = await A.waitFor((e) => e.event === "message" && e.code === 4, "code 4");
    assert.equal(td.decode(unb64(String(sw.data))), "0.1.0, test");
    const aSent = await A.call({ cmd: "sent", prefix: subnetAnycast(NETWORK + n2.prefix) });
    assert.ok((aSent.packets as string[]).length >= 3, "A's requests went to B's anycast address");

    // --- statement 45 (forwarding): the registry asks A over ::1 for B's addresses
    const local = await A.call({
      cmd: "local",
      data: b64(encodeLocalDatagram(n2.prefix, 1, new Uint8Array(0))),
    });
    const answer = decodeLocalDatagram(unb64((local.answers as string[])[0]));
    assert.ok(!("reason" in answer));
    assert.deepEqual([answer.prefix, answer.code, td.decode(answer.data)], [
      n2.prefix,
      1,
      "198.18.0.2,1194,tcp,FR",
    ]);

    // --- C joins: session with B
    await C.call({ cmd: "send", prefix: n2.prefix });
    await connected(C, n2);
    await C.call({ cmd: "send", prefix: n2.prefix, code: 4 });
    await C.waitFor((e) => e.event === "message" && e.code === 4, "code 4 from B to C");
    const cSent = (await C.call({ cmd: "sent", prefix: subnetAnycast(NETWORK + n2.prefix) }))
      .packets as string[];
    const cToB = [
      ...cSent,
      ...(await C.call({ cmd: "sent", prefix: n2.prefix })).packets as string[],
    ]
      .map(unb64);
    const cData = cToB.filter((p) => packetSeq(p) >= 3);
    const cHello = cToB.filter((p) => packetSeq(p) <= 2);
    assert.ok(cData.length > 0 && cHello.length > 0);

    // --- the attack, from C's host against B
    const bAnycast = subnetAnycast(NETWORK + n2.prefix);
    const fpB = crypto.createHash("sha1").update(n2.cert).digest();
    const rnd = (n: number) => new Uint8Array(crypto.randomBytes(n));
    const garbled = [0, 1, 2, 3, 7].map((seq) => {
      const p = rnd(300);
      new DataView(p.buffer).setUint32(0, seq);
      return p;
    });
    const forgedMac = cData.at(-1)!.slice();
    new DataView(forgedMac.buffer).setUint32(0, 0x7fffffff);
    forgedMac[6] ^= 0x55;
    const attacks: [string, Uint8Array[], string][] = [
      [addr(n3), [encodeHello0(pki.foreign.cert)], "certificate not signed by CA"],
      [addr(n3), [encodeHello0Fingerprint(10, fpB, pki.expired.cert)], "certificate expired"],
      [addr(n3), [encodeHello0(pki.revoked.cert)], "revoked"],
      [addr(n3), [encodeHello0(n1.cert)], "cert from wrong source"],
      ["2001:db8:43::3", [encodeHello0(n3.cert)], "outside the network"],
      [addr(n3), garbled, "ignored"],
      [addr(n3), [rnd(3), rnd(4)], "-byte datagram"],
      [addr(n3), [cData[0].subarray(0, 10)], "data shorter than HMAC"],
      [addr(n3), cData, "(replay)"],
      [addr(n3), [forgedMac], "bad HMAC"],
      [addr(n3), cHello.filter((p) => packetSeq(p) === 2), "not newer"],
    ];
    for (const [from, packets, why] of attacks) {
      const before = B.logs(why).length;
      const r = await C.call({
        cmd: "raw",
        from,
        to: bAnycast,
        port: 326,
        packets: packets.map(b64),
      });
      assert.deepEqual(r.answers, [], `no answer to: ${why}`);
      await B.waitFor(() => B.logs(why).length > before, `B logs "${why}"`, 5000);
    }

    // --- B is alive and keeps answering valid traffic from A and C
    const before = A.events.length;
    await A.call({ cmd: "send", prefix: n2.prefix, code: 4 });
    await A.waitFor(
      (e) => A.events.indexOf(e) >= before && e.event === "message" && e.code === 4,
      "code 4 after the attack",
    );
    const cBefore = C.events.length;
    await C.call({ cmd: "send", prefix: n2.prefix, code: 1 });
    const cAddr = await C.waitFor(
      (e) => C.events.indexOf(e) >= cBefore && e.event === "message" && e.code === 1,
      "code 1 after the attack",
    );
    assert.equal(td.decode(unb64(String(cAddr.data))), "198.18.0.2,1194,tcp,FR");
    const bErrors = B.events.filter((e) => e.event === "log" && e.level === "error");
    assert.deepEqual(bErrors, []);
  } catch (err) {
    for (const p of procs) {
      console.error(`--- ${p.name} events:`);
      for (const e of p.events) console.error(JSON.stringify(e));
    }
    throw err;
  } finally {
    for (const p of procs) {
      try {
        p.child.kill("SIGKILL");
      } catch { /* already gone */ }
      await p.child.status;
    }
    for (const ns of created.reverse()) await sh("ip", "netns", "del", ns).catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
});
