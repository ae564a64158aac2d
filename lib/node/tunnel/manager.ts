/**
 * The tunnel manager core (spec §10): a deterministic decision engine with no I/O, no clock and no
 * timers of its own. Time (`now`, seconds) is an argument of every event, randomness is the
 * injected `random`, and the peer cache is the injected synchronous `PeerCache`. The daemon and
 * the simulator drive the very same object.
 *
 * ## Driving it
 * Construct one `TunnelManager` per node (cheap: a few empty maps). Feed it events through its
 * methods; each returns the `Command`s (commands.ts) to execute, in order:
 *
 * | event method | when |
 * |---|---|
 * | `tick(now)` | periodically (every second is fine; `nextWake()` says when it next matters) |
 * | `babelDump(now, view)` | answer to `requestDump` (or any fresh dump); `view` = `interpretDump(…)` or a simulated `RoutingView`; `EMPTY_VIEW` if babeld could not be asked |
 * | `tunnelUp(now, id, serial)` | client OpenVPN `id` reported route-up with the server cert serial |
 * | `tunnelExited(now, id)` | client OpenVPN `id` exited (for any reason, including our kill) |
 * | `clientConnected(now, peer, ifname, serial, ip?)` | a client connects to our server on `ifname`; returns `{accept, commands}` (CRL check) |
 * | `clientDisconnected(now, peer, ifname, ip?)` | that client went away |
 * | `addressReceived(now, peer, address)` | code 1 answer (non-empty address string) from `peer` |
 * | `messageReceived(now, peer, code)` | code 2 or 3 from `peer` |
 * | `bootstrapPeer(now, answer)` | answer to `requestBootstrapPeer` (`null`: none or registry error) |
 * | `updateCrl(now, serials)` | new CRL without a restart |
 * | `shutdown()` | exit: kills every client tunnel and minimises the cache |
 *
 * Commands: `openTunnel`, `killTunnel`, `drainInterface`, `restoreInterface`, `send` (codes 1, 2,
 * 3 with empty data), `ensureSession`, `requestDump`, `requestBootstrapPeer`, `addHostRoute`,
 * `delHostRoute`. The shell must answer each `requestDump` with exactly one `babelDump` (further
 * dump requests are coalesced until then) and each `requestBootstrapPeer` with one
 * `bootstrapPeer`. Changed network parameters are applied live: `updateCrl`, and `reconfigure`
 * for the client count, tunnel refresh, `same_country`, hello and registry prefix (§7.4).
 *
 * Queries (no side effects): `nextWake()`, `status()`, `clientPeers()` then `servedPeers()` (the
 * code 5 answer), `interfaces()` (every client TAP name made so far), `servesRevokedClient()`,
 * `counters()` (attempts, failures and losses of client tunnels, for metrics). A driver that
 * ticks exactly at the wake times may skip the quiet ones: `quietUntil()` instead of
 * `nextWake()`, and `skipQuietTicks(now)` before any other event (the simulator does).
 * External IP reports of route-up (§10.8) are the address-discovery shell's business, not the
 * core's; `max_clients` is enforced by OpenVPN (`--max-clients`).
 *
 * ## Behaviour (spec §10 with these choices)
 * * Refresh every 5 s (§10.2); dead tunnels are cleaned when their exit is reported (a failed
 *   attempt moves to the next advertised address at once).
 * * `makeNewTunnels` (§10.3): normal mode from `DistantPeers`, capped at 2 while nobody is served;
 *   bootstrap mode from the cache. Registry bootstrap requests are asynchronous: an island
 *   ("No route to registry" with routed peers) reserves one tunnel slot for the answer; at cold
 *   start the registry is asked when the cache has no candidate, and a `null` answer triggers the
 *   spec's last resort (retry one blacklisted cached peer). Registry asks and island re-bootstraps
 *   are spaced by the injected `BackoffPolicy` (default `specBackoff`; the daemon may pass
 *   `growingBackoff()` for fast cold starts: 1, 2, 4 … s capped at `timeout`).
 * * Tunnel refresh (§10.5) only considers established client tunnels.
 * * Destruction (§10.6) follows destruction.ts (drain with stock babeld, code 2/3, degraded
 *   server side).
 * * LAN neighbours (statement 49): peers babel sees on a `-i` interface are never tunnel
 *   candidates, and a client tunnel opened before babel found the peer there is closed at the
 *   next dump (with `watchLan`, young tunnels are checked at every refresh).
 */
