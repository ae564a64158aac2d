/**
 * `re6st node` — the node daemon (spec §1.5, §2.1, §8–§12): wires the finished pieces together.
 *
 * Start-up (§1.5 order): options → own certificate (checked at `ownCertificateCheckTime`) → log
 * file → kill leftovers of a crashed run → peer cache → network parameters (cached and
 * CA-signed, else a blocking fetch with back-off) → subtrees probe → DH → advertised address →
 * UDP 326 peer protocol → OpenVPN servers → node address and `unreachable` route → babeld
 * (supervised) → `--up` → `--daemon` commands → main loop (the tunnel manager core ticked every
 * second; its commands run by `CommandExecutor`).
 *
 * Exit: SIGINT/SIGTERM → status 0; SIGUSR2 → 255 (systemd restarts the service); SIGHUP reloads
 * the configuration (`reloadOptions`: live or by an in-process restart; re6stnet exits 255);
 * SIGUSR1 reopens the log file. Clean-up order: babeld first (wildcard retractions), client
 * tunnels, `--daemon` commands, OpenVPN servers and TAP devices, routes and address, peer
 * socket, run directory, cache trimmed to `client_count`.
 * A parameter change (§7.4) restarts only the children that use the changed value — babeld,
 * the OpenVPN servers, the client tunnels (reopened by the tunnel manager) — and applies
 * tunnel-manager settings live, keeping the daemon with its UDP 326 sessions, cache, UPnP
 * mappings and status socket (lifecycle/reaction.ts). Only a change of the node's shape
 * (`client_count` or `max_clients` to or from 0) or a renewed certificate runs the clean-up and
 * starts again in-process (same PID: the equivalent of re6stnet's re-exec).
 *
 * Lifecycle (lib/node/lifecycle): certificate/CA renewal at start-up and at the computed dates,
 * IPv4 payload, default-route checks, the hourly stale check, and parameter changes. UPnP
 * (`--ip upnp`, or no IPv4 `--ip`) maps our IPv4 servers in the background (`UpnpAddress`,
 * deleted at exit). `--test` is evaluated right after the options (test_option.ts);
 * `--multicast` is refused (no pim-dm); `--client` runs one OpenVPN client (client_mode.ts) beside
 * a tunnel manager with no client tunnel of its own (the "base" manager).
 */
import { parseArgs, parseCommandLine } from "../config/cli.ts";
import { type NodeOptions, nodeSchema } from "../config/node_options.ts";
import { logger, setVerbosity } from "../log.ts";
import { parseCa } from "../pki/ca.ts";
import { parseNodeCertificate } from "../pki/certificate.ts";
import { loadPrivateKey } from "../pki/keys.ts";
import { ownCertificateCheckTime, verifyCertificate } from "../pki/verify.ts";
import { RegistryClient } from "../registry/client.ts";
import { PROTOCOL } from "../version.ts";
import { bitsToCidr, bitsToCn, cnToBits, nodeAddress } from "../wire/prefix.ts";
import { AddressBook } from "./address_book.ts";
import { OwnCountry } from "./own_country.ts";
import { type CountryDatabase, databaseFromEnvironment } from "../geoip/country.ts";
import { parseAddresses } from "../wire/address.ts";
import {
  type BabelArgsOptions,
  babeldArgs,
  babelInterfaceDefaults,
  babelSocketPath,
} from "./babel/args.ts";
import { gossipTargets } from "./babel/interpret.ts";
import { EMPTY_VIEW, type RoutingView } from "./babel/view.ts";
import { BabelSupervisor } from "./babel_supervisor.ts";
import type { BabeldStartOptions } from "./babel/process.ts";
import { SqlitePeerCache } from "./cache/sqlite_cache.ts";
import { freshView } from "./control/fresh_view.ts";
import { NodeControl } from "./control/server.ts";
import { CLIENT_MODE_IFACE, ClientModeTunnel, systemLookup } from "./client_mode.ts";
import { CommandExecutor } from "./executor.ts";
import { flushBabelRoutes, killLeftovers, runDirInUse } from "./leftovers.ts";
import { LogFile } from "./log_file.ts";
import { type Protocol, serverInterface } from "./openvpn/args.ts";
import { ServerSupervisor } from "./openvpn/server_supervisor.ts";
import { type OpenvpnSettings, OpenvpnShell } from "./openvpn/tunnels.ts";
import { deleteTap } from "./openvpn/tap.ts";
import { fetchParams, type NetworkParams, obtainParams, readParams } from "./params.ts";
import { createPeerProtocol } from "./peer/setup.ts";
import { PeerSocket } from "./peer/socket.ts";
import {
  configureNodeAddressing,
  type NodeAddressing,
  probeSubtrees,
  removeNodeAddressing,
} from "./system/ip.ts";
import { growingBackoff } from "./tunnel/backoff.ts";
import { TunnelManager } from "./tunnel/manager.ts";
import { runTest } from "./test_option.ts";
import { UpnpAddress } from "./upnp/upnp_address.ts";
import { planReaction } from "./lifecycle/reaction.ts";
import { runReaction } from "./lifecycle/reaction_runner.ts";
import { StaleMonitor } from "./lifecycle/stale_check.ts";
import { checkGatewayRoutes } from "./lifecycle/gateway_check.ts";
import { removeIpv4Plan, setupIpv4Payload } from "./lifecycle/ipv4_kernel.ts";
import { babelIpv4, openvpnIfconfig } from "./lifecycle/ipv4_payload.ts";
import { RenewalSchedule } from "./lifecycle/renewal_schedule.ts";

