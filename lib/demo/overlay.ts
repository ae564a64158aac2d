/**
 * A whole re6st network on namespaced hosts, made of the real programs: a fresh CA (lib/pki), the
 * real `re6st registry`, nodes registered with the real `re6st conf` (anonymously) and run with
 * the real `re6st node`. Used by `re6st demo`, the namespaced `router` test and the node bench.
 * Hosts and process spawning come from the caller (test harness or demo world), so every process
 * has a known PID and a log file.
 */
import { createCa } from "../pki/ca.ts";
import { parseNodeCertificate } from "../pki/certificate.ts";
import { writeDhParams } from "../pki/dh.ts";
import { tryRun } from "../netns/exec.ts";
import { type Proc, stopProcess } from "../netns/process.ts";
import { waitFor } from "../netns/wait.ts";
import { cidrToBits, nodeAddress } from "../wire/prefix.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/**
 * The `re6st` program as an argument vector prefix. `RE6ST_MAIN` may name another entry point
 * (e.g. a `deno bundle` of main.ts, for benches comparing memory footprints).
 */
export function re6stCommand(): string[] {
  return [Deno.execPath(), "run", "-A", Deno.env.get("RE6ST_MAIN") || MAIN];
}

/** A machine of the network: a namespace. */
export interface OverlayHost {
  name: string;
  ns: string;
}

/** Starts `argv` on `host` with output to `logFile`; the process must be stoppable by PID. */
export type Spawner = (
  host: OverlayHost,
  argv: string[],
  opts: { name: string; logFile: string },
) => Promise<Proc>;

/** Network parameters served by the registry. */
export interface OverlayOptions {
  /** working directory (CA, registry db, node files) */
  dir: string;
  /** where every process logs (one subdirectory per node) */
  logDir: string;
  spawn: Spawner;
  /** overlay network, default `2001:db8:42::/48` */
  network?: string;
  hello?: number;
  clientCount?: number;
  tunnelRefresh?: number;
  /** `--max-clients` of the registry (default: its own, 2 × client count) */
  maxClients?: number;
  /** node log verbosity (default 3) */
  verbose?: number;
  /** more `re6st registry` arguments (e.g. `--ipv4 198.19.0.0/16 8`) */
  registryArgs?: string[];
}

/** One re6st node: its files, its re6st address, its running daemon. */
export class OverlayNode {
  proc?: Proc;
  /** set once registered */
  address = "";
  cn = "";

  constructor(
    readonly overlay: Overlay,
    readonly host: OverlayHost,
    readonly dir: string,
    readonly logDir: string,
    /** `--ip` values (none: learnt from peers) */
    readonly ips: string[],
  ) {}

  /** The daemon's command line. */
  args(): string[] {
    const d = this.dir;
    return [
      ...re6stCommand(),
      "node",
      "--registry",
      this.overlay.registryUrl,
      "--ca",
      `${d}/ca.crt`,
      "--cert",
      `${d}/cert.crt`,
      "--key",
      `${d}/cert.key`,
      "--state",
      `${d}/state`,
      "--run",
      `${d}/run`,
      "--log",
      this.logDir,
      "-v",
      String(this.overlay.verbose),
      ...this.ips.flatMap((ip) => ["--ip", ip]),
    ];
  }

  /** Registers with `re6st conf --anonymous` (writes ca.crt, cert.key, cert.crt). */
  async register(): Promise<void> {
    await Deno.mkdir(this.dir, { recursive: true });
    await Deno.mkdir(this.logDir, { recursive: true });
    const argv = [
      ...re6stCommand(),
      "conf",
      "--registry",
      this.overlay.registryUrl,
      "--anonymous",
      "-d",
      this.dir,
    ];
    const r = await tryRun(argv, { ns: this.host.ns });
    await Deno.writeTextFile(`${this.logDir}/conf.log`, r.stdout + r.stderr);
    if (r.code !== 0) throw new Error(`re6st conf on ${this.host.name} failed: ${r.stderr}`);
    const cert = parseNodeCertificate(await Deno.readTextFile(`${this.dir}/cert.crt`));
    this.cn = cert.cn;
    this.address = nodeAddress(this.overlay.networkBits + cert.prefix);
  }

  /** Starts `re6st node`, with `extra` options after the usual ones. */
  async start(extra: readonly string[] = []): Promise<Proc> {
    this.proc = await this.overlay.spawn(this.host, [...this.args(), ...extra], {
      name: "node",
      logFile: `${this.logDir}/node.out`,
    });
    return this.proc;
  }