import { EMPTY_VIEW, type RoutingView } from "../babel/view.ts";
import type { PeerCache } from "../cache/peer_cache.ts";
import { getVerbosity, type Logger, logger } from "../../log.ts";
import { type Endpoint, formatAddresses, parseAddresses } from "../../wire/address.ts";
import type { Bits } from "../../wire/prefix.ts";
import { type BackoffPolicy, specBackoff } from "./backoff.ts";
import { type Command, NO_COMMANDS } from "./commands.ts";
import {
  type ClientDestruction,
  type ServerDestruction,
  stepClient,
  stepServer,
} from "./destruction.ts";
import { DistantPeers } from "./distant_peers.ts";
import { type EndpointPolicy, filterEndpoints } from "./endpoint_filter.ts";
import { InterfacePool } from "./interface_pool.ts";
import type { Random } from "./random.ts";
import { RemoteGateways } from "./remote_gateways.ts";

/** The items as a set; one shared empty set when there are none (a simulator runs 10⁵ cores). */
function setOf<T>(items: Iterable<T> | undefined): ReadonlySet<T> {
  const set = new Set(items ?? []);
  return set.size > 0 ? set : NOTHING;
}
const NOTHING: ReadonlySet<never> = new Set();

/** The one dump request (commands are read-only for shells). */
const REQUEST_DUMP: Command = Object.freeze({ type: "requestDump" });

/** Main refresh period (spec §10.1). */
export const REFRESH_INTERVAL = 5;

/** Everything a tunnel manager is built from. */
export interface TunnelManagerOptions {
  /** our node prefix (bits after N) */
  prefix: Bits;
  /** `registry_prefix` network parameter */
  registryPrefix: Bits;
  /** outgoing tunnels wanted (`client_count`, or `--client-count`) */
  clientCount: number;
  /** babel hello interval in seconds; timeout = 4 × hello */
  hello: number;
  /** seconds between tunnel-replacement rounds */
  tunnelRefresh: number;
  /** revoked certificate serials */
  crl?: Iterable<bigint>;
  /** `--neighbour` prefixes */
  neighbours?: Iterable<Bits>;
  /** canonical protocols never used for client tunnels */
  disabledProtocols?: Iterable<string>;
  /** `same_country` parameter and where we are */
  sameCountry?: readonly string[];
  ourCountry?: EndpointPolicy["ourCountry"];
  geo?: EndpointPolicy["geo"];
  /** `--remote-gateway` list */
  remoteGateways?: readonly string[];
  /**
   * The node has LAN interfaces (`-i`): while a client tunnel is young, dump babel at every
   * refresh so that a tunnel to a peer babel then finds on the LAN is closed (statement 49).
   */
  watchLan?: boolean;
  cache: PeerCache;
  random: Random;
  /** start time (seconds); the first tunnel refresh is due `tunnelRefresh` later */
  now: number;
  bootstrapBackoff?: BackoffPolicy;
  log?: Logger;
}

/** A client tunnel (one OpenVPN process at a time, trying the endpoints in order). */
export interface ClientTunnel {
  id: number;
  peer: Bits;
  ifname: string;
  endpoints: Endpoint[];
  index: number;
  startedAt: number;
  /** server certificate serial, once up */
  serial?: bigint;
  /** the TAP was drained and must be restored before reuse */
  drained: boolean;
}

/** A served client on one of our server interfaces (a peer may come on several). */
interface ServedLink {
  ifname: string;
  /** client certificate serial */
  serial: bigint;
  /** connection time (seconds) */
  since: number;
}

/** Summary of the manager's state for status output and the code 5 answer. */
export interface TunnelStatus {
  clients: Array<{
    peer: Bits;
    ifname: string;
    established: boolean;
    destroying: boolean;
    /** protocol of the endpoint being used (as advertised, e.g. `udp`, `tcp6`) */
    proto: string;
    /** when the current OpenVPN attempt started (seconds) */
    since: number;
  }>;
  /** `since`: when the client connected (seconds); `destroying`: it asked us to drop it */
  served: Array<{ peer: Bits; ifname: string; since: number; destroying: boolean }>;
}

/** Client tunnel attempts and their outcomes since the manager was made (for metrics). */
export interface TunnelCounters {
  /** OpenVPN clients started, by endpoint protocol */
  attempts: Record<string, number>;
  /** attempts that ended before the tunnel came up, by endpoint protocol */
  failures: Record<string, number>;
  /** established client tunnels that went down unasked */
  lost: number;
}