const log = logger("node");

/** Why `--multicast` is refused (docs/NODE.md). */
const MULTICAST_REFUSED = "--multicast is not supported: it needs the pim-dm daemon (PIM dense " +
  "mode), which Debian does not package (pimd is PIM sparse mode, another protocol)";

/** Exit status asking `run` to start the daemon again in-process. */
const RESTART = -1;
/** Retry delay of a failed parameter fetch after a version change (§9.6). */
const NEW_VERSION_RETRY_MS = 300_000;
/** Longest wait at start for the registry's answers about our country (same_country). */
const COUNTRY_WAIT_MS = 10_000;

/** Waits for `p`, but not longer than `ms`. */
async function bounded(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([p, new Promise((r) => timer = setTimeout(r, ms))]);
  clearTimeout(timer);
}

/** Why the main loop ends: an exit status, or RESTART. */
class Stopper {
  #resolve!: (status: number) => void;
  readonly stopped: Promise<number>;
  #done = false;

  constructor() {
    this.stopped = new Promise((r) => this.#resolve = r);
  }

  stop(status: number): void {
    if (this.#done) return;
    this.#done = true;
    this.#resolve(status);
  }
}

function absolute(path: string): string {
  return path.startsWith("/") ? path : `${Deno.cwd()}/${path}`;
}

function sleep(ms: number, abort: Promise<unknown>): Promise<unknown> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([new Promise((r) => timer = setTimeout(r, ms)), abort]).finally(() =>
    clearTimeout(timer)
  );
}

/** One life of the daemon, from start-up to clean-up. */
class Daemon {
  readonly #o: NodeOptions;
  readonly #stop: Stopper;
  readonly #cleanups: Array<[string, () => Promise<unknown> | unknown]> = [];
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  #view: RoutingView = EMPTY_VIEW;
  /** clean-up has begun: no child is restarted any more */
  #closing = false;

  constructor(o: NodeOptions, stop: Stopper) {
    this.#o = o;
    this.#stop = stop;
  }

