/**
 * A small modelled network that drives several real `TunnelManager` cores, as a test bed (and a
 * seed for the simulator): tunnels are edges between nodes; a client's `openTunnel` connects to
 * the server one step later (both sides get their events); babel dumps are computed from the
 * tunnel graph (shortest paths, drained edges cost 1000); UDP 326 messages are delivered when the
 * destination is reachable; the registry hands out bootstrap peers as §3.5 describes.
 */
import type { IdentifiedNeighbour, RoutingView } from "../../lib/node/babel/view.ts";
import { MemoryPeerCache } from "../../lib/node/cache/memory_cache.ts";
import type { Command } from "../../lib/node/tunnel/commands.ts";
import { TunnelManager } from "../../lib/node/tunnel/manager.ts";
import { type Random, seededRandom, shuffle } from "../../lib/node/tunnel/random.ts";
import { addr, p, quiet } from "./helpers.ts";

const SERVER_IF = "re6stnet-tcp";
const DRAINED_COST = 1000;

interface Edge {
  id: number;
  client: number;
  server: number;
  /** client-side TAP */
  ifname: string;
  up: boolean;
  drained: boolean;
}

/** Parameters of the modelled network. */
export interface FakeNetworkOptions {
  nodes: number;
  clientCount: number;
  maxClients: number;
  tunnelRefresh: number;
  hello: number;
  seed: number;
}

/** Nodes 0…n−1 with prefixes p(i); node 0 is the registry node. */
export class FakeNetwork {
  readonly managers: TunnelManager[] = [];
  readonly edges = new Map<string, Edge>();
  readonly #queue: Array<{ at: number; run: (now: number) => void }> = [];
  readonly #random: Random;
  #bootstrapList: number[] = [];
  now = 0;
  /** number of code 2 requests seen (tunnel replacements started) */
  destructionRequests = 0;

  constructor(readonly o: FakeNetworkOptions) {
    this.#random = seededRandom(o.seed);
    for (let i = 0; i < o.nodes; i++) {
      const random = seededRandom(o.seed * 1000 + i);
      this.managers.push(
        new TunnelManager({
          prefix: p(i),
          registryPrefix: p(0),
          clientCount: o.clientCount,
          hello: o.hello,
          tunnelRefresh: o.tunnelRefresh,
          cache: new MemoryPeerCache(p(i), random),
          random,
          now: 0,
          log: quiet,
        }),
      );
    }
  }

  /** Runs the network until `until` seconds, one-second steps. */
  run(until: number): void {
    for (; this.now < until; this.now++) {
      const due = this.#queue.filter((q) => q.at <= this.now);
      this.#queue.splice(0, this.#queue.length, ...this.#queue.filter((q) => q.at > this.now));
      for (const q of due) q.run(this.now);
      this.managers.forEach((m, i) => this.#exec(i, m.tick(this.now)));
    }
  }

  /** Established client tunnels of node i. */
  clientTunnels(i: number): Edge[] {
    return [...this.edges.values()].filter((e) => e.client === i && e.up);
  }

  /** Nodes serving at least one client. */
  served(i: number): Edge[] {
    return [...this.edges.values()].filter((e) => e.server === i && e.up);
  }

  /** True if every node reaches every other one. */
  connected(): boolean {
    return this.#paths(0).dist.every((d) => d < Infinity);
  }

  #later(delay: number, run: (now: number) => void): void {
    this.#queue.push({ at: this.now + delay, run });
  }

