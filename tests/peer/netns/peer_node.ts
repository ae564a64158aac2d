/**
 * A real peer-protocol node for namespaced tests: PeerSocket on [::]:326 (default anycast
 * resolution), driven by JSON-line commands on stdin; reports events as JSON lines on stdout.
 *
 * usage: deno run -A peer_node.ts <pki.json> <node index 0-2> <version> <registry prefix>
 *
 * Commands: {id, cmd:"send", prefix, code?, data?} · {id, cmd:"status", prefix} ·
 * {id, cmd:"raw", from, to, port, packets:[b64…]} (send from a socket bound to `from`, report
 * answers received within 500 ms) · {id, cmd:"local", data} (registry role: send to
 * [::1]:326, report the first answer, waiting at most 3 s) · {id, cmd:"sent", prefix} (data packets we
 * sent to that peer, base64) · {cmd:"exit"}.
 */
import dgram from "node:dgram";
import crypto from "node:crypto";
import { caCertVerifier } from "../../../lib/node/peer/cert_verifier.ts";
import { PeerProtocol } from "../../../lib/node/peer/protocol.ts";
import { PeerSocket } from "../../../lib/node/peer/socket.ts";
import { nodeAddress } from "../../../lib/wire/prefix.ts";
import { loadPki, NETWORK } from "../fixtures.ts";

const [pkiPath, index, version, registryPrefix] = Deno.args;
const pki = await loadPki(pkiPath);
const me = pki.nodes[Number(index)];
const b64 = (b: Uint8Array) => btoa(String.fromCharCode(...b));
const unb64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const emit = (o: Record<string, unknown>) => console.log(JSON.stringify(o));

const sent = new Map<string, string[]>();
const byAddress = new Map(pki.nodes.map((n) => [nodeAddress(NETWORK + n.prefix), n.prefix]));
const machine = new PeerProtocol({
  network: NETWORK,
  prefix: me.prefix,
  cert: me.cert,
  key: me.key,
  caKey: pki.caPublicKey,
  verifyCert: caCertVerifier(pki.caPem),
  version: pki.version(Number(version)),
  crl: pki.crl,
  registryPrefix,
  software: "0.1.0, test",
  addresses: () => `198.18.0.${Number(index) + 1},1194,tcp,FR`,
  tunnelList: () => "0",
  random: (n) => new Uint8Array(crypto.randomBytes(n)),
  now: Date.now(),
});
const log = (level: string) => (msg: string) => emit({ event: "log", level, msg });
const sock = await PeerSocket.open({
  machine,
  log: {
    error: log("error"),
    warn: log("warn"),
    info: log("info"),
    debug: log("debug"),
    trace: log("trace"),
  },
  onMessage: (peer, code, data) => emit({ event: "message", peer, code, data: b64(data) }),
  onNewVersion: (delayMs) => emit({ event: "newVersion", delayMs }),
  onSent: (to, data) => {
    // to the anycast address (requests) or to a node address (answers)
    const prefix = byAddress.get(to.address) ?? to.address;
    const list = sent.get(prefix) ?? [];
    list.push(b64(data));
    sent.set(prefix, list);
  },
});
emit({ event: "ready", port: sock.port });

function rawSend(
  from: string,
  to: string,
  port: number,
  packets: Uint8Array[],
  waitMs: number,
  firstOnly = false,
): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket("udp6");
    const answers: string[] = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    const finish = () => {
      clearTimeout(timer);
      s.close(() => resolve(answers));
    };
    s.on("message", (m: Uint8Array) => {
      answers.push(b64(m));
      if (firstOnly) finish();
    });
    s.once("error", reject);
    s.bind(0, from, () => {
      for (const p of packets) s.send(p, port, to);
      timer = setTimeout(finish, waitMs);
    });
  });
}

const decoder = new TextDecoderStream();
Deno.stdin.readable.pipeTo(decoder.writable);
let buffer = "";
for await (const chunk of decoder.readable) {
  buffer += chunk;
  let nl;
  while ((nl = buffer.indexOf("\n")) >= 0) {
    const line = buffer.slice(0, nl);
    buffer = buffer.slice(nl + 1);
    if (!line.trim()) continue;
    const c = JSON.parse(line);
    switch (c.cmd) {
      case "send":
        if (c.code === undefined) sock.send(c.prefix, null);
        else sock.sendMessage(c.prefix, c.code, unb64(c.data ?? ""));
        emit({ event: "done", id: c.id });
        break;
      case "status": {
        const p = machine.peer(c.prefix, Date.now());
        emit({
          event: "status",
          id: c.id,
          connected: p?.connected ?? false,
          protocol: p?.protocol,
          peerVersion: p ? hex(p.version) : null,
          version: hex(machine.version),
        });
        break;
      }
      case "raw": {
        const answers = await rawSend(c.from, c.to, c.port, c.packets.map(unb64), 500);
        emit({ event: "raw", id: c.id, answers });
        break;
      }
      case "local": {
        const answers = await rawSend("::1", "::1", 326, [unb64(c.data)], 3000, true);
        emit({ event: "local", id: c.id, answers });
        break;
      }
      case "sent":
        emit({ event: "sent", id: c.id, packets: sent.get(c.prefix) ?? [] });
        break;
      case "exit":
        await sock.close();
        Deno.exit(0);
    }
  }
}
await sock.close();