  #later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.#timers.delete(t);
      fn();
    }, ms);
    this.#timers.add(t);
  }

  /** Runs until stopped; returns the exit status (or RESTART). */
  async run(): Promise<number> {
    try {
      const ok = await this.#start();
      if (ok !== 0) return ok;
      return await this.#stop.stopped;
    } catch (e) {
      log.error(`fatal: ${(e as Error).stack ?? e}`);
      return 1;
    } finally {
      await this.#cleanup();
    }
  }

  async #cleanup(): Promise<void> {
    this.#closing = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    // registered in start-up order, run in the §1.5 clean-up order
    const order = [
      "timer",
      "control",
      "babeld",
      "tunnels",
      "daemons",
      "upnp",
      "openvpn",
      "addressing",
      "peers",
      "rundir",
      "cache",
    ];
    for (const name of order) {
      for (const [n, fn] of this.#cleanups) {
        if (n !== name) continue;
        try {
          await fn();
        } catch (e) {
          log.warn(`clean-up of ${name}: ${(e as Error).message}`);
        }
      }
    }
  }

  async #start(): Promise<number> {
    const o = this.#o;
    const started = Date.now();
    const caPem = await Deno.readTextFile(o.ca);
    const certPem = await Deno.readTextFile(o.cert);
    const keyPem = await Deno.readTextFile(o.key);
    const ca = parseCa(caPem);
    const cert = parseNodeCertificate(certPem);
    const key = loadPrivateKey(keyPem);
    const check = verifyCertificate(cert, ca, {
      at: ownCertificateCheckTime(cert, ca, new Date()),
    });
    if (!check.ok) {
      log.error(`our certificate is unusable: ${check.reason}`);
      return 1;
    }
    const network = ca.network;
    const prefix = cert.prefix;
    const subnet = network + prefix;
    const myIp = nodeAddress(subnet);
    log.info(`starting node ${cert.cn} (${myIp}) in network ${bitsToCidr(network)}`);

    await Deno.mkdir(o.run, { recursive: true, mode: 0o700 });
    await Deno.mkdir(o.state, { recursive: true });
    if (await runDirInUse(absolute(o.run))) {
      log.error(`another re6st node is running with the run directory ${o.run}`);
      return 1;
    }
    const killed = await killLeftovers(absolute(o.run));
    if (killed) log.info(`killed ${killed} leftover processes`);
    const control = await NodeControl.start(absolute(o.run));
    this.#cleanups.push(["control", () => control.close()]);

    const cache = new SqlitePeerCache(`${o.state}/cache.db`, prefix, Math.random);
    this.#cleanups.push(["cache", () => cache.close()]);
    const registry = new RegistryClient({
      url: o.registry,
      session: { ca: caPem, key, prefix },
    });
    const params = await obtainParams({
      client: registry,
      cache,
      key,
      caKey: ca.publicKey,
      prefix,
      aborted: this.#stop.stopped,
      observe: control.metrics.fetched,
    });
    if (!params) return 0;
    if (params.minProtocol > PROTOCOL) {
      log.error(`our protocol ${PROTOCOL} is too old for this network (${params.minProtocol})`);
      return 1;
    }
    if (params.protocol > PROTOCOL) {
      log.warn(`the registry runs a newer protocol (${params.protocol}); please upgrade`);
    }
    // lifecycle: certificate renewal before the certificate is used, then at the computed dates
    const renewal = new RenewalSchedule({
      registry,
      certPath: o.cert,
      caPath: o.ca,
      crl: params.crl,
      now: Date.now,
      onRenewed: () => this.#stop.stop(RESTART),
    });
    this.#cleanups.push(["timer", () => renewal.stop()]);
    const renewed = await renewal.check();
    if (renewed.certRenewed || renewed.caRenewed) return RESTART;
    // --client: a base manager only (no client tunnels of its own) and no servers (§2.1)
    // (the command line wins over distributed counts; --client has neither tunnels nor servers)
    const cli = {
      clientCount: o.client ? 0 : o.clientCount,
      maxClients: o.client ? 0 : o.maxClients,
    };
    const clientCount = cli.clientCount ?? params.clientCount;
    const maxClients = cli.maxClients ?? params.maxClients;

    const subtrees = await probeSubtrees();
    await checkGatewayRoutes({ gateway: o.gateway, subtrees, network: bitsToCidr(network) }, log);
    const disabled = new Set<string>(o.disabledProtos);
    if (!subtrees) {
      log.warn("kernel without IPv6 subtrees: tcp6/udp6 tunnels disabled");
      disabled.add("tcp6").add("udp6");
    }
    const servers = new Map<Protocol, number>();
    if (maxClients > 0 && !o.client) {
      for (const { port, proto } of o.pp) {
        if (!disabled.has(proto) && !servers.has(proto)) servers.set(proto, port);
      }
    }
    const dh = servers.size ? await this.#dhFile(registry) : "";
    if (dh === undefined) return 0;

    const serverPorts = [...servers].map(([proto, port]) => ({ proto, port }));
    const upnp = UpnpAddress.create({ ip: o.ip, servers: serverPorts, onChange: () => publish() });
    // same_country: our country per address from --country, else the registry (§10.8)
    const own = new OwnCountry({ fixed: o.country, ask: (ip) => registry.getCountry(ip) });
    own.enabled = Boolean(params.sameCountry?.length);
    const book = new AddressBook(o.ip, serverPorts, { country: (ip) => own.of(ip), mapper: upnp });
    const settleCountry = () =>
      own.settle({
        addresses: () => [...new Set(parseAddresses(book.toString()).map((e) => e.ip))],
        learnt: () => publish(),
        later: (ms, fn) => this.#later(ms, fn),
      });
    const publish = () => {
      const text = book.toString();
      if (text) cache.setMyAddress(text);
      else cache.deleteMyAddress();
      log.info(`our address: ${text || "(none yet)"}`);
      void settleCountry();
    };
    publish();
    await bounded(settleCountry(), COUNTRY_WAIT_MS); // before the first tunnels are chosen
    // peers' endpoints without a country field: GeoIP of their IP, if we have a database
    let geoip: CountryDatabase | undefined;
    try {
      geoip = databaseFromEnvironment();
    } catch (e) {
      log.warn(`${(e as Error).message}; endpoints without a country field stay unlocated`);
    }
    if (upnp) {
      upnp.start();
      this.#cleanups.push(["upnp", () => upnp.stop()]);
    }

    const core = new TunnelManager({
      prefix,
      registryPrefix: params.registryPrefix,
      clientCount,
      hello: params.hello,
      tunnelRefresh: params.tunnelRefresh,
      crl: params.crl,
      neighbours: o.neighbours.map(cnToBits),
      disabledProtocols: disabled,
      sameCountry: params.sameCountry,
      ourCountry: own,
      geo: geoip && ((ip) => geoip.locate(ip)?.country),
      remoteGateways: o.remoteGateways,
      watchLan: o.interfaces.length > 0,
      cache,
      random: Math.random,
      now: Date.now() / 1000,
      bootstrapBackoff: growingBackoff(),
    });
    const now = () => Date.now() / 1000;
    const wired: {
      executor?: CommandExecutor;
      servers?: ServerSupervisor;
      client?: ClientModeTunnel;
    } = {};
    const tunnelList = () => {
      if (wired.client) return wired.client.tunnelList();
      const clients = core.clientPeers();
      return `${clients.length} ${[...clients, ...core.servedPeers()].map(bitsToCn).join(" ")}`
        .trim();
    };

    const machine = createPeerProtocol({
      caPem,
      certPem,
      keyPem,
      version: params.version,
      crl: params.crl,
      registryPrefix: params.registryPrefix,
      addresses: () => cache.getMyAddress() ?? "",
      tunnelList,
    });
    // peer protocol (UDP 326)
    const dec = new TextDecoder();
    const peers = await PeerSocket.open({
      machine,
      onMessage: (peer, code, data) => {
        queueMicrotask(() => {
          const executor = wired.executor;
          if (!executor) return;
          if (code === 1 && data.length > 0) {
            executor.execute(core.addressReceived(now(), peer, dec.decode(data)));
          } else if (code === 2 || code === 3) {
            executor.execute(core.messageReceived(now(), peer, code));
          } else {
            log.debug(`${bitsToCn(peer)}: code ${code} answer ignored`);
          }
        });
      },
      onNewVersion: (delayMs) => this.#later(delayMs, () => newVersion()),
      onDrop: control.metrics.dropped,
    });
    this.#cleanups.push(["peers", () => peers.close()]);

    // lifecycle: IPv4 payload (§5.5), after the tunnel manager, before the servers (§1.5)
    const ipv4Payload = (p: NetworkParams) =>
      setupIpv4Payload(p, cert.subjectSerial, {
        clientTunnels: core.clientCount > 0,
        mainInterface: o.mainInterface,
      }, log);
    let v4 = await ipv4Payload(params);
    this.#cleanups.push(["addressing", () => v4 && removeIpv4Plan(v4.plan)]);

    // OpenVPN (what a parameter change may alter: `openvpnSettings`)
    const openvpnSettings = (p: NetworkParams): OpenvpnSettings => ({
      encrypt: p.encrypt,
      ipv4: v4 ? openvpnIfconfig(v4.assignment) : undefined,
      timeout: 4 * p.hello,
      maxClients: Math.max(1, cli.maxClients ?? p.maxClients),
    });
    const shell = await OpenvpnShell.start({
      runDir: absolute(o.run),
      ca: absolute(o.ca),
      cert: absolute(o.cert),
      key: absolute(o.key),
      dh,
      ...openvpnSettings(params),
      extra: o.openvpnArgs,
      logDir: o.ovpnlog ? absolute(o.log) : undefined,
    }, {
      decide: (c) => wired.executor?.clientConnect(c) ?? false,
      disconnected: (c) => wired.executor?.clientDisconnect(c),
      event: (e) => {
        wired.client?.event(e);
        wired.executor?.tunnelEvent(e);
        if (e.type === "server-exit" && !e.requested) wired.servers?.exited(e.proto, e.status.code);
      },
    });
    const serverIfaces = [...servers.keys()].map(serverInterface);
    this.#cleanups.push(["openvpn", async () => {
      wired.servers?.stop();
      await shell.close();
      for (const iface of [...serverIfaces, ...core.interfaces()]) await deleteTap(iface);
    }]);
    for (const [proto, port] of servers) {
      await shell.startServer(proto, port);
      log.info(`OpenVPN server ${serverInterface(proto)} on port ${port}`);
    }
    wired.servers = new ServerSupervisor(shell, servers);
    if (o.client) {
      const client = wired.client = new ClientModeTunnel(shell, o.client, systemLookup);
      this.#cleanups.push(["tunnels", () => client.stop()]);
      await client.start();
    }

    // node address and routes
    const addressing: NodeAddressing = {
      iface: o.mainInterface,
      address: myIp,
      subnetCidr: bitsToCidr(subnet),
      networkCidr: bitsToCidr(network),
    };
    await configureNodeAddressing(addressing);
    this.#cleanups.push(["addressing", () => removeNodeAddressing(addressing)]);

    // babeld
    await Deno.mkdir(o.log, { recursive: true });
    const babelOptions = (p: NetworkParams): BabeldStartOptions => {
      const clientIfaces = o.client
        ? [CLIENT_MODE_IFACE]
        : Array.from({ length: core.clientCount }, (_, i) => `re6stnet${i + 1}`);
      const commandLine: BabelArgsOptions = {
        hello: p.hello,
        logDir: absolute(o.log),
        stateDir: absolute(o.state),
        runDir: absolute(o.run),
        network: bitsToCidr(network),
        myIp,
        subnetLen: subnet.length,
        babelDefault: p.babelDefault,
        hmacSign: p.hmacSign,
        hmacAccept: p.hmacAccept,
        ipv4: v4 ? babelIpv4(v4.assignment) : undefined,
        gateway: o.gateway,
        subtrees,
        extraArgs: o.babeldArgs,
        tunnelInterfaces: [...serverIfaces, ...clientIfaces],
        lanInterfaces: o.interfaces,
      };
      return {
        args: babeldArgs(commandLine),
        // drained/restored TAPs are declared at run time: they need the current keys too
        interfaceDefaults: babelInterfaceDefaults(commandLine),
        socketPath: babelSocketPath(absolute(o.run)),
        outputFile: `${absolute(o.log)}/babeld.out`,
      };
    };
    await flushBabelRoutes(v4 ? [myIp, v4.assignment.address] : [myIp]);
    const babel = await BabelSupervisor.start(babelOptions(params));
    this.#cleanups.push(["babeld", () => babel.stop()]);

    const ex = new CommandExecutor({
      core,
      openvpn: shell,
      babel: () => babel.socket,
      peers,
      registry,
      network,
      lanInterfaces: o.interfaces,
      now,
      onExternalIp: (ip) => {
        if (book.learn(ip)) publish();
      },
      onView: (view) => {
        this.#view = view;
        // lifecycle: hourly stale check (§7.5, valid_until honoured)
        if (stale.onDump(view, Date.now(), current.validUntil)) void newVersion(false);
      },
    });
    wired.executor = ex;
    // a babeld restarted (crash, or `restartWith` on a parameter change) declared every TAP at
    // normal cost: drained TAPs are drained again (the first start is not reported)
    babel.onStart = (b) => ex.babelStarted(b.socket);
    this.#cleanups.push(["tunnels", async () => {
      ex.execute(core.shutdown());
      await ex.settle();
      ex.close();
    }]);

    // parameter changes (§9.6, §7.4)
    let current: NetworkParams = params;
    let stale = new StaleMonitor(params.registryPrefix, prefix, Date.now(), log);
    let restarts = Promise.resolve();
    this.#cleanups.push(["timer", () => restarts]); // a restart under way ends first
    const newVersion = async (retry = true): Promise<void> => {
      const changed = await fetchParams(registry, cache, key, control.metrics.fetched);
      if (changed === undefined) {
        if (retry) this.#later(NEW_VERSION_RETRY_MS, () => newVersion());
        return;
      }
      const previous = current;
      const fresh = readParams(cache, ca.publicKey);
      if (typeof fresh === "string") {
        log.warn(`new parameters unusable: ${fresh}`);
        return;
      }
      current = fresh;
      machine.setVersion(fresh.version);
      peers.setCrl(fresh.crl);
      ex.execute(core.updateCrl(now(), fresh.crl));
      // a fresh dump: a base manager (client_count 0, --client) dumps babeld only every
      // tunnel_refresh, so its last view may be empty
      const view = await freshView(babel.socket, network, o.interfaces, this.#view);
      const neighbours = gossipTargets(view);
      peers.broadcastVersion(neighbours);
      log.debug(`version gossiped to babel neighbours: ${neighbours.map(bitsToCn).join(" ")}`);
      if (changed.length) log.info(`network parameters changed: ${changed.join(", ")}`);
      // lifecycle: restart only what the change needs (§7.4, lib/node/lifecycle/reaction.ts)
      renewal.setCrl(fresh.crl);
      await runReaction(
        planReaction({
          changed,
          before: previous,
          after: fresh,
          cli,
          protocol: PROTOCOL,
          ownRevoked: fresh.crl.includes(cert.serial),
          servedClientRevoked: core.servesRevokedClient(),
        }),
        {
          log,
          restartDaemon: () => this.#stop.stop(RESTART),
          restartBabeld: () => babel.restartWith(babelOptions(current)),
          restartOpenvpnServers: async () => {
            shell.configure(openvpnSettings(current));
            await wired.servers!.restartAll();
          },
          closeClientTunnels: async () => {
            shell.configure(openvpnSettings(current));
            await Promise.all([...shell.clients.keys()].map((iface) => shell.stopClient(iface)));
          },
          applyIpv4: async () => {
            if (v4) await removeIpv4Plan(v4.plan);
            v4 = await ipv4Payload(current);
            shell.configure(openvpnSettings(current));
          },
          reconfigureTunnels: (s) => {
            core.reconfigure(now(), s);
            own.enabled = Boolean(s.sameCountry?.length);
            publish();
            if (s.registryPrefix !== previous.registryPrefix) {
              machine.setRegistryPrefix(s.registryPrefix);
              stale = new StaleMonitor(s.registryPrefix, prefix, Date.now(), log);
            }
          },
          dropRevokedClients: () => {
            for (const server of shell.servers.values()) {
              for (const [cid, c] of server.clients) {
                if (fresh.crl.includes(c.serial)) server.kill(cid);
              }
            }
          },
          renew: async () => (await renewal.check()).certRenewed,
          // one restart at a time: two quick changes must not restart a child concurrently
          later: (ms, fn) =>
            this.#later(ms, () => {
              restarts = restarts.then(() => this.#closing ? undefined : fn())
                .catch((e) => log.error(`restart: ${e}`));
            }),
        },
      );
    };

    // --up, --daemon
    const env = {
      re6stnet_iface: o.mainInterface,
      re6stnet_ip: myIp,
      re6stnet_subnet: bitsToCidr(subnet),
      re6stnet_network: bitsToCidr(network),
    };
    if (o.up) {
      const r = await new Deno.Command("sh", { args: ["-c", o.up], env }).output();
      if (!r.success) {
        log.error(`--up command exited with ${r.code}`);
        return r.code;
      }
    }
    const daemons = o.daemons.map((cmd) =>
      new Deno.Command("sh", { args: ["-c", cmd], env, stdin: "null" }).spawn()
    );
    this.#cleanups.push(["daemons", async () => {
      for (const child of daemons) {
        try {
          child.kill("SIGTERM");
        } catch { /* exited */ }
        const t = setTimeout(() => {
          try {
            child.kill("SIGKILL");
          } catch { /* exited */ }
        }, 5000);
        await child.status;
        clearTimeout(t);
      }
    }]);

    control.setSource(async () => ({
      cn: cert.cn,
      prefix,
      network,
      address: myIp,
      advertised: cache.getMyAddress() ?? "",
      registry: o.registry,
      params: current,
      startedAt: started,
      servers: [...servers].map(([proto, port]) => ({
        proto,
        port,
        ifname: serverInterface(proto),
      })),
      tunnels: core.status(),
      tunnelCounters: core.counters(),
      view: await freshView(babel.socket, network, o.interfaces, this.#view),
      sessions: machine.peerPrefixes().flatMap((p) => machine.peer(p, Date.now()) ?? []),
      cache: cache.listPeers(),
      babeld: { pid: babel.pid, restarts: babel.restarts },
    }));

    // main loop
    ex.execute(core.tick(now()));
    const tick = setInterval(() => ex.execute(core.tick(now())), 1000);
    this.#cleanups.push(["timer", () => clearInterval(tick)]);
    this.#cleanups.push(["rundir", () => Deno.remove(o.run, { recursive: true })]);
    log.info(`node ${cert.cn} running (client_count ${clientCount}, hello ${params.hello})`);
    return 0;
  }

  /** `--dh`, else `<state>/dh.pem`, fetched once from the registry (back-off 1, 2, 4 … 60 s). */
  async #dhFile(registry: RegistryClient): Promise<string | undefined> {
    const o = this.#o;
    if (o.dh) return absolute(o.dh);
    const path = absolute(`${o.state}/dh.pem`);
    try {
      await Deno.stat(path);
      return path;
    } catch { /* fetch it */ }
    let done = false;
    this.#stop.stopped.then(() => done = true);
    for (let attempt = 0; !done; attempt++) {
      const pem = await registry.getDh().catch(() => undefined);
      if (pem) {
        await Deno.writeTextFile(`${path}.new`, pem);
        await Deno.rename(`${path}.new`, path);
        return path;
      }
      const wait = Math.min(60, 2 ** attempt);
      log.warn(`cannot get DH parameters from the registry; retrying in ${wait} s`);
      await sleep(wait * 1000, this.#stop.stopped);
    }
    return undefined;
  }
}

