/**
 * The OpenVPN shell of a node: starts servers (one per protocol) and client tunnels, exposes
 * what happens to them as events, and obeys commands. It takes no decision of its own: which
 * peer, which address, which interface and whether to accept a client belong to the daemon.
 */
import { logger } from "../../log.ts";
import {
  clientArgs,
  clientModeArgs,
  type ClientModeOptions,
  type CommonOptions,
  type Ipv4Payload,
  type Protocol,
  type Remote,
  serverInterface,
} from "./args.ts";
import { HookChannel, type RouteUp } from "./hook_channel.ts";
import { type Hooks, installHooks } from "./hooks.ts";
import { ManagedProcess } from "./process.ts";
import { OpenvpnServer, type ServerHandlers } from "./server.ts";
import { deleteTap, ensureTap } from "./tap.ts";

const log = logger("openvpn");

/** Node-wide settings of every OpenVPN process. */
export interface ShellConfig {
  /** Private directory for hooks, FIFO and management sockets. */
  runDir: string;
  ca: string;
  cert: string;
  key: string;
  dh: string;
  /** Network parameter `encrypt`. */
  encrypt: boolean;
  /** `timeout` (4 × hello): `--ping-exit` / `--ping-restart` seconds. */
  timeout: number;
  /** `--max-clients` of each server. */
  maxClients: number;
  /** User `-O` OpenVPN arguments. */
  extra?: readonly string[];
  ipv4?: Ipv4Payload;
  /** `--ovpnlog` directory. */
  logDir?: string;
  /** Command prefix for every program run (e.g. `["ip", "netns", "exec", NS]`); it must exec. */
  prefix?: readonly string[];
}

/** What a parameter change may alter: applies to the OpenVPN processes started afterwards. */
export type OpenvpnSettings = Pick<ShellConfig, "encrypt" | "timeout" | "maxClients" | "ipv4">;

/** Something that happened to a client tunnel or a server. */
export type TunnelEvent =
  | ({ type: "tunnel-up"; iface: string } & RouteUp)
  | {
    type: "tunnel-exit";
    iface: string;
    pid: number;
    status: Deno.CommandStatus;
    /** The route-up report, if the tunnel was ever established. */
    established: RouteUp | undefined;
  }
  | {
    type: "server-exit";
    iface: string;
    proto: Protocol;
    status: Deno.CommandStatus;
    /** stopped by `stopServer` or `close` (not a crash) */
    requested: boolean;
  };

/** The daemon's callbacks. */
export interface ShellHandlers extends ServerHandlers {
  event(e: TunnelEvent): void;
}

/** A client OpenVPN process on one TAP interface. */
export class ClientTunnel {
  readonly iface: string;
  readonly process: ManagedProcess;
  /** Set once the route-up hook reported. */
  up: RouteUp | undefined;

  constructor(iface: string, process: ManagedProcess) {
    this.iface = iface;
    this.process = process;
  }

  get pid(): number {
    return this.process.pid;
  }
}

/** Starts and stops a node's OpenVPN processes and reports their events. */
export class OpenvpnShell {
  #config: ShellConfig;
  #handlers: ShellHandlers;
  #hooks: Hooks;
  #channel: HookChannel;
  #servers = new Map<string, OpenvpnServer>();
  #clients = new Map<string, ClientTunnel>();
  #byPid = new Map<number, ClientTunnel>();
  #taps = new Set<string>();
  #stopping = new WeakSet<OpenvpnServer>();
  #watchers = new Set<Promise<void>>();

  private constructor(
    config: ShellConfig,
    handlers: ShellHandlers,
    hooks: Hooks,
    channel: HookChannel,
  ) {
    this.#config = config;
    this.#handlers = handlers;
    this.#hooks = hooks;
    this.#channel = channel;
  }

  /** Installs the hooks and opens the hook channel in `config.runDir`. */
  static async start(config: ShellConfig, handlers: ShellHandlers): Promise<OpenvpnShell> {
    const hooks = await installHooks(config.runDir);
    const ref: { shell?: OpenvpnShell } = {};
    const channel = await HookChannel.open(hooks.fifo, (e) => {
      if (ref.shell) ref.shell.#routeUp(e);
    });
    ref.shell = new OpenvpnShell(config, handlers, hooks, channel);
    return ref.shell;
  }