/** Decision core of the node's tunnel manager; see the module header. */
export class TunnelManager {
  readonly prefix: Bits;
  clientCount: number;
  /** 4 × hello (s) */
  timeout: number;
  #o: TunnelManagerOptions;
  readonly #cache: PeerCache;
  readonly #random: Random;
  readonly #log: Logger;
  #isRegistry: boolean;
  readonly #neighbourSet: ReadonlySet<Bits>;
  #policy: EndpointPolicy;
  readonly #backoff: BackoffPolicy;
  readonly #pool = new InterfacePool();
  /** the `--remote-gateway` route manager; none without gateways (nothing to route) */
  readonly #gateways: RemoteGateways | undefined;
  #crl: ReadonlySet<bigint>;

  /** client tunnels by peer */
  readonly #connections = new Map<Bits, ClientTunnel>();
  readonly #byId = new Map<number, ClientTunnel>();
  /** served peers: prefix → the server interfaces it is connected on */
  readonly #served = new Map<Bits, ServedLink[]>();
  readonly #connecting = new Set<Bits>();
  readonly #clientKills = new Map<Bits, ClientDestruction>();
  readonly #serverKills = new Map<Bits, ServerDestruction>();
  #view: RoutingView = EMPTY_VIEW;
  #distant: DistantPeers | undefined;
  #nextId = 1;
  #nextRefresh: number;
  #refreshDeadline: number;
  #dumpPending = false;
  #dumpRequestedAt = 0;
  #tunnelLost = false;
  /** 0 when connected to the registry, else the time of the next island re-bootstrap */
  #disconnected = 0;
  /** consecutive island re-bootstraps and registry asks since we were last connected */
  #islandAttempt = 0;
  #askAttempt = 0;
  #bootstrapPending: "cold" | "island" | undefined;
  #bootstrapAskedAt = 0;
  #nextBootstrapAsk = 0;
  /** commands of the event being handled; made on the first one (most events have none) */
  #out: Command[] | undefined;
  /** time of the last tick that found nothing to do, if no other event came since; else -1 */
  #quietSince = -1;
  readonly #counters: TunnelCounters = { attempts: {}, failures: {}, lost: 0 };