/**
 * SIGHUP (re6stnet exits with 255 there; we reload): reads the command line and its `@file`s
 * again. Unusable: logged, the running configuration stays. Only the verbosity changed:
 * applied live. Anything else: the options to restart the daemon in-process with (every child
 * — babeld, OpenVPN, `--daemon` commands — is restarted with the new configuration).
 */
function reloadOptions(args: string[], current: NodeOptions): NodeOptions | undefined {
  const r = parseArgs(nodeSchema, args);
  if (!r.ok) {
    log.error(`SIGHUP: configuration unusable, keeping the running one: ${r.stderr ?? ""}`);
    return undefined;
  }
  const fresh = r.options;
  setVerbosity(fresh.verbose);
  if (JSON.stringify({ ...fresh, verbose: 0 }) === JSON.stringify({ ...current, verbose: 0 })) {
    log.info(`SIGHUP: configuration unchanged (verbosity ${fresh.verbose})`);
    return undefined;
  }
  log.info("SIGHUP: configuration changed; restarting the node with it");
  return fresh;
}

/** Runs this machine's re6st node until a signal; returns the exit status. */
export async function run(args: string[]): Promise<number> {
  const first = parseCommandLine(nodeSchema, args);
  if (typeof first === "number") return first;
  let opts = first;
  if (opts.test !== undefined) return await runTest(opts.test, opts);
  if (opts.multicast) {
    console.error(MULTICAST_REFUSED);
    return 2;
  }
  setVerbosity(opts.verbose);
  try {
    await Deno.mkdir(opts.log, { recursive: true });
  } catch { /* LogFile falls back to stderr */ }
  const logFile = new LogFile(`${opts.log}/re6stnet.log`);
  logFile.open();
  let stopper = new Stopper();
  const handlers: Array<[Deno.Signal, () => void]> = [
    ["SIGINT", () => stopper.stop(0)],
    ["SIGTERM", () => stopper.stop(0)],
    ["SIGHUP", () => {
      const fresh = reloadOptions(args, opts);
      if (fresh === undefined) return;
      opts = fresh;
      stopper.stop(RESTART);
    }],
    ["SIGUSR2", () => stopper.stop(255)],
    ["SIGUSR1", () => logFile.open()],
  ];
  for (const [sig, fn] of handlers) Deno.addSignalListener(sig, fn);
  try {
    for (;;) {
      const status = await new Daemon(opts, stopper).run();
      if (status !== RESTART) {
        log.info(`exiting with status ${status}`);
        return status;
      }
      log.info("restarting");
      stopper = new Stopper();
    }
  } finally {
    for (const [sig, fn] of handlers) Deno.removeSignalListener(sig, fn);
    logFile.close();
  }
}
