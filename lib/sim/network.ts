/**
 * The modelled re6st network: `n` nodes, each running the real tunnel-manager core
 * (`TunnelManager` from lib/node/tunnel/manager.ts — the object `re6st node` drives) with an
 * in-memory peer cache, on a virtual clock of whole seconds.
 *
 * The shell around each core is modelled, the decisions are not:
 * * Tunnels: `openTunnel` reaches the server `openDelay` s later; it is refused (reported
 *   `failDelay` s after the attempt) if the server is dead, behind a NAT (refuses incoming) or
 *   already serves `max_clients`. Established tunnels are edges of a `TunnelGraph`.
 * * Babel: routes are shortest paths over established tunnels (drained ones avoided); the view a
 *   core gets at each dump is a `SimRoutingView`. Components are recomputed at most once per
 *   virtual second (babel converging within a second); tunnel scores come from `RouteCounts`.
 * * UDP 326 messages (codes 1–3) are delivered at once when the destination is alive and
 *   routed; a code-1 question is answered with the node's address string.
 * * Registry: `getBootstrapPeer` pops a shuffled list of what node 0 (the registry's node)
 *   routes, rebuilt every 60 s (spec §3.5); answers after 1 s, `null` while the registry is down.
 * * Churn: nodes die (their tunnels vanish from routing at once; peers notice `detectDelay` s
 *   later, as OpenVPN's ping timeout) and come back with a new core and their old cache.
 *
 * Deterministic for a given seed: every random draw comes from seeded generators and all
 * iteration orders are fixed.
 */
import { MemoryPeerCache } from "../node/cache/memory_cache.ts";
import { growingBackoff, specBackoff } from "../node/tunnel/backoff.ts";
import type { Command } from "../node/tunnel/commands.ts";
import { TunnelManager } from "../node/tunnel/manager.ts";
import { type Random, seededRandom, shuffle } from "../node/tunnel/random.ts";
import type { Logger } from "../log.ts";
import type { Bits } from "../wire/prefix.ts";
import { ClientEdges } from "./client_edges.ts";
import { SERVER_IFNAME, TunnelGraph } from "./graph.ts";
import { ExactRouteCounts, type RouteCounts, SampledRouteCounts } from "./route_counts.ts";
import { components, Reach } from "./search.ts";
import { type RoutingModel, SimRoutingView } from "./view.ts";

/** Parameters of a simulated network. */
export interface SimOptions {
  nodes: number;
  /** `client_count` (k) */
  clientCount: number;
  /** `max_clients` (default 2k) */
  maxClients: number;
  /** babel hello interval (s); timeout = 4 × hello */
  hello: number;
  /** `tunnel_refresh` (s): one refresh round */
  tunnelRefresh: number;
  seed: number;
  /** fraction of nodes (never node 0) that cannot accept tunnels */
  natShare: number;
  /** seconds from `openTunnel` to the tunnel being up */
  openDelay: number;
  /** seconds from `openTunnel` to a refused attempt being reported */
  failDelay: number;
  /** seconds before a peer notices that the other end of a tunnel died */
  detectDelay: number;
  /** "cold": empty caches, everyone bootstraps through the registry; "warm": caches hold peers */
  start: "cold" | "warm";
  /** peers in each cache at a warm start */
  warmPeers: number;
  /** nodes start at a random second in [0, startSpread) */
  startSpread: number;
  /** "exact" route counts, or the number of landmark destinations to estimate them from */
  routeCounts: "exact" | number;
  /** how old landmark samples may get (s) */
  landmarkAge: number;
  /** tunnel refresh (§10.5): "routes" = babel's route counts (the real rule); "random" = random
   * scores, i.e. random replacement (baseline); "off" = no refresh at all */
  refreshRule: "routes" | "random" | "off";
  /** registry bootstrap back-off: the spec's, or the daemon's faster growing one */
  backoff: "spec" | "growing";
  /** fraction of live nodes killed per round, and of dead nodes revived per round */
  killRate: number;
  reviveRate: number;
}

