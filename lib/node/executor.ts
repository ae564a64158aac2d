/**
 * The imperative shell around the tunnel manager core: executes its `Command`s with the real
 * OpenVPN shell, babeld socket, peer socket and registry client, and feeds what happens back into
 * the core (tunnel up/exit, served clients, dumps, bootstrap answers). It takes no decision.
 *
 * Client tunnels are keyed by the core's tunnel id; OpenVPN reports by PID, so PIDs are mapped
 * back to ids. Starting and stopping on one TAP interface are serialised (a TAP freed by a kill
 * may be reused at once by the next tunnel while the old OpenVPN is still exiting).
 * Every call into the core happens from an asynchronous continuation, never from inside
 * `execute`, so the core is never re-entered.
 *
 * The executor remembers which TAPs are drained (`drainedAfter`): a babeld started again
 * declares every TAP at normal cost, so `babelStarted` drains them once more on it.
 */
import { logger } from "../log.ts";
import { RegistryClient, RegistryForbiddenError } from "../registry/client.ts";
import { canonicalProto } from "../wire/address.ts";
import { type Bits, bitsToCn, cnToBits } from "../wire/prefix.ts";
import { interpretDump } from "./babel/interpret.ts";
import type { BabelSocket } from "./babel/socket.ts";
import { EMPTY_VIEW, type RoutingView } from "./babel/view.ts";
import { drainedAfter, NO_DRAINS } from "./drained_taps.ts";
import { isProtocol } from "./openvpn/args.ts";
import type { ClientConnect, ClientDisconnect } from "./openvpn/server.ts";
import type { OpenvpnShell, TunnelEvent } from "./openvpn/tunnels.ts";
import type { PeerSocket } from "./peer/socket.ts";
import { runIp } from "./system/ip.ts";
import type { Command, EnsureSession, OpenTunnel, SendMessage } from "./tunnel/commands.ts";
import type { TunnelManager } from "./tunnel/manager.ts";

const log = logger("node");
/** How long a UDP 326 message waits for its peer to be routed. */
const DEFER_SECONDS = 60;
/** How often babeld is asked for routes while messages wait. */
const DEFER_POLL_MS = 2000;

/** What the executor drives. */
export interface ExecutorDeps {
  core: TunnelManager;
  openvpn: OpenvpnShell;
  /** the current babeld socket (babeld may be restarting: undefined) */
  babel(): BabelSocket | undefined;
  peers: PeerSocket;
  registry: RegistryClient;
  /** network prefix N */
  network: Bits;
  /** `-i` interfaces */
  lanInterfaces: readonly string[];
  /** seconds */
  now(): number;
  /** a server pushed our external address on a tunnel that came up */
  onExternalIp?(ip: string): void;
  /** every fresh routing view (status, version broadcast) */
  onView?(view: RoutingView): void;
}

/** Executes core commands and turns shell events into core events. */
export class CommandExecutor {
  readonly #d: ExecutorDeps;
  readonly #idByPid = new Map<number, number>();
  /** id of the tunnel each TAP currently carries (or is about to carry) */
  readonly #idByIface = new Map<string, number>();
  readonly #ifaceQueue = new Map<string, Promise<void>>();
  /** TAPs the core keeps drained, whether or not babeld ran when it asked */
  #drained: ReadonlySet<string> = NO_DRAINS;
  #closed = false;
  #view: RoutingView = EMPTY_VIEW;
  #watch?: ReturnType<typeof setInterval>;
  readonly #deferred = new Map<string, { command: SendMessage | EnsureSession; until: number }>();

  constructor(d: ExecutorDeps) {
    this.#d = d;
  }