  #exec(i: number, cmds: Command[]): void {
    const m = this.managers[i];
    for (const c of cmds) {
      switch (c.type) {
        case "openTunnel": {
          const j = parseInt(c.peer, 2);
          const edge: Edge = {
            id: c.id,
            client: i,
            server: j,
            ifname: c.ifname,
            up: false,
            drained: false,
          };
          this.edges.set(`${i}:${c.id}`, edge);
          this.#later(1, (now) => {
            if (this.edges.get(`${i}:${c.id}`) !== edge) return;
            if (this.served(j).length >= this.o.maxClients) {
              this.edges.delete(`${i}:${c.id}`);
              this.#exec(i, m.tunnelExited(now, c.id));
              return;
            }
            const r = this.managers[j].clientConnected(now, p(i), SERVER_IF, BigInt(i));
            edge.up = r.accept;
            this.#exec(j, r.commands);
            if (this.edges.get(`${i}:${c.id}`) !== edge) return; // killed meanwhile
            this.#exec(i, m.tunnelUp(now, c.id, BigInt(j)));
          });
          break;
        }
        case "killTunnel": {
          const edge = this.edges.get(`${i}:${c.id}`);
          this.edges.delete(`${i}:${c.id}`);
          if (edge?.up) {
            this.#exec(
              edge.server,
              this.managers[edge.server].clientDisconnected(this.now, p(i), SERVER_IF),
            );
          }
          this.#exec(i, m.tunnelExited(this.now, c.id));
          break;
        }
        case "drainInterface":
        case "restoreInterface":
          for (const e of this.edges.values()) {
            if (e.client === i && e.ifname === c.ifname) e.drained = c.type === "drainInterface";
          }
          break;
        case "send": {
          const j = parseInt(c.peer, 2);
          if (this.#paths(i).dist[j] === Infinity) break;
          if (c.code === 2) this.destructionRequests++;
          this.#later(0, (now) => {
            const target = this.managers[j];
            if (c.code === 1) this.#exec(i, m.addressReceived(now, p(j), addr(j)));
            else this.#exec(j, target.messageReceived(now, p(i), c.code));
          });
          break;
        }
        case "requestDump":
          this.#exec(i, m.babelDump(this.now, this.view(i)));
          break;
        case "requestBootstrapPeer":
          this.#later(0, (now) => this.#exec(i, m.bootstrapPeer(now, this.#bootstrap(i))));
          break;
        default:
          break; // ensureSession and host routes have nothing to model here
      }
    }
  }

  /** §3.5: a shuffled list of what the registry node routes, plus itself; one pop per call. */
  #bootstrap(caller: number): { prefix: string; address: string } | null {
    if (this.#bootstrapList.length === 0) {
      const dist = this.#paths(0).dist;
      this.#bootstrapList = shuffle(
        this.#random,
        dist.flatMap((d, j) => (d < Infinity ? [j] : [])),
      );
    }
    let j = this.#bootstrapList.pop()!;
    if (j === caller) j = 0;
    if (j === caller) return null;
    return { prefix: p(j), address: addr(j) };
  }

  /** Dijkstra from `src` over live tunnels; `hop[d]` = the edge of the first hop towards d. */
  #paths(src: number): { dist: number[]; hop: Array<Edge | undefined> } {
    const n = this.managers.length;
    const dist = new Array<number>(n).fill(Infinity);
    const hop = new Array<Edge | undefined>(n);
    const done = new Array<boolean>(n).fill(false);
    dist[src] = 0;
    const adj: Array<Array<[number, Edge]>> = Array.from({ length: n }, () => []);
    for (const e of this.edges.values()) {
      if (!e.up) continue;
      adj[e.client].push([e.server, e]);
      adj[e.server].push([e.client, e]);
    }
    for (;;) {
      let u = -1;
      for (let k = 0; k < n; k++) {
        if (!done[k] && dist[k] < Infinity && (u < 0 || dist[k] < dist[u])) u = k;
      }
      if (u < 0) break;
      done[u] = true;
      for (const [v, e] of adj[u]) {
        const d = dist[u] + (e.drained ? DRAINED_COST : 1);
        if (d < dist[v]) {
          dist[v] = d;
          hop[v] = u === src ? e : hop[u];
        }
      }
    }
    return { dist, hop };
  }

  /** What babel would tell node i. */
  view(i: number): RoutingView {
    const { dist, hop } = this.#paths(i);
    const routed: string[] = [];
    const perIf = new Map<string, number>();
    const score = new Map<number, number>();
    const ifOf = (e: Edge) => (e.client === i ? e.ifname : SERVER_IF);
    const other = (e: Edge) => (e.client === i ? e.server : e.client);
    for (let d = 0; d < dist.length; d++) {
      const e = hop[d];
      if (d === i || !e) continue;
      routed.push(p(d));
      perIf.set(ifOf(e), (perIf.get(ifOf(e)) ?? 0) + 1);
      score.set(other(e), (score.get(other(e)) ?? 0) + 1);
    }
    const neighbours = new Map<string, IdentifiedNeighbour>();
    for (let d = 0; d < dist.length; d++) {
      const e = hop[d];
      if (e && other(e) === d) {
        neighbours.set(p(d), { ifname: ifOf(e), address: `fe80::${d}`, score: score.get(d) ?? 0 });
      }
    }
    const set = new Set(routed);
    return {
      routed,
      hasRoute: (x) => set.has(x),
      neighbour: (x) => neighbours.get(x),
      neighbourPrefixes: () => neighbours.keys(),
      lanNeighbours: () => [],
      routesVia: (ifname) => perIf.get(ifname) ?? 0,
    };
  }
}
