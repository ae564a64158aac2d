/**
 * In-memory network for the pure peer-protocol machines: delivers their "send" actions to
 * each other with the sender's node address as source, and records logs, messages and
 * parameter-fetch requests. Time is explicit.
 */
import { caCertVerifier } from "../../lib/node/peer/cert_verifier.ts";
import type { PeerAction, SendTarget } from "../../lib/node/peer/actions.ts";
import { PeerProtocol, type PeerProtocolOptions } from "../../lib/node/peer/protocol.ts";
import { nodeAddress } from "../../lib/wire/prefix.ts";
import { NETWORK, seededRandom, type TestNode, type TestPki } from "./fixtures.ts";

/** A datagram in flight. */
export interface Datagram {
  from: string;
  fromPort: number;
  to: SendTarget;
  data: Uint8Array;
}

/** The node address (source of its datagrams) of a test prefix. */
export function addressOf(prefix: string): string {
  return nodeAddress(NETWORK + prefix);
}

/** Machines wired together. */
export class TestNet {
  readonly machines = new Map<string, PeerProtocol>();
  readonly byAddress = new Map<string, PeerProtocol>();
  readonly queue: Datagram[] = [];
  readonly delivered: Datagram[] = [];
  readonly logs: { node: string; level: string; msg: string }[] = [];
  readonly messages: { node: string; peer: string; code: number; data: Uint8Array }[] = [];
  readonly newVersions: { node: string; delayMs: number }[] = [];
  /** Datagrams sent to the local requester (registry) by node prefix. */
  readonly toLocal: { node: string; to: SendTarget; data: Uint8Array }[] = [];

  constructor(readonly pki: TestPki) {}

  /** Adds a machine for `node` (overrides merged into the defaults). */
  add(node: TestNode, overrides: Partial<PeerProtocolOptions> = {}): PeerProtocol {
    const m = new PeerProtocol({
      network: NETWORK,
      prefix: node.prefix,
      cert: node.cert,
      key: node.key,
      caKey: this.pki.caPublicKey,
      verifyCert: caCertVerifier(this.pki.caPem),
      version: this.pki.version(1),
      crl: this.pki.crl,
      software: "0.1.0, test",
      addresses: () => `198.18.0.${parseInt(node.prefix, 2)},1194,tcp,FR`,
      random: seededRandom(parseInt(node.prefix, 2)),
      now: 1,
      ...overrides,
    });
    this.machines.set(node.prefix, m);
    this.byAddress.set(addressOf(node.prefix), m);
    return m;
  }

  /** Records the actions of machine `node`, queueing its datagrams. */
  run(node: string, actions: PeerAction[]): void {
    for (const a of actions) {
      if (a.type === "send") {
        const local = "address" in a.to && a.to.address === "::1";
        if (local) this.toLocal.push({ node, to: a.to, data: a.data });
        else this.queue.push({ from: addressOf(node), fromPort: 326, to: a.to, data: a.data });
      } else if (a.type === "log") this.logs.push({ node, level: a.level, msg: a.msg });
      else if (a.type === "message") this.messages.push({ node, ...a });
      else this.newVersions.push({ node, delayMs: a.delayMs });
    }
  }

  /** The machine a target designates. */
  target(to: SendTarget): PeerProtocol | undefined {
    return "prefix" in to ? this.machines.get(to.prefix) : this.byAddress.get(to.address);
  }

  /** Delivers one queued datagram; returns it (undefined when the queue is empty). */
  step(now: number): Datagram | undefined {
    const d = this.queue.shift();
    if (!d) return undefined;
    this.delivered.push(d);
    const m = this.target(d.to);
    if (m) this.run(m.prefix, m.receive(d.from, d.fromPort, d.data, now));
    return d;
  }

  /** Delivers until the queue is empty (bounded); returns the datagrams delivered. */
  flush(now: number, limit = 100): Datagram[] {
    const done: Datagram[] = [];
    for (let i = 0; i < limit && this.queue.length; i++) done.push(this.step(now)!);
    if (this.queue.length) throw new Error("datagram storm: queue not empty after limit");
    return done;
  }

  /** Injects a datagram from an arbitrary source into machine `node`. */
  inject(node: string, from: string, data: Uint8Array, now: number, port = 326): PeerAction[] {
    const m = this.machines.get(node)!;
    const actions = m.receive(from, port, data, now);
    this.run(node, actions);
    return actions;
  }

  /** Log lines of `node` containing `text`. */
  logsOf(node: string, text: string): string[] {
    return this.logs.filter((l) => l.node === node && l.msg.includes(text)).map((l) => l.msg);
  }
}