  /** Stops feeding the core (daemon shutting down). */
  close(): void {
    this.#closed = true;
    clearInterval(this.#watch);
    this.#watch = undefined;
  }

  /** Executes commands in order. */
  execute(commands: readonly Command[]): void {
    for (const c of commands) {
      try {
        this.#one(c);
      } catch (e) {
        log.error(`command ${c.type} failed: ${(e as Error).message}`);
      }
    }
  }

  /** Feeds a core event asynchronously and executes what it returns. */
  #feed(event: () => Command[]): void {
    queueMicrotask(() => {
      if (this.#closed) return;
      try {
        this.execute(event());
      } catch (e) {
        log.error(`tunnel manager: ${(e as Error).stack}`);
      }
    });
  }

  #one(c: Command): void {
    const d = this.#d;
    this.#drained = drainedAfter(this.#drained, c);
    switch (c.type) {
      case "openTunnel":
        this.#open(c);
        return;
      case "killTunnel":
        this.#serial(c.ifname, async () => {
          if (this.#idByIface.get(c.ifname) !== c.id) return;
          this.#idByIface.delete(c.ifname);
          await d.openvpn.stopClient(c.ifname);
        });
        return;
      case "drainInterface":
        this.#babel(`drain ${c.ifname}`, (b) => drain(b, c.ifname));
        return;
      case "restoreInterface":
        this.#babel(`restore ${c.ifname}`, async (b) => {
          await b.flushInterface(c.ifname);
          await b.addInterface(c.ifname, { tunnel: true });
        });
        return;
      case "send":
      case "ensureSession":
        if (this.#routed(c)) this.#sendUdp(c);
        return;
      case "requestDump":
        this.#dump();
        return;
      case "requestBootstrapPeer":
        this.#bootstrap();
        return;
      case "addHostRoute":
        runIp(["-4", "route", "replace", `${c.ip}/32`, "via", c.gateway]).then((r) => {
          if (!r.ok) log.warn(`cannot route ${c.ip} via ${c.gateway}: ${r.stderr.trim()}`);
        });
        return;
      case "delHostRoute":
        runIp(["-4", "route", "del", `${c.ip}/32`, "via", c.gateway]);
        return;
    }
  }

  /**
   * UDP 326 traffic only goes to peers babel routes: a hello0 sent into the `unreachable`
   * network route is lost, yet it uses up the peer's one-per-60-s hello0 (spec §9.3), which
   * would stall the session for a minute. Messages to unrouted peers wait (at most
   * `DEFER_SECONDS`) for a dump that routes them.
   */
  #routed(c: SendMessage | EnsureSession): boolean {
    if (this.#view.hasRoute(c.peer)) return true;
    const key = c.type === "send" ? `${c.peer} ${c.code}` : c.peer;
    this.#deferred.set(key, { command: c, until: this.#d.now() + DEFER_SECONDS });
    log.debug(`${bitsToCn(c.peer)}: not routed yet, UDP 326 message deferred`);
    // the core may not ask for a dump soon (e.g. all its tunnels are open): look ourselves
    this.#watch ??= setInterval(() => {
      const b = this.#d.babel();
      if (!b || this.#closed) return;
      b.dump().then((dump) => {
        this.#view = interpretDump(dump, this.#d.network, this.#d.lanInterfaces);
        this.#flushDeferred();
      }).catch((e) => log.debug(`babel dump failed: ${(e as Error).message}`));
    }, DEFER_POLL_MS);
    return false;
  }

  #sendUdp(c: SendMessage | EnsureSession): void {
    if (c.type === "send") {
      if (c.code === 2 || c.code === 3) {
        const what = c.code === 2 ? "request" : "confirmation";
        log.info(`tunnel destruction ${what} (code ${c.code}) sent to ${bitsToCn(c.peer)}`);
      }
      this.#d.peers.sendMessage(c.peer, c.code);
    } else this.#d.peers.send(c.peer, null);
  }

  /** Sends the deferred messages whose peer is now routed; forgets the stale ones. */
  #flushDeferred(): void {
    const now = this.#d.now();
    for (const [key, { command, until }] of this.#deferred) {
      if (this.#view.hasRoute(command.peer)) {
        this.#deferred.delete(key);
        this.#sendUdp(command);
      } else if (until < now) {
        this.#deferred.delete(key);
      }
    }
    if (this.#deferred.size === 0 && this.#watch !== undefined) {
      clearInterval(this.#watch);
      this.#watch = undefined;
    }
  }

  #serial(iface: string, job: () => Promise<void>): void {
    const next = (this.#ifaceQueue.get(iface) ?? Promise.resolve()).then(job).catch((e) =>
      log.error(`${iface}: ${(e as Error).message}`)
    );
    this.#ifaceQueue.set(iface, next);
  }

  #open(c: OpenTunnel): void {
    const d = this.#d;
    this.#idByIface.set(c.ifname, c.id);
    this.#serial(c.ifname, async () => {
      if (this.#idByIface.get(c.ifname) !== c.id || this.#closed) return;
      const e = c.endpoints[c.index];
      const proto = canonicalProto(e.proto);
      try {
        if (!isProtocol(proto)) throw new Error(`unsupported protocol ${e.proto}`);
        log.info(`tunnel to ${bitsToCn(c.peer)} via ${e.ip} ${e.port}/${proto} on ${c.ifname}`);
        const t = await d.openvpn.startClient(c.ifname, bitsToCn(c.peer), {
          ip: e.ip,
          port: e.port,
          proto,
        });
        this.#idByPid.set(t.pid, c.id);
      } catch (err) {
        log.warn(`cannot open tunnel to ${bitsToCn(c.peer)}: ${(err as Error).message}`);
        if (this.#idByIface.get(c.ifname) === c.id) this.#idByIface.delete(c.ifname);
        this.#feed(() => d.core.tunnelExited(d.now(), c.id));
      }
    });
  }

  #babel(what: string, job: (b: BabelSocket) => Promise<void>, b = this.#d.babel()): void {
    if (!b) {
      // the drained set is kept: a restarted babeld gets the drains again (`babelStarted`), and
      // starts every other TAP at normal cost
      log.info(`babeld not running: ${what} when it is back`);
      return;
    }
    job(b).catch((e) => log.warn(`babeld: cannot ${what}: ${(e as Error).message}`));
  }

  /**
   * babeld was started again (after a crash, or on purpose with new arguments): its command
   * line declared every TAP at normal cost, so the TAPs the core still keeps drained are
   * drained again on `socket`. Nothing to do after the first start (nothing drained yet).
   */
  babelStarted(socket: BabelSocket): void {
    if (this.#closed || this.#drained.size === 0) return;
    const taps = [...this.#drained];
    log.info(`babeld restarted: draining ${taps.join(" ")} again`);
    for (const ifname of taps) {
      this.#babel(`drain ${ifname} again`, (b) => drain(b, ifname), socket);
    }
  }

  #dump(): void {
    const d = this.#d;
    const b = d.babel();
    const got = b
      ? b.dump().then((dump) => interpretDump(dump, d.network, d.lanInterfaces) as RoutingView)
      : Promise.resolve(EMPTY_VIEW);
    got.catch((e) => {
      log.warn(`babel dump failed: ${(e as Error).message}`);
      return EMPTY_VIEW;
    }).then((view) => {
      this.#view = view;
      this.#flushDeferred();
      d.onView?.(view);
      this.#feed(() => d.core.babelDump(d.now(), view));
    });
  }

  #bootstrap(): void {
    const d = this.#d;
    d.registry.getBootstrapPeer().catch((e) => {
      if (!(e instanceof RegistryForbiddenError)) throw e;
      log.warn(`getBootstrapPeer: ${e.message}`);
      return undefined;
    }).catch((e) => {
      log.warn(`getBootstrapPeer: ${(e as Error).message}`);
      return undefined;
    }).then((answer) => {
      if (answer) log.info(`bootstrap peer from the registry: ${bitsToCn(answer.prefix)}`);
      else log.info("the registry gave no bootstrap peer");
      this.#feed(() => d.core.bootstrapPeer(d.now(), answer ?? null));
    });
  }

  /** OpenVPN shell event: tunnel up / exited, server exited. */
  tunnelEvent(e: TunnelEvent): void {
    const d = this.#d;
    if (e.type === "tunnel-up") {
      const id = this.#idByPid.get(e.pid);
      if (id === undefined) return;
      log.info(`tunnel ${e.iface} to ${e.cn} is up`);
      if (e.externalIp) d.onExternalIp?.(e.externalIp);
      this.#feed(() => d.core.tunnelUp(d.now(), id, e.serial));
    } else if (e.type === "tunnel-exit") {
      const id = this.#idByPid.get(e.pid);
      this.#idByPid.delete(e.pid);
      if (id === undefined) return;
      if (this.#idByIface.get(e.iface) === id) this.#idByIface.delete(e.iface);
      log.info(`tunnel ${e.iface} (pid ${e.pid}) exited with ${e.status.code}`);
      this.#feed(() => d.core.tunnelExited(d.now(), id));
    } else if (!e.requested) {
      log.error(`OpenVPN server ${e.iface} exited with ${e.status.code}`);
    }
  }

  /** A client connects to one of our servers: CRL check and duplicate resolution by the core. */
  clientConnect(c: ClientConnect): boolean {
    let peer: Bits;
    try {
      peer = cnToBits(c.cn);
    } catch {
      log.warn(`refusing client with malformed CN ${JSON.stringify(c.cn)}`);
      return false;
    }
    const d = this.#d;
    const { accept, commands } = d.core.clientConnected(d.now(), peer, c.iface, c.serial, c.realIp);
    queueMicrotask(() => this.execute(commands));
    if (accept) log.info(`${c.cn} connected to ${c.iface} from ${c.realIp}`);
    return accept;
  }

  /** A served client left. */
  clientDisconnect(c: ClientDisconnect): void {
    let peer: Bits;
    try {
      peer = cnToBits(c.cn);
    } catch {
      return;
    }
    log.info(`${c.cn} disconnected from ${c.iface}`);
    const d = this.#d;
    this.#feed(() => d.core.clientDisconnected(d.now(), peer, c.iface, c.realIp));
  }

  /** Waits until every queued start/stop of a TAP has run. */
  async settle(): Promise<void> {
    await Promise.all(this.#ifaceQueue.values());
  }
}

/** A drain (spec §10.6, stock babeld): `flush interface`, then the TAP at rxcost 4000. */
async function drain(b: BabelSocket, ifname: string): Promise<void> {
  await b.flushInterface(ifname);
  await b.addInterface(ifname, { tunnel: true, rxcost: 4000 });
}