  /** Sends `signal` to the daemon and waits (bounded) for its exit. */
  async stop(signal: Deno.Signal = "SIGTERM", timeoutMs = 15_000): Promise<Deno.CommandStatus> {
    const p = this.proc;
    if (!p) throw new Error(`${this.host.name}: not started`);
    if (!p.exit) {
      try {
        Deno.kill(p.pid, signal);
      } catch { /* exited */ }
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<undefined>((r) => timer = setTimeout(() => r(undefined), timeoutMs));
    const status = await Promise.race([p.status, late]);
    clearTimeout(timer);
    if (status) return status;
    Deno.kill(p.pid, "SIGKILL");
    return await p.status;
  }
}

/** The network parameters a running registry can be restarted with (`restartRegistry`). */
export type RegistryParams = Pick<
  OverlayOptions,
  "hello" | "clientCount" | "tunnelRefresh" | "maxClients" | "registryArgs"
>;

/** The CA, the registry and the nodes of one network. */
export class Overlay {
  readonly networkBits: string;
  readonly verbose: number;
  registryUrl = "";
  registry?: Proc;
  readonly nodes: OverlayNode[] = [];
  #registryNode?: OverlayNode;
  #params: RegistryParams;

  private constructor(readonly o: OverlayOptions, readonly caDir: string) {
    this.networkBits = cidrToBits(o.network ?? "2001:db8:42::/48");
    this.verbose = o.verbose ?? 3;
    this.#params = { ...o };
  }

  /** Makes the CA (RSA 2048) and DH parameters in `<dir>/ca`. */
  static async create(o: OverlayOptions): Promise<Overlay> {
    const caDir = `${o.dir}/ca`;
    await Deno.mkdir(caDir, { recursive: true });
    const ca = await createCa({ prefixCidr: o.network ?? "2001:db8:42::/48" });
    await Deno.writeTextFile(`${caDir}/ca.key`, ca.keyPem, { mode: 0o600 });
    await Deno.writeTextFile(`${caDir}/ca.crt`, ca.certPem);
    await writeDhParams(`${caDir}/dh.pem`);
    return new Overlay(o, caDir);
  }

  /** Spawns through the caller's spawner. */
  spawn(host: OverlayHost, argv: string[], opts: { name: string; logFile: string }) {
    return this.o.spawn(host, argv, opts);
  }

  /**
   * Starts `re6st registry` on `host` (HTTP port 80 on `ip`), then registers the registry's own
   * node there (the first certificate: the registry node, `--ip ip`); `start()` it when ready.
   */
  async startRegistry(host: OverlayHost, ip: string): Promise<OverlayNode> {
    const node = this.#registryNode = this.#node(host, [ip]);
    this.registryUrl = `http://${ip}/`;
    await Deno.mkdir(node.logDir, { recursive: true });
    await Deno.mkdir(`${node.dir}/run`, { recursive: true, mode: 0o700 });
    await this.#spawnRegistry(node);
    await node.register();
    return node;
  }

  /**
   * Stops the registry (by PID) and starts it again with `changes` to its network parameters:
   * it makes a new network version, which reaches the running nodes by gossip.
   */
  async restartRegistry(changes: RegistryParams): Promise<void> {
    const node = this.#registryNode;
    if (!node || !this.registry) throw new Error("no registry started");
    await stopProcess(this.registry);
    this.#params = { ...this.#params, ...changes };
    await this.#spawnRegistry(node);
  }

  async #spawnRegistry(node: OverlayNode): Promise<void> {
    const o = this.#params;
    const host = node.host;
    this.registry = await this.spawn(host, [
      ...re6stCommand(),
      "registry",
      "--port",
      "80",
      "--db",
      `${this.caDir}/registry.db`,
      "--ca",
      `${this.caDir}/ca.crt`,
      "--key",
      `${this.caDir}/ca.key`,
      "--dh",
      `${this.caDir}/dh.pem`,
      "--run",
      `${node.dir}/run`,
      "--logfile",
      `${node.logDir}/registry.log`,
      "-v",
      "3",
      "--anonymous-prefix-length",
      "16",
      "--hello",
      String(o.hello ?? 4),
      "--client-count",
      String(o.clientCount ?? 2),
      "--tunnel-refresh",
      String(o.tunnelRefresh ?? 100),
      ...(o.maxClients === undefined ? [] : ["--max-clients", String(o.maxClients)]),
      ...(o.registryArgs ?? []),
    ], { name: "registry", logFile: `${node.logDir}/registry.out` });
    const registry = this.registry;
    await waitFor(async () => {
      if (registry.exit) throw new Error(`registry exited with ${registry.exit.code}`);
      const r = await tryRun(["ss", "-Hltn", "sport = :80"], { ns: host.ns });
      return r.stdout.trim() !== "";
    }, { timeoutMs: 30_000, what: "the registry to listen", intervalMs: 100 });
  }

  /** Registers a node on `host` (`ips`: its `--ip` values) without starting it. */
  async addNode(host: OverlayHost, ips: string[] = []): Promise<OverlayNode> {
    const node = this.#node(host, ips);
    await node.register();
    return node;
  }

  #node(host: OverlayHost, ips: string[]): OverlayNode {
    const node = new OverlayNode(
      this,
      host,
      `${this.o.dir}/${host.name}`,
      `${this.o.logDir}/${host.name}`,
      ips,
    );
    this.nodes.push(node);
    return node;
  }
}