  constructor(o: TunnelManagerOptions) {
    this.#o = o;
    this.prefix = o.prefix;
    this.clientCount = o.clientCount;
    this.timeout = 4 * o.hello;
    this.#cache = o.cache;
    this.#random = o.random;
    this.#log = o.log ?? logger("tunnel");
    this.#isRegistry = o.prefix === o.registryPrefix;
    this.#neighbourSet = setOf(o.neighbours);
    this.#crl = setOf(o.crl);
    this.#policy = {
      disabledProtocols: setOf(o.disabledProtocols),
      sameCountry: o.sameCountry,
      ourCountry: o.ourCountry,
      geo: o.geo,
    };
    this.#backoff = o.bootstrapBackoff ?? specBackoff;
    this.#gateways = o.remoteGateways?.length ? new RemoteGateways(o.remoteGateways) : undefined;
    this.#nextRefresh = o.now;
    this.#refreshDeadline = o.now + o.tunnelRefresh;
  }

  /**
   * Applies changed network parameters without a restart (lib/node/lifecycle/reaction.ts):
   * a new client count is used from the next refresh on (surplus tunnels go one per
   * tunnel-refresh round), a shorter `tunnel_refresh` brings the next round forward, and
   * `same_country` filters the tunnels opened from now on; a new hello sets the timeout, a new
   * registry prefix the registry the manager keeps a session with.
   */
  reconfigure(
    now: number,
    s: {
      clientCount: number;
      tunnelRefresh: number;
      sameCountry?: readonly string[];
      hello?: number;
      registryPrefix?: Bits;
    },
  ): void {
    this.#quietSince = -1;
    this.clientCount = s.clientCount;
    if (s.hello !== undefined) this.timeout = 4 * s.hello;
    if (s.registryPrefix !== undefined) this.#isRegistry = this.prefix === s.registryPrefix;
    this.#o = { ...this.#o, ...s };
    this.#policy = { ...this.#policy, sameCountry: s.sameCountry };
    this.#refreshDeadline = Math.min(this.#refreshDeadline, now + s.tunnelRefresh);
    this.#distant = undefined;
  }

  // ---------------------------------------------------------------- events

  /** Timer: runs the 5 s refresh when due (§10.2). */
  tick(now: number): Command[] {
    if (this.#dumpPending) {
      // a lost dump answer must not stall the manager forever
      if (now < this.#dumpRequestedAt + 2 * REFRESH_INTERVAL) return this.#flush();
      this.#dumpPending = false;
    }
    // not due: nothing happened, so a quiet spell goes on (`#flush` would end it)
    if (now < this.#nextRefresh) return this.#out === undefined ? NO_COMMANDS : this.#flush();
    if (
      this.#tunnelLost || now >= this.#refreshDeadline || this.#clientKills.size > 0 ||
      this.#serverKills.size > 0 || this.#youngTunnelOnLan(now) || this.#lightAttempt(now)
    ) {
      this.#requestDump(now);
      return this.#flush();
    }
    this.#nextRefresh = now + REFRESH_INTERVAL;
    const out = this.#flush();
    if (out.length === 0 && this.#settled()) this.#quietSince = now;
    return out;
  }

  /** A fresh babel dump (interpreted): advance destructions, refresh, make new tunnels. */
  babelDump(now: number, view: RoutingView): Command[] {
    this.#dumpPending = false;
    this.#tunnelLost = false;
    this.#view = view;
    this.#advanceDestructions(now);
    this.#closeLanTunnels(now);
    if (now >= this.#refreshDeadline) {
      this.#refreshDeadline = now + this.#o.tunnelRefresh;
      this.#chooseTunnelToDestroy(now);
      if (getVerbosity() >= 4) {
        const rows = this.#cache.listPeers();
        this.#log.trace(
          `cache: ${rows.map((r) => r.failed ? `${r.prefix} (blacklisted)` : r.prefix).join(" ")}`,
        );
      }
    }
    this.#makeNewTunnels(now, true);
    this.#nextRefresh = Math.min(now + REFRESH_INTERVAL, this.#bootstrapWake(now));
    return this.#flush();
  }

  /** Client OpenVPN `id` is up; `serial` is the server certificate's serial (§10.4). */
  tunnelUp(_now: number, id: number, serial: bigint): Command[] {
    const t = this.#byId.get(id);
    if (!t || t.serial !== undefined) return this.#flush();
    if (this.#crl.has(serial)) {
      this.#log.info(`${t.peer}: server certificate ${serial} is revoked`);
      this.#kill(t);
      return this.#flush();
    }
    t.serial = serial;
    if (t.index > 0) {
      this.#cache.addPeer(t.peer, formatAddresses([t.endpoints[t.index]]), true);
    } else {
      this.#cache.connecting(t.peer, false);
    }
    return this.#flush();
  }

  /** Client OpenVPN `id` exited: next address, or forget the tunnel (§10.2 step 1). */
  tunnelExited(now: number, id: number): Command[] {
    const t = this.#byId.get(id);
    if (!t) return this.#flush();
    if (t.serial !== undefined) {
      this.#log.info(`tunnel to ${t.peer} lost`);
      this.#counters.lost++;
      this.#tunnelLost = true;
      this.#remove(t);
    } else if (t.index + 1 < t.endpoints.length) {
      this.#count(this.#counters.failures, t);
      this.#byId.delete(t.id);
      t.index++;
      this.#spawn(now, t);
    } else {
      this.#count(this.#counters.failures, t);
      this.#remove(t); // the peer stays blacklisted (try = 1)
    }
    return this.#flush();
  }

  /** A client connects to our server on `ifname`: CRL check and duplicate resolution (§10.4). */
  clientConnected(
    now: number,
    peer: Bits,
    ifname: string,
    serial: bigint,
    ip?: string,
  ): { accept: boolean; commands: Command[] } {
    if (this.#crl.has(serial)) {
      this.#log.info(`refusing ${peer}: certificate ${serial} is revoked`);
      return { accept: false, commands: this.#flush() };
    }
    const link: ServedLink = { ifname, serial, since: now };
    const links = this.#served.get(peer);
    if (!links) this.#served.set(peer, [link]);
    else {
      const at = links.findIndex((l) => l.ifname === ifname);
      if (at < 0) links.push(link);
      else links[at] = link;
    }
    if (ip !== undefined && this.#gateways) this.#queue(this.#gateways.add(ip, false));
    const mine = this.#connections.get(peer);
    if (mine && this.prefix < peer) {
      this.#log.info(`${peer} connected to us while we connect to it: dropping our tunnel`);
      this.#kill(mine);
    }
    return { accept: true, commands: this.#flush() };
  }

  /** A served client left `ifname`; a server-side destruction on it is forgotten. */
  clientDisconnected(_now: number, peer: Bits, ifname: string, ip?: string): Command[] {
    const links = this.#served.get(peer);
    const at = links ? links.findIndex((l) => l.ifname === ifname) : -1;
    if (at >= 0) {
      if (links!.length === 1) this.#served.delete(peer);
      else links!.splice(at, 1);
    }
    if (ip !== undefined && this.#gateways) this.#queue(this.#gateways.remove(ip));
    if (this.#serverKills.get(peer)?.ifname === ifname) this.#serverKills.delete(peer);
    return this.#flush();
  }

  /** A peer told us its address list (code 1 answer, §9.5). */
  addressReceived(now: number, peer: Bits, address: string): Command[] {
    if (peer === this.prefix || address === "") return this.#flush();
    this.#cache.addPeer(peer, address);
    if (this.#connecting.delete(peer)) this.#makeTunnel(now, peer, address);
    return this.#flush();
  }

  /** Code 2 (destruction request from a client we serve) or 3 (confirmation), §10.6. */
  messageReceived(now: number, peer: Bits, code: 2 | 3): Command[] {
    if (code === 2) {
      const d = this.#serverKills.get(peer);
      if (d) {
        if (d.state === "confirmed") this.#emit({ type: "send", peer, code: 3 });
      } else {
        const links = this.#served.get(peer);
        if (links) {
          this.#serverKills.set(peer, {
            peer,
            ifname: links[0].ifname,
            state: "waiting",
            since: now,
          });
        }
      }
    } else {
      const d = this.#clientKills.get(peer);
      const t = this.#connections.get(peer);
      if (d?.state === "confirming" && t) this.#kill(t);
    }
    return this.#flush();
  }

  /** The registry's bootstrap peer (`null` if it had none or could not be reached). */
  bootstrapPeer(now: number, answer: { prefix: Bits; address: string } | null): Command[] {
    const kind = this.#bootstrapPending;
    this.#bootstrapPending = undefined;
    if (kind === "cold") this.#nextBootstrapAsk = now + this.#nextBackoff(this.#askAttempt++);
    if (answer && answer.prefix !== this.prefix && answer.address !== "") {
      this.#cache.addPeer(answer.prefix, answer.address);
      if (
        !this.#view.hasRoute(answer.prefix) && this.#connections.size < this.clientCount
      ) {
        this.#makeTunnel(now, answer.prefix, answer.address);
      }
    } else if (kind === "cold") {
      this.#lastResort(now);
    }
    this.#nextRefresh = Math.min(this.#nextRefresh, this.#bootstrapWake(now));
    return this.#flush();
  }

  /** A new CRL: client tunnels to revoked servers are killed. */
  updateCrl(_now: number, serials: Iterable<bigint>): Command[] {
    this.#crl = new Set(serials);
    for (const t of [...this.#connections.values()]) {
      if (t.serial !== undefined && this.#crl.has(t.serial)) this.#kill(t);
    }
    return this.#flush();
  }

  /** True if a client we serve is revoked (the daemon then restarts, §7.4). */
  servesRevokedClient(): boolean {
    for (const links of this.#served.values()) {
      for (const { serial } of links) if (this.#crl.has(serial)) return true;
    }
    return false;
  }

  /** Exit: kill every client tunnel and keep only `client_count` peers in the cache (§8.2). */
  shutdown(): Command[] {
    for (const t of [...this.#connections.values()]) this.#kill(t);
    this.#cache.cacheMinimize(this.clientCount);
    return this.#flush();
  }

  // ---------------------------------------------------------------- queries

  /** Earliest time at which `tick` may do something. */
  nextWake(): number {
    return this.#dumpPending ? this.#dumpRequestedAt + 2 * REFRESH_INTERVAL : this.#nextRefresh;
  }

  /**
   * For a driver that ticks exactly at `nextWake()` (the simulator): when `tick` next matters if
   * no other event comes first. After a tick that found nothing to do with every client tunnel
   * settled, the ticks every 5 s until the refresh deadline would find nothing either (they only
   * move the refresh on), so the driver may skip them — provided it calls `skipQuietTicks(now)`
   * before it delivers any other event. The daemon ticks every second and needs neither.
   */
  quietUntil(): number {
    const since = this.#quietSince;
    if (since < 0) return this.nextWake();
    const steps = Math.ceil((this.#refreshDeadline - since) / REFRESH_INTERVAL);
    return since + REFRESH_INTERVAL * Math.max(1, steps);
  }

  /**
   * The skipped quiet ticks before `now` (see `quietUntil`): the refresh moves on to where they
   * would have put it, the first one of their 5 s steps at or after `now`.
   */
  skipQuietTicks(now: number): void {
    const since = this.#quietSince;
    if (since < 0) return;
    const steps = Math.ceil((now - since) / REFRESH_INTERVAL);
    this.#nextRefresh = since + REFRESH_INTERVAL * Math.max(1, steps);
  }

  /** Client tunnels and served peers. */
  status(): TunnelStatus {
    const clients = [...this.#connections.values()].map((t) => ({
      peer: t.peer,
      ifname: t.ifname,
      established: t.serial !== undefined,
      destroying: this.#clientKills.has(t.peer),
      proto: t.endpoints[t.index].proto,
      since: t.startedAt,
    }));
    const served = [...this.#served].flatMap(([peer, links]) =>
      links.map(({ ifname, since }) => ({
        peer,
        ifname,
        since,
        destroying: this.#serverKills.get(peer)?.ifname === ifname,
      }))
    );
    return { clients, served };
  }

  /** Client tunnel attempts, failures and losses so far (a copy). */
  counters(): TunnelCounters {
    const c = this.#counters;
    return { attempts: { ...c.attempts }, failures: { ...c.failures }, lost: c.lost };
  }

  /** Prefixes of our client-tunnel peers (established or not). */
  clientPeers(): Bits[] {
    return [...this.#connections.keys()];
  }

  /** Prefixes of the peers we serve. */
  servedPeers(): Bits[] {
    return [...this.#served.keys()];
  }

  /** Every client TAP name made so far. */
  interfaces(): string[] {
    return this.#pool.created();
  }

  // ---------------------------------------------------------------- internals

  /** Ends an event: its commands (any event but a quiet tick ends a quiet spell). */
  #flush(): Command[] {
    this.#quietSince = -1;
    const out = this.#out;
    if (out === undefined) return NO_COMMANDS;
    this.#out = undefined;
    return out;
  }

  #emit(c: Command): void {
    if (this.#out === undefined) this.#out = [c];
    else this.#out.push(c);
  }

  /** Queues route commands of the gateway manager (usually none). */
  #queue(cmds: Command[]): void {
    for (let x = 0; x < cmds.length; x++) this.#emit(cmds[x]);
  }

  #requestDump(now: number): void {
    this.#dumpPending = true;
    this.#dumpRequestedAt = now;
    this.#emit(REQUEST_DUMP);
  }

  /** When a cold-start registry ask is due again (so that the back-off, not 5 s, paces it). */
  #bootstrapWake(now: number): number {
    return this.#bootstrapPending === undefined && this.#view.routed.length === 0 &&
        this.#nextBootstrapAsk > now
      ? this.#nextBootstrapAsk
      : Infinity;
  }

  #nextBackoff(attempt: number): number {
    return this.#backoff({
      attempt,
      routedPeers: this.#view.routed.length,
      timeout: this.timeout,
      random: this.#random,
    });
  }

  /** True if `#lightAttempt` will go on answering false, without acting, until an event. */
  #settled(): boolean {
    if (this.#connections.size >= this.clientCount) return true;
    if (this.#disconnected > 0 || !this.#distant || this.#distant.remaining === 0) return false;
    return this.#missing() <= 0;
  }

  /** Normal-mode cap (§10.3): 2 tunnels while nobody connects to our servers. */
  #missing(): number {
    const want = this.#served.size > 0 ? this.clientCount : Math.min(2, this.clientCount);
    return want - this.#connections.size;
  }

  /** §10.2 step 3: true if a dump is needed, else consume `distant_peers`. */
  #lightAttempt(now: number): boolean {
    if (this.#connections.size >= this.clientCount) return false;
    if (this.#disconnected > 0 && this.#disconnected <= now) return true;
    // bootstrap mode (no distant peer) is not capped and works from a fresh dump
    if (!this.#distant || this.#distant.remaining === 0) return true;
    const missing = this.#missing();
    if (missing <= 0) return false;
    if (this.#distant.remaining < missing) return true;
    this.#makeNewTunnels(now, false);
    return false;
  }

  #makeNewTunnels(now: number, dumped: boolean): void {
    const count = this.clientCount - this.#connections.size;
    if (count <= 0) {
      // all our tunnels are up (e.g. reopened from the cache after a restart): still ensure the
      // session with the registry node, whose setup tells us the network version (statement 33)
      if (dumped && !this.#isRegistry && this.#view.hasRoute(this.#o.registryPrefix)) {
        this.#emit({ type: "ensureSession", peer: this.#o.registryPrefix });
      }
      return;
    }
    this.#connecting.clear();
    let bootstrap = false;
    let reserve = 0;
    if (dumped) {
      const view = this.#view;
      const distant = new DistantPeers(view, this.prefix, this.#neighbourSet, this.#random);
      this.#distant = distant;
      const registry = this.#o.registryPrefix;
      if (this.#isRegistry) {
        // the registry node bootstraps from its cache only, when it has no distant peer
      } else if (
        view.hasRoute(registry) || this.#connections.has(registry) || this.#served.has(registry)
      ) {
        this.#disconnected = 0;
        this.#islandAttempt = this.#askAttempt = 0;
        this.#emit({ type: "ensureSession", peer: registry });
      } else if (this.#disconnected <= now) {
        this.#log.info(
          `No route to registry (${distant.remaining} distant peers, ${view.routed.length} routed)`,
        );
        this.#disconnected = now + this.#nextBackoff(this.#islandAttempt++);
        bootstrap = true;
        if (view.routed.length > 0 && this.#askRegistry(now, "island")) reserve = 1;
      }
      if (distant.remaining === 0) bootstrap = true;
    }
    if (bootstrap) this.#bootstrapMode(now, count - reserve);
    else this.#normalMode(now);
  }

  #normalMode(now: number): void {
    let count = this.#missing();
    const distant = this.#distant;
    while (count > 0 && distant) {
      const peer = distant.next();
      if (peer === undefined) break;
      if (this.#connections.has(peer) || this.#served.has(peer)) continue;
      const address = this.#cache.getAddress(peer);
      if (address !== undefined) {
        if (this.#makeTunnel(now, peer, address)) count--;
      } else {
        this.#emit({ type: "send", peer, code: 1 });
        this.#connecting.add(peer);
        count--;
      }
    }
  }

  #bootstrapMode(now: number, count: number): void {
    let created = 0;
    let candidates = false;
    if (count > 0) {
      for (const [peer, address] of this.#cache.getPeerList(false)) {
        if (this.#view.hasRoute(peer)) continue;
        candidates = true;
        if (this.#makeTunnel(now, peer, address) && ++created >= count) break;
      }
    }
    if (created > 0 || this.#view.routed.length > 0) return;
    if (!candidates && !this.#isRegistry) {
      if (now >= this.#nextBootstrapAsk) this.#askRegistry(now, "cold");
    } else {
      this.#lastResort(now);
    }
  }

  /** Asks the registry for a bootstrap peer unless an ask is in flight (and not lost). */
  #askRegistry(now: number, kind: "cold" | "island"): boolean {
    if (this.#bootstrapPending !== undefined && now < this.#bootstrapAskedAt + this.timeout) {
      return false;
    }
    this.#bootstrapPending = kind;
    this.#bootstrapAskedAt = now;
    this.#emit({ type: "requestBootstrapPeer" });
    return true;
  }

  /** Failed to bootstrap: retry one cached peer that already failed. */
  #lastResort(now: number): void {
    if (this.#connections.size >= this.clientCount) return;
    for (const [peer, address] of this.#cache.getPeerList(true)) {
      if (!this.#view.hasRoute(peer) && this.#makeTunnel(now, peer, address)) return;
    }
  }

  /** §10.4: returns true if an OpenVPN client was started. */
  #makeTunnel(now: number, peer: Bits, address: string): boolean {
    if (peer === this.prefix || this.#connections.has(peer) || this.#served.has(peer)) {
      return false;
    }
    const endpoints = filterEndpoints(
      parseAddresses(address, (w) => this.#log.warn(`${peer}: ${w}`)),
      this.#policy,
    );
    this.#cache.connecting(peer, true);
    if (endpoints.length === 0) return false;
    const t: ClientTunnel = {
      id: 0,
      peer,
      ifname: this.#pool.take(),
      endpoints,
      index: 0,
      startedAt: now,
      drained: false,
    };
    this.#connections.set(peer, t);
    const gateways = this.#gateways;
    if (gateways) {
      for (const e of endpoints) {
        if (e.proto === "udp" || e.proto === "tcp") this.#queue(gateways.add(e.ip, true));
      }
    }
    this.#spawn(now, t);
    return true;
  }

  #count(into: Record<string, number>, t: ClientTunnel): void {
    const proto = t.endpoints[t.index].proto;
    into[proto] = (into[proto] ?? 0) + 1;
  }

  #spawn(now: number, t: ClientTunnel): void {
    this.#count(this.#counters.attempts, t);
    t.id = this.#nextId++;
    t.startedAt = now;
    this.#byId.set(t.id, t);
    this.#refreshDeadline = now + this.#o.tunnelRefresh;
    const { id, peer, ifname, index } = t;
    this.#emit({ type: "openTunnel", id, peer, ifname, endpoints: t.endpoints, index });
  }

  /** §10.7: stop OpenVPN, free the TAP, abort a pending destruction, remove gateway routes. */
  #kill(t: ClientTunnel): void {
    this.#emit({ type: "killTunnel", id: t.id, peer: t.peer, ifname: t.ifname });
    this.#remove(t);
  }

  #remove(t: ClientTunnel): void {
    this.#connections.delete(t.peer);
    this.#byId.delete(t.id);
    this.#clientKills.delete(t.peer);
    if (t.drained) this.#emit({ type: "restoreInterface", ifname: t.ifname });
    this.#pool.release(t.ifname);
    const gateways = this.#gateways;
    if (gateways) {
      for (const e of t.endpoints) {
        if (e.proto === "udp" || e.proto === "tcp") this.#queue(gateways.remove(e.ip));
      }
    }
  }

  /** §10.5: pick the established client tunnel routing the fewest nodes. */
  #chooseTunnelToDestroy(now: number): void {
    const candidates: ClientTunnel[] = [];
    const kills = this.#clientKills;
    for (const t of this.#connections.values()) {
      if (t.serial !== undefined && (kills.size === 0 || !kills.has(t.peer))) candidates.push(t);
    }
    const threshold = this.#served.size > 0 || this.#disconnected !== 0
      ? this.clientCount
      : Math.min(2, this.clientCount);
    if (candidates.length < threshold || candidates.length === 0) return;
    if (
      candidates.length === this.#neighbourSet.size &&
      candidates.every((t) => this.#neighbourSet.has(t.peer))
    ) return;
    // score = (is a --neighbour, routes through it), or (-1, 0) if babel does not see it there
    let worst: ClientTunnel | undefined;
    let worstKind = Infinity, worstRoutes = Infinity;
    for (const t of candidates) {
      const n = this.#view.neighbour(t.peer);
      const seen = n !== undefined && n.ifname === t.ifname;
      const kind = seen ? (this.#neighbourSet.has(t.peer) ? 1 : 0) : -1;
      const routes = seen ? n.score : 0;
      if (kind < worstKind || (kind === worstKind && routes < worstRoutes)) {
        worst = t;
        worstKind = kind;
        worstRoutes = routes;
      }
    }
    if (!worst) return;
    this.#log.info(`destroying tunnel to ${worst.peer} (score ${worstKind},${worstRoutes})`);
    this.#destroy(now, worst);
  }

  /** Starts the graceful destruction (§10.6) of an established client tunnel. */
  #destroy(now: number, t: ClientTunnel): void {
    t.drained = true;
    this.#emit({ type: "drainInterface", ifname: t.ifname });
    this.#clientKills.set(t.peer, {
      peer: t.peer,
      ifname: t.ifname,
      state: "draining",
      since: now,
    });
  }

  /** True if a LAN check is due: `watchLan` and a client tunnel younger than 4 × timeout. */
  #youngTunnelOnLan(now: number): boolean {
    if (!this.#o.watchLan) return false;
    for (const t of this.#connections.values()) {
      if (now < t.startedAt + 4 * this.timeout) return true;
    }
    return false;
  }

  /**
   * Statement 49 beyond the spec: a tunnel opened before babel acquired the peer as a LAN
   * neighbour is redundant — an attempt is killed, an established tunnel destroyed gracefully
   * (its routes move to the LAN).
   */
  #closeLanTunnels(now: number): void {
    if (this.#connections.size === 0) return;
    for (const peer of this.#view.lanNeighbours()) {
      const t = this.#connections.get(peer);
      if (!t || this.#clientKills.has(peer)) continue;
      this.#log.info(`tunnel to ${peer} is redundant: it is a LAN neighbour`);
      if (t.serial === undefined) this.#kill(t);
      else this.#destroy(now, t);
    }
  }

  #advanceDestructions(now: number): void {
    if (this.#clientKills.size === 0 && this.#serverKills.size === 0) return;
    // deleting the entry being visited is safe in a Map iteration: no copies needed
    for (const d of this.#clientKills.values()) {
      const step = stepClient(d, this.#view, now, this.timeout);
      if (step === "request") {
        this.#emit({ type: "send", peer: d.peer, code: 2 });
      } else if (step === "abort") {
        this.#log.info(`Abort destruction of tunnel to ${d.peer}`);
        this.#clientKills.delete(d.peer);
        const t = this.#connections.get(d.peer);
        if (t?.drained) {
          t.drained = false;
          this.#emit({ type: "restoreInterface", ifname: t.ifname });
        }
      }
    }
    for (const d of this.#serverKills.values()) {
      const step = stepServer(d, this.#view, now, this.timeout);
      if (step === "confirm") this.#emit({ type: "send", peer: d.peer, code: 3 });
      else if (step === "forget") this.#serverKills.delete(d.peer);
    }
  }
}
