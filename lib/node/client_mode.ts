/**
 * `--client` mode (spec §2.1, §12.2): instead of servers and a tunnel manager, one OpenVPN client
 * on the `re6stnet` TAP with one `--remote` per configured address (OpenVPN tries them in turn and
 * reconnects by itself: `--ping-restart`, no `--verify-x509-name`). Host names are resolved when
 * the process starts (OpenVPN gets IP literals only). Should the process exit anyway, it is started
 * again after 1, 2, 4 … 60 s.
 */
import type { ClientRemote } from "../config/node_options.ts";
import { logger } from "../log.ts";
import type { Remote } from "./openvpn/args.ts";
import { isIpLiteral } from "./openvpn/ip_literal.ts";
import type { OpenvpnShell, TunnelEvent } from "./openvpn/tunnels.ts";

const log = logger("client");

/** The TAP interface of `--client` mode. */
export const CLIENT_MODE_IFACE = "re6stnet";

/** Resolves a host name to addresses of one family. */
export type Lookup = (host: string, type: "A" | "AAAA") => Promise<string[]>;

/** `--client` remotes as OpenVPN remotes: IP literals kept, host names resolved (A or AAAA). */
export async function resolveRemotes(
  remotes: readonly ClientRemote[],
  lookup: Lookup,
): Promise<Remote[]> {
  const out: Remote[] = [];
  for (const { host, port, proto } of remotes) {
    const ips = isIpLiteral(host) ? [host] : await lookup(host, proto.endsWith("6") ? "AAAA" : "A");
    for (const ip of ips) if (isIpLiteral(ip)) out.push({ ip, port, proto });
  }
  if (out.length === 0) throw new Error("no address for any --client remote");
  return out;
}

/** The single OpenVPN client of `--client` mode, restarted when it exits. */
export class ClientModeTunnel {
  readonly #shell: OpenvpnShell;
  readonly #remotes: readonly ClientRemote[];
  readonly #lookup: Lookup;
  #stopped = false;
  #attempt = 0;
  #timer?: ReturnType<typeof setTimeout>;
  /** CN of the server we are connected to, once the tunnel is up. */
  #peer?: string;

  constructor(shell: OpenvpnShell, remotes: readonly ClientRemote[], lookup: Lookup) {
    this.#shell = shell;
    this.#remotes = remotes;
    this.#lookup = lookup;
  }

  /** Starts the OpenVPN client (or schedules a retry if the remotes cannot be resolved). */
  async start(): Promise<void> {
    if (this.#stopped) return;
    try {
      const remotes = await resolveRemotes(this.#remotes, this.#lookup);
      if (this.#stopped) return;
      await this.#shell.startClientMode(CLIENT_MODE_IFACE, remotes);
      log.info(
        `client mode: connecting to ${
          remotes.map((r) => `${r.ip} ${r.port} ${r.proto}`).join(", ")
        }`,
      );
    } catch (e) {
      log.error(`client mode: ${(e as Error).message}`);
      this.#retry();
    }
  }

  /** Feeds an OpenVPN shell event; those of other interfaces are ignored. */
  event(e: TunnelEvent): void {
    if (e.iface !== CLIENT_MODE_IFACE) return;
    if (e.type === "tunnel-up") {
      this.#peer = e.cn;
      this.#attempt = 0;
      log.info(`client mode: tunnel to ${e.cn} is up`);
    } else if (e.type === "tunnel-exit") {
      this.#peer = undefined;
      if (this.#stopped) return;
      log.warn(`client mode: OpenVPN exited with ${e.status.code}`);
      this.#retry();
    }
  }

  /** Code 5 answer: `"1 <cn>"` while connected, else `"0"`. */
  tunnelList(): string {
    return this.#peer ? `1 ${this.#peer}` : "0";
  }

  /** Stops the client for good. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#shell.stopClient(CLIENT_MODE_IFACE);
  }

  #retry(): void {
    const wait = Math.min(60, 2 ** this.#attempt++);
    log.info(`client mode: starting OpenVPN again in ${wait} s`);
    this.#timer = setTimeout(() => this.start(), wait * 1000);
  }
}

/** Host-name lookup with the system resolver. */
export const systemLookup: Lookup = (host, type) => Deno.resolveDns(host, type);