  get #prefix(): readonly string[] {
    return this.#config.prefix ?? [];
  }

  #common(dev: string): CommonOptions {
    const c = this.#config;
    return {
      dev,
      ca: c.ca,
      cert: c.cert,
      key: c.key,
      encrypt: c.encrypt,
      upHook: this.#hooks.up,
      path: Deno.env.get("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin",
      extra: c.extra,
      ipv4: c.ipv4,
      logDir: c.logDir,
    };
  }

  async #tap(iface: string): Promise<void> {
    await ensureTap(iface, this.#prefix);
    this.#taps.add(iface);
  }

  /**
   * New settings for the processes started from now on; running ones keep their arguments
   * until restarted (servers) or reopened (client tunnels).
   */
  configure(s: OpenvpnSettings): void {
    this.#config = {
      ...this.#config,
      encrypt: s.encrypt,
      timeout: s.timeout,
      maxClients: s.maxClients,
      ipv4: s.ipv4,
    };
  }

  /** Running servers by interface. */
  get servers(): ReadonlyMap<string, OpenvpnServer> {
    return this.#servers;
  }

  /** Running client tunnels by interface. */
  get clients(): ReadonlyMap<string, ClientTunnel> {
    return this.#clients;
  }

  /** Starts the server for `proto` on `port`, on its own TAP `re6stnet-<proto>`. */
  async startServer(proto: Protocol, port: number): Promise<OpenvpnServer> {
    const iface = serverInterface(proto);
    if (this.#servers.has(iface)) throw new Error(`server ${iface} already running`);
    await this.#tap(iface);
    const c = this.#config;
    const server = await OpenvpnServer.start(
      {
        ...this.#common(iface),
        proto,
        port,
        dh: c.dh,
        maxClients: c.maxClients,
        timeout: c.timeout,
        management: `${c.runDir}/${iface}.mgmt`,
      },
      this.#handlers,
      this.#prefix,
    );
    this.#servers.set(iface, server);
    this.#watch(server.process.exited.then((status) => {
      if (this.#servers.get(iface) === server) this.#servers.delete(iface);
      const requested = this.#stopping.has(server);
      this.#emit({ type: "server-exit", iface, proto, status, requested });
    }));
    return server;
  }

  /** Opens a client tunnel on `iface` to the node whose certificate CN is `peerCn`. */
  async startClient(iface: string, peerCn: string, remote: Remote): Promise<ClientTunnel> {
    return await this.#spawnClient(
      iface,
      clientArgs({
        ...this.#common(iface),
        remote,
        peerCn,
        timeout: this.#config.timeout,
        routeUpHook: this.#hooks.routeUp,
      }),
    );
  }

  /** Starts the single `--client` mode process on `iface` with every address of the peer. */
  async startClientMode(iface: string, remotes: readonly Remote[]): Promise<ClientTunnel> {
    const o: ClientModeOptions = {
      ...this.#common(iface),
      remotes,
      timeout: this.#config.timeout,
      routeUpHook: this.#hooks.routeUp,
    };
    return await this.#spawnClient(iface, clientModeArgs(o));
  }

  async #spawnClient(iface: string, args: string[]): Promise<ClientTunnel> {
    if (this.#clients.has(iface)) throw new Error(`${iface} already carries a tunnel`);
    await this.#tap(iface);
    const t = new ClientTunnel(
      iface,
      new ManagedProcess(["openvpn", ...args], iface, this.#prefix),
    );
    this.#clients.set(iface, t);
    this.#byPid.set(t.pid, t);
    this.#watch(t.process.exited.then((status) => {
      this.#byPid.delete(t.pid);
      if (this.#clients.get(iface) === t) this.#clients.delete(iface);
      this.#emit({ type: "tunnel-exit", iface, pid: t.pid, status, established: t.up });
    }));
    return t;
  }

  /** Stops the client tunnel on `iface` (TERM, KILL after 5 s); its TAP stays for reuse. */
  async stopClient(iface: string): Promise<void> {
    await this.#clients.get(iface)?.process.stop();
  }

  /** Stops the server on `iface` (its TAP stays, for a restart with `startServer`). */
  async stopServer(iface: string): Promise<void> {
    const server = this.#servers.get(iface);
    if (!server) return;
    this.#stopping.add(server);
    await server.stop();
    if (this.#servers.get(iface) === server) this.#servers.delete(iface);
  }

  /** Stops everything, closes the hook channel and deletes every TAP interface it used. */
  async close(): Promise<void> {
    await Promise.all([
      ...[...this.#clients.values()].map((t) => t.process.stop()),
      ...[...this.#servers.values()].map((s) => {
        this.#stopping.add(s);
        return s.stop();
      }),
    ]);
    await Promise.all(this.#watchers);
    await this.#channel.close();
    for (const tap of this.#taps) await deleteTap(tap, this.#prefix);
    this.#taps.clear();
  }

  #routeUp(e: RouteUp): void {
    const t = this.#byPid.get(e.pid);
    if (!t) {
      log.warn(`route-up from unknown OpenVPN pid ${e.pid} (${e.dev}), dropped`);
      return;
    }
    if (t.iface !== e.dev) {
      log.warn(`route-up from pid ${e.pid} names ${e.dev}, expected ${t.iface}; dropped`);
      return;
    }
    t.up = e;
    this.#emit({ type: "tunnel-up", iface: t.iface, ...e });
  }

  #emit(e: TunnelEvent): void {
    try {
      this.#handlers.event(e);
    } catch (err) {
      log.error(`event handler failed on ${e.type}: ${err}`);
    }
  }

  #watch(p: Promise<void>): void {
    this.#watchers.add(p);
    p.finally(() => this.#watchers.delete(p));
  }
}