/**
 * Defaults: k = 10, max_clients = 2k, and compressed virtual time — hello 4 s and tunnel_refresh
 * 60 s instead of the network's 15 s / 300 s (spec §7.1): the decisions per round are the same,
 * a shorter round only saves idle 5-second ticks. Exact route counts up to 2048 nodes, else
 * estimated from 64 landmarks refreshed once per round.
 */
export function defaultOptions(o: Partial<SimOptions> = {}): SimOptions {
  const clientCount = o.clientCount ?? 10;
  const hello = o.hello ?? 4;
  const nodes = o.nodes ?? 1000;
  const tunnelRefresh = o.tunnelRefresh ?? 60;
  return {
    nodes,
    clientCount,
    maxClients: 2 * clientCount,
    hello,
    tunnelRefresh,
    seed: 1,
    natShare: 0,
    openDelay: 1,
    failDelay: 5,
    detectDelay: 4 * hello,
    start: "warm",
    warmPeers: 2 * clientCount,
    startSpread: 5,
    routeCounts: nodes <= 2048 ? "exact" : 64,
    landmarkAge: tunnelRefresh,
    refreshRule: "routes",
    backoff: "spec",
    killRate: 0,
    reviveRate: 0,
    ...o,
  };
}

/** Event counters since the start. */
export interface SimCounters {
  dumps: number;
  opened: number;
  refused: number;
  /** drained tunnels closed after the code 2 / code 3 exchange (tunnel replacements) */
  replaced: number;
  bootstrapAsks: number;
  kills: number;
  revives: number;
}

const QUIET: Logger = { error() {}, warn() {}, info() {}, debug() {}, trace() {} };
const BOOTSTRAP_LIST_AGE = 60;
/**
 * Most removed tunnels checked one by one before components are recomputed from scratch (a check
 * usually re-walks a kept path of a few tunnels, a full labelling reads every tunnel).
 */
const MAX_REMOVALS_CHECKED = 512;

/** Seed of node `i`'s generator in incarnation `life`. */
function nodeSeed(seed: number, i: number, life: number): number {
  return (Math.imul(seed, 0x9e3779b1) ^ Math.imul(i + 1, 0x85ebca77) ^
    Math.imul(life + 1, 0xc2b2ae3d)) >>> 0;
}

/**
 * `s` as one flat string. V8 builds a concatenation of 13 characters or more (`padStart`, template
 * literals) as a rope of two parts; every core reads these prefixes and addresses millions of
 * times (map keys, `indexOf`), and a rope costs an extra hop each time: 6 % of a 10⁴-node run.
 */
function flat(s: string): string {
  return s.split("").join("");
}

/** A simulated network; see the module header. */
export class SimNetwork implements RoutingModel {
  readonly o: SimOptions;
  readonly graph: TunnelGraph;
  readonly alive: Uint8Array;
  readonly natted: Uint8Array;
  readonly managers: Array<TunnelManager | undefined>;
  readonly routeCounts: RouteCounts;
  readonly counters: SimCounters = {
    dumps: 0,
    opened: 0,
    refused: 0,
    replaced: 0,
    bootstrapAsks: 0,
    kills: 0,
    revives: 0,
  };
  /** current virtual second */
  now = 0;
  /** first second at which every live node reached every other one (undefined: not yet) */
  connectedAt: number | undefined;
  registryUp = true;

  readonly #prefixes: Bits[];
  readonly #addresses: string[];
  /** certificate serial of each node (its index; one shared bigint each, the cores keep them) */
  readonly #serials: bigint[];
  /** prefix length in bits: node i's prefix is i in binary, zero-padded to this width */
  readonly #width: number;
  readonly #caches: MemoryPeerCache[];
  readonly #life: Int32Array;
  /** 1 once the node first started (before that it is neither alive nor dead) */
  readonly #booted: Uint8Array;
  readonly #random: Random;
  readonly #reach: Reach;
  /** per node: client OpenVPN id → edge */
  readonly #clientEdges: ClientEdges;
  /** client OpenVPN id of each edge */
  #edgeId = new Int32Array(0);
  readonly #wake: Float64Array;
  readonly #tickedAt: Float64Array;
  readonly #wakeBuckets = new Map<number, number[]>();
  readonly #events = new Map<number, Array<(now: number) => void>>();
  /** events scheduled for the current second since its list was last run */
  #dueNow = 0;
  readonly #label: Int32Array;
  readonly #size: Int32Array;
  readonly #queue: Int32Array;
  #labelVersion = -1;
  /** tunnels established (+1) or removed (-1) since the labels were computed: (a, b, ±1) */
  #linkChanges: number[] = [];
  #labelTime = -1;
  /** routed lists per component label, for the current labels */
  #routedCache = new Map<number, Bits[]>();
  /** the lists of the last labelling that made some, reused while their component is unchanged */
  #routedBefore = new Map<number, Bits[]>();
  #bootstrapList: number[] = [];
  #bootstrapBuiltAt = -Infinity;
  #killCredit = 0;
  #reviveCredit = 0;
  #liveCount = 0;

  constructor(options: SimOptions) {
    const o = this.o = options;
    const n = o.nodes;
    if (!(n >= 1 && n <= 131072)) throw new Error("nodes must be in 1–131072");
    if (!(o.clientCount >= 1)) throw new Error("client_count must be at least 1");
    this.graph = new TunnelGraph(n, o.clientCount + o.maxClients);
    this.alive = new Uint8Array(n);
    this.natted = new Uint8Array(n);
    this.managers = new Array(n);
    this.#random = seededRandom(nodeSeed(o.seed, -1, 0));
    this.#reach = new Reach(n);
    const width = this.#width = Math.max(1, Math.ceil(Math.log2(n)));
    this.#prefixes = Array.from({ length: n }, (_, i) => flat(i.toString(2).padStart(width, "0")));
    // 198.18.0.0/15, one TCP endpoint per node
    this.#addresses = Array.from(
      { length: n },
      (_, i) => flat(`198.${18 + (i >> 16)}.${(i >> 8) & 255}.${i & 255},1194,tcp`),
    );
    this.#serials = Array.from({ length: n }, (_, i) => BigInt(i));
    this.#life = new Int32Array(n);
    this.#clientEdges = new ClientEdges(n, o.clientCount + 2);
    this.#wake = new Float64Array(n).fill(-1);
    this.#tickedAt = new Float64Array(n).fill(-1);
    this.#label = new Int32Array(n);
    this.#size = new Int32Array(n);
    this.#queue = new Int32Array(n);
    this.routeCounts = o.routeCounts === "exact"
      ? new ExactRouteCounts(this.graph)
      : new SampledRouteCounts(
        this.graph,
        o.routeCounts,
        o.landmarkAge,
        this.alive,
        seededRandom(nodeSeed(o.seed, -2, 0)),
        this.#reach,
      );
    const natCount = Math.round(o.natShare * (n - 1));
    const others = shuffle(this.#random, Array.from({ length: n - 1 }, (_, i) => i + 1));
    for (const i of others.slice(0, natCount)) this.natted[i] = 1;
    this.#caches = Array.from(
      { length: n },
      (_, i) => new MemoryPeerCache(this.#prefixes[i], seededRandom(nodeSeed(o.seed, i, -1))),
    );
    if (o.start === "warm") {
      const want = Math.min(o.warmPeers, n - 1);
      for (let i = 0; i < n; i++) {
        const picked = new Set<number>();
        while (picked.size < want) {
          const j = Math.floor(this.#random() * n);
          if (j !== i && !picked.has(j)) {
            picked.add(j);
            this.#caches[i].addPeer(this.#prefixes[j], this.#addresses[j]);
          }
        }
      }
    }
    this.#booted = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const at = Math.floor(this.#random() * o.startSpread);
      this.#later(at, () => {
        this.#booted[i] = 1;
        this.#start(i);
      });
    }
  }

  // ------------------------------------------------------------ RoutingModel

  indexOf(prefix: Bits): number {
    // read the bits (a lookup table of 10⁵ strings costs a cache miss per call)
    if (prefix.length !== this.#width) return -1;
    let i = 0;
    for (let x = 0; x < prefix.length; x++) {
      const c = prefix.charCodeAt(x) - 48;
      if (c !== 0 && c !== 1) return -1;
      i = 2 * i + c;
    }
    return i < this.o.nodes ? i : -1;
  }

  prefixOf(node: number): Bits {
    return this.#prefixes[node];
  }

  routedBy(node: number): readonly Bits[] {
    this.#components();
    const label = this.#label[node];
    if (this.#size[label] < 2) return [];
    let list = this.#routedCache.get(label);
    if (!list) {
      list = this.#sameComponent(label) ?? [];
      if (list.length === 0) {
        for (let v = label; v < this.o.nodes; v++) {
          if (this.#label[v] === label) list.push(this.#prefixes[v]);
        }
      }
      this.#routedCache.set(label, list);
    }
    return list;
  }

  /**
   * The list made for component `label` before the last relabelling, if that component still has
   * exactly the same nodes: cores keep the list of their last dump, and sharing it instead of one
   * copy per relabelling kept ≈ 47 MiB off a ≈ 220 MiB heap at 10⁴ nodes.
   */
  #sameComponent(label: number): Bits[] | undefined {
    const before = this.#routedBefore.get(label);
    if (!before || before.length !== this.#size[label]) return undefined;
    const lab = this.#label, prefixes = this.#prefixes;
    let x = 0;
    for (let v = label; v < this.o.nodes && x < before.length; v++) {
      if (lab[v] === label && prefixes[v] !== before[x++]) return undefined;
    }
    return before;
  }

  connected(a: number, b: number): boolean {
    this.#components();
    const label = this.#label[a];
    return label === this.#label[b] && this.#size[label] > 1;
  }

  reachesClean(a: number, b: number): boolean {
    return this.#reach.reaches(this.graph, a, b, true);
  }

  routes(node: number, e: number): number {
    return this.routeCounts.routesThrough(node, e, this.now);
  }

  score(node: number, e: number): number {
    return this.o.refreshRule === "random" ? this.#random() : this.routes(node, e);
  }

  // ------------------------------------------------------------ driving

  /** Number of live nodes. */
  get liveCount(): number {
    return this.#liveCount;
  }

  /** Runs the network up to (excluding) second `until`. */
  runUntil(until: number): void {
    while (this.now < until) this.#step();
  }

  /** Kills node `i` (crash: no shutdown, the cache survives). */
  kill(i: number): void {
    if (!this.alive[i]) return;
    const g = this.graph;
    this.alive[i] = 0;
    this.#liveCount--;
    this.managers[i] = undefined;
    this.counters.kills++;
    const edges = this.#clientEdges;
    for (let x = 0; x < edges.size(i); x++) {
      const e = edges.edgeAt(i, x);
      if (g.up[e]) {
        const server = g.server[e];
        this.#later(this.o.detectDelay, (now) => this.#notifyDisconnected(server, i, now));
      }
      this.#removeEdge(e);
    }
    edges.clear(i);
    while (g.degree[i] > 0) {
      const e = g.adjEdge[i * g.cap];
      const client = g.client[e];
      const id = this.#edgeId[e];
      const life = this.#life[client];
      edges.delete(client, id);
      this.#removeEdge(e);
      this.#later(this.o.detectDelay, (now) => {
        const m = this.#awake(client);
        if (m && this.#life[client] === life) this.#exec(client, m.tunnelExited(now, id));
      });
    }
  }

  /** Brings node `i` back: a new core (new process) with its old cache, try flags cleared. */
  revive(i: number): void {
    if (this.alive[i] || !this.#booted[i]) return;
    this.counters.revives++;
    this.#life[i]++;
    this.#caches[i].resetConnecting();
    this.#start(i);
  }

  /** Kills a random share `fraction` of the live nodes (node 0 included in the draw). */
  killShare(fraction: number): void {
    const live: number[] = [];
    for (let i = 0; i < this.o.nodes; i++) if (this.alive[i]) live.push(i);
    const count = Math.round(fraction * live.length);
    shuffle(this.#random, live);
    for (let x = 0; x < count; x++) this.kill(live[x]);
  }

  // ------------------------------------------------------------ internals

  #later(delay: number, run: (now: number) => void): void {
    const at = this.now + delay;
    if (at === this.now) this.#dueNow++;
    let list = this.#events.get(at);
    if (!list) this.#events.set(at, list = []);
    list.push(run);
  }

  #start(i: number): void {
    const o = this.o;
    const random = seededRandom(nodeSeed(o.seed, i, this.#life[i]));
    this.alive[i] = 1;
    this.#liveCount++;
    this.managers[i] = new TunnelManager({
      prefix: this.#prefixes[i],
      registryPrefix: this.#prefixes[0],
      clientCount: o.clientCount,
      hello: o.hello,
      tunnelRefresh: o.refreshRule === "off" ? Infinity : o.tunnelRefresh,
      cache: this.#caches[i],
      random,
      now: this.now,
      bootstrapBackoff: o.backoff === "spec" ? specBackoff : growingBackoff(),
      log: QUIET,
    });
    this.#touch(i);
  }

  #step(): void {
    const now = this.now;
    this.#churn();
    this.#drainEvents(now);
    const bucket = this.#wakeBuckets.get(now);
    if (bucket) {
      for (let x = 0; x < bucket.length; x++) {
        const i = bucket[x];
        const m = this.managers[i];
        if (!m || this.#wake[i] !== now) continue;
        this.#tickedAt[i] = now;
        this.#exec(i, m.tick(now));
        if (this.#dueNow > 0) this.#drainEvents(now);
      }
      this.#wakeBuckets.delete(now);
    }
    if (this.connectedAt === undefined && this.#liveCount > 0) {
      this.#components(true);
      let first = 0;
      while (!this.alive[first]) first++;
      if (this.#size[this.#label[first]] === this.#liveCount) this.connectedAt = now;
    }
    this.now = now + 1;
  }

  #drainEvents(now: number): void {
    const list = this.#events.get(now);
    if (!list) return;
    for (let x = 0; x < list.length; x++) list[x](now);
    this.#events.delete(now);
    this.#dueNow = 0;
  }

  /**
   * Node `i`'s core, ready for an event other than a tick: the quiet ticks it skipped before now
   * are accounted for (`TunnelManager.quietUntil`).
   */
  #awake(i: number): TunnelManager | undefined {
    const m = this.managers[i];
    m?.skipQuietTicks(this.now);
    return m;
  }

  /** Reschedules node `i`'s next tick after anything happened to its core. */
  #touch(i: number): void {
    const m = this.managers[i];
    if (!m) return;
    const earliest = this.#tickedAt[i] === this.now ? this.now + 1 : this.now;
    const at = Math.max(Math.ceil(m.quietUntil()), earliest);
    if (at === this.#wake[i]) return;
    this.#wake[i] = at;
    let bucket = this.#wakeBuckets.get(at);
    if (!bucket) this.#wakeBuckets.set(at, bucket = []);
    bucket.push(i);
  }

  #churn(): void {
    const o = this.o;
    if (o.killRate > 0) {
      this.#killCredit += o.killRate * this.#liveCount / o.tunnelRefresh;
      while (this.#killCredit >= 1) {
        this.#killCredit--;
        const i = this.#pick(1);
        if (i >= 0) this.kill(i);
      }
    }
    if (o.reviveRate > 0) {
      this.#reviveCredit += o.reviveRate * (o.nodes - this.#liveCount) / o.tunnelRefresh;
      while (this.#reviveCredit >= 1) {
        this.#reviveCredit--;
        const i = this.#pick(0);
        if (i >= 0) this.revive(i);
      }
    }
  }

  /** A random node other than node 0 whose `alive` flag is `state`, or -1. */
  #pick(state: number): number {
    const n = this.o.nodes;
    if (n < 2) return -1;
    const start = 1 + Math.floor(this.#random() * (n - 1));
    for (let x = 0; x < n - 1; x++) {
      const i = 1 + (start - 1 + x) % (n - 1);
      if (this.alive[i] === state && this.#booted[i]) return i;
    }
    return -1;
  }

  /** Component labels, brought up to date at most once per second (or now, when `force`d). */
  #components(force = false): void {
    const g = this.graph;
    if (g.version === this.#labelVersion) return;
    if (!force && this.#labelTime === this.now) return;
    const unchanged = this.#labelsStillValid();
    this.#linkChanges.length = 0;
    this.#labelVersion = g.version;
    this.#labelTime = this.now;
    if (unchanged) return;
    components(g, this.#label, this.#size, this.#queue);
    if (this.#routedCache.size > 0) this.#routedBefore = this.#routedCache;
    this.#routedCache = new Map();
  }

  /**
   * True if the tunnel changes since the last labelling cannot have changed the components: every
   * new tunnel joins nodes of one component, and the ends of every removed one still reach each
   * other.
   */
  #labelsStillValid(): boolean {
    const changes = this.#linkChanges;
    if (this.#labelVersion < 0) return false;
    let removals = 0;
    for (let x = 0; x < changes.length; x += 3) {
      const a = changes[x], b = changes[x + 1];
      if (changes[x + 2] > 0) {
        if (this.#label[a] !== this.#label[b]) return false;
      } else if (
        ++removals > MAX_REMOVALS_CHECKED || !this.#reach.reaches(this.graph, a, b, false)
      ) {
        return false;
      }
    }
    return true;
  }

  #establish(e: number): void {
    this.graph.establish(e);
    this.#linkChanges.push(this.graph.client[e], this.graph.server[e], 1);
  }

  #removeEdge(e: number): void {
    const g = this.graph;
    if (g.up[e]) this.#linkChanges.push(g.client[e], g.server[e], -1);
    g.remove(e);
  }

  #exec(i: number, cmds: Command[]): void {
    for (const c of cmds) {
      const m = this.managers[i];
      if (!m) return;
      switch (c.type) {
        case "openTunnel":
          this.#open(i, c.id, c.peer, c.ifname);
          break;
        case "killTunnel":
          this.#killTunnel(i, c.id);
          break;
        case "drainInterface":
        case "restoreInterface": {
          const tap = this.graph.tapId(c.ifname);
          for (let x = 0; x < this.#clientEdges.size(i); x++) {
            const e = this.#clientEdges.edgeAt(i, x);
            if (this.graph.tap[e] === tap) {
              this.graph.setDrained(e, c.type === "drainInterface");
            }
          }
          break;
        }
        case "send":
          this.#send(i, c.peer, c.code);
          break;
        case "requestDump":
          this.counters.dumps++;
          this.#exec(i, m.babelDump(this.now, new SimRoutingView(this, i)));
          break;
        case "requestBootstrapPeer":
          this.counters.bootstrapAsks++;
          this.#askRegistry(i);
          break;
        default:
          break; // ensureSession, host routes: nothing to model
      }
    }
    this.#touch(i);
  }

  #open(i: number, id: number, peer: Bits, ifname: string): void {
    const j = this.indexOf(peer);
    const g = this.graph;
    const e = g.open(i, j < 0 ? i : j, ifname);
    if (this.#edgeId.length < g.edgeCapacity) {
      const grown = new Int32Array(g.edgeCapacity);
      grown.set(this.#edgeId);
      this.#edgeId = grown;
    }
    this.#edgeId[e] = id;
    this.#clientEdges.set(i, id, e);
    this.counters.opened++;
    const life = this.#life[i];
    const accepted = (now: number): boolean => {
      if (j < 0 || j === i || !this.alive[j] || this.natted[j]) return false;
      if (g.served[j] >= this.o.maxClients) return false;
      const server = this.#awake(j)!;
      const r = server.clientConnected(now, this.#prefixes[i], SERVER_IFNAME, this.#serials[i]);
      this.#exec(j, r.commands);
      return r.accept;
    };
    this.#later(this.o.openDelay, (now) => {
      if (!this.#current(i, life, id, e)) return;
      if (accepted(now)) {
        if (!this.#current(i, life, id, e)) {
          // the server side dropped its own duplicate meanwhile, but our attempt was killed too
          this.#exec(
            j,
            this.#awake(j)!.clientDisconnected(now, this.#prefixes[i], SERVER_IFNAME),
          );
          return;
        }
        this.#establish(e);
        this.#exec(i, this.#awake(i)!.tunnelUp(now, id, this.#serials[j]));
        return;
      }
      this.#later(Math.max(0, this.o.failDelay - this.o.openDelay), (later) => {
        if (!this.#current(i, life, id, e)) return;
        this.counters.refused++;
        this.#clientEdges.delete(i, id);
        this.#removeEdge(e);
        this.#exec(i, this.#awake(i)!.tunnelExited(later, id));
      });
    });
  }

  /** True if client OpenVPN `id` of node `i` (incarnation `life`) is still edge `e`. */
  #current(i: number, life: number, id: number, e: number): boolean {
    return this.alive[i] === 1 && this.#life[i] === life && this.#clientEdges.get(i, id) === e;
  }

  #killTunnel(i: number, id: number): void {
    const e = this.#clientEdges.get(i, id);
    if (e < 0) return;
    const g = this.graph;
    this.#clientEdges.delete(i, id);
    const server = g.server[e];
    const wasUp = g.up[e] === 1;
    if (wasUp && g.drained[e]) this.counters.replaced++;
    this.#removeEdge(e);
    if (wasUp) this.#notifyDisconnected(server, i, this.now);
  }

  #notifyDisconnected(server: number, client: number, now: number): void {
    const m = this.#awake(server);
    if (m) this.#exec(server, m.clientDisconnected(now, this.#prefixes[client], SERVER_IFNAME));
  }

  #send(i: number, peer: Bits, code: 1 | 2 | 3): void {
    const j = this.indexOf(peer);
    if (j < 0 || !this.alive[j] || !this.connected(i, j)) return;
    const life = this.#life[i];
    this.#later(0, (now) => {
      if (!this.managers[i] || !this.managers[j] || this.#life[i] !== life) return;
      if (code === 1) this.#exec(i, this.#awake(i)!.addressReceived(now, peer, this.#addresses[j]));
      else this.#exec(j, this.#awake(j)!.messageReceived(now, this.#prefixes[i], code));
    });
  }

  #askRegistry(i: number): void {
    const life = this.#life[i];
    this.#later(1, (now) => {
      const m = this.#awake(i);
      if (!m || this.#life[i] !== life) return;
      this.#exec(i, m.bootstrapPeer(now, this.#bootstrapPeer(i, now)));
    });
  }

  /** §3.5 with the registry co-located on node 0. */
  #bootstrapPeer(caller: number, now: number): { prefix: Bits; address: string } | null {
    if (!this.registryUp || !this.alive[0]) return null;
    if (this.#bootstrapList.length === 0 || now >= this.#bootstrapBuiltAt + BOOTSTRAP_LIST_AGE) {
      const list: number[] = [0];
      for (const p of this.routedBy(0)) if (p !== this.#prefixes[0]) list.push(this.indexOf(p));
      this.#bootstrapList = shuffle(this.#random, list);
      this.#bootstrapBuiltAt = now;
    }
    let j = this.#bootstrapList.pop()!;
    if (j === caller) j = 0;
    if (j === caller || !this.alive[j] || (j !== 0 && !this.connected(0, j))) return null;
    return { prefix: this.#prefixes[j], address: this.#addresses[j] };
  }
}
