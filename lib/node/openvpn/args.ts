/**
 * Pure builders of OpenVPN 2.6 command lines for re6st tunnels (spec §12.1, §12.2, §5.5).
 *
 * Differences from re6stnet (which pins OpenVPN 2.4), chosen so both can tunnel together:
 * - Unencrypted data channel: `--cipher none --data-ciphers none` (2.6 removed `--ncp-disable`);
 *   TLS still authenticates both ends with their certificates.
 * - UDP MTU: 2.6 no longer derives the TAP MTU from `--link-mtu` the way 2.4 did on servers, and a
 *   2.6 server pushes `tun-mtu` (its *configured* value, 1500 unless `--tun-mtu` is given) to 2.6
 *   clients. So both ends get an explicit `--tun-mtu`: the value a 2.4 re6stnet client derives from
 *   its `--link-mtu` (1432 for udp4, 1450 for udp6) minus the 25 bytes of an unencrypted data
 *   packet (opcode 1 + packet id 4 + HMAC-SHA1 20): 1407 and 1425. re6stnet's server `+93` exists
 *   only to make 2.4.7+ servers reach that same value. `--mtu-disc yes` is kept (DF on UDP).
 *   TCP keeps OpenVPN's default 1500 on both sides, as in re6stnet.
 * - Servers report client connects/disconnects over the management interface (the daemon listens
 *   on a unix socket and OpenVPN connects to it, `--management-client`), and the daemon answers
 *   `client-auth` with the `setenv-safe external_ip` push instead of a `--client-connect` hook.
 */

import { canonicalProto, type Endpoint } from "../../wire/address.ts";
import { isIpLiteral } from "./ip_literal.ts";

/** re6st protocol names (spec §10.10): OpenVPN over IPv4 (`udp`, `tcp`) or IPv6. */
export type Protocol = "udp" | "udp6" | "tcp" | "tcp6";

/** Every protocol, in re6stnet's order. */
export const PROTOCOLS: readonly Protocol[] = ["udp", "udp6", "tcp", "tcp6"];

/** Whether `s` names a re6st OpenVPN protocol. */
export function isProtocol(s: string): s is Protocol {
  return (PROTOCOLS as readonly string[]).includes(s);
}

/** TAP MTU forced on UDP tunnels (see module comment); TCP tunnels keep OpenVPN's default. */
export const UDP_TUN_MTU: Readonly<Record<"udp" | "udp6", number>> = { udp: 1407, udp6: 1425 };

/** Name of the TAP interface of the server for `proto` (spec §10.1). */
export function serverInterface(proto: Protocol): string {
  return `re6stnet-${proto}`;
}

/** Name of the `n`-th client TAP interface, `n` ≥ 1 (spec §10.1). */
export function clientInterface(n: number): string {
  return `re6stnet${n}`;
}

/** IPv4 payload of this node (§5.5): address and netmask given to every OpenVPN. */
export interface Ipv4Payload {
  address: string;
  netmask: string;
}

/** Options shared by every OpenVPN process of a node (§12.1). */
export interface CommonOptions {
  /** TAP interface. */
  dev: string;
  ca: string;
  cert: string;
  key: string;
  /** Network parameter `encrypt`. */
  encrypt: boolean;
  /** Path of the hook that brings the TAP up with OpenVPN's MTU. */
  upHook: string;
  /** PATH given to hooks (`--setenv PATH`). */
  path: string;
  /** User's `-O` OpenVPN arguments. */
  extra?: readonly string[];
  /** IPv4 payload, when enabled. */
  ipv4?: Ipv4Payload;
  /** `--ovpnlog` directory: OpenVPN appends to `<dir>/<dev>.log`. */
  logDir?: string;
}

/** Server-only options (§12.2). */
export interface ServerOptions extends CommonOptions {
  proto: Protocol;
  port: number;
  dh: string;
  maxClients: number;
  /** Seconds without traffic before a client is dropped (`timeout`, §10.1). */
  timeout: number;
  /** Unix socket the daemon listens on for this server's management connection. */
  management: string;
}

/** A peer address to connect to. */
export interface Remote {
  ip: string;
  port: number;
  proto: Protocol;
}

/** Client-tunnel options (§12.2). */
export interface ClientOptions extends CommonOptions {
  remote: Remote;
  /** CN the server certificate must carry (the peer's prefix). */
  peerCn: string;
  timeout: number;
  /** Path of the hook reporting the established tunnel. */
  routeUpHook: string;
}

/** Options of the single-process `--client` mode (§12.2). */
export interface ClientModeOptions extends CommonOptions {
  remotes: readonly Remote[];
  timeout: number;
  routeUpHook: string;
}

const SERVER_PROTO: Record<Protocol, string> = {
  udp: "udp4",
  udp6: "udp6",
  tcp: "tcp-server",
  tcp6: "tcp6-server",
};

const CLIENT_PROTO: Record<Protocol, string> = {
  udp: "udp4",
  udp6: "udp6",
  tcp: "tcp-client",
  tcp6: "tcp6-client",
};

function mtuArgs(proto: Protocol): string[] {
  return proto === "udp" || proto === "udp6"
    ? ["--tun-mtu", String(UDP_TUN_MTU[proto]), "--mtu-disc", "yes"]
    : [];
}

function positiveInt(name: string, n: number, max = 0xffffffff): string {
  if (!Number.isInteger(n) || n < 1 || n > max) throw new RangeError(`bad ${name}: ${n}`);
  return String(n);
}

function common(o: CommonOptions, role: string[]): string[] {
  const args = [
    "--dev-type",
    "tap",
    "--dev",
    o.dev,
    "--persist-tun",
    "--persist-key",
    "--script-security",
    "2",
    "--up",
    o.upHook,
    "--setenv",
    "PATH",
    o.path,
    ...role,
    "--ca",
    o.ca,
    "--cert",
    o.cert,
    "--key",
    o.key,
    ...(o.extra ?? []),
  ];
  if (o.ipv4) args.push("--ifconfig", o.ipv4.address, o.ipv4.netmask);
  if (o.logDir !== undefined) args.push("--log-append", `${o.logDir}/${o.dev}.log`);
  if (!o.encrypt) args.push("--cipher", "none", "--data-ciphers", "none");
  return args;
}

/** Arguments of the OpenVPN server for one protocol. */
export function serverArgs(o: ServerOptions): string[] {
  return common(o, [
    "--tls-server",
    "--mode",
    "server",
    "--management",
    o.management,
    "unix",
    "--management-client",
    "--management-client-auth",
    // re6st clients send no username/password; without this the management
    // interface would make OpenVPN demand them.
    "--auth-user-pass-optional",
    "--dh",
    o.dh,
    "--max-clients",
    positiveInt("max clients", o.maxClients),
    "--port",
    positiveInt("port", o.port, 65535),
    "--proto",
    SERVER_PROTO[o.proto],
    "--ping-exit",
    positiveInt("timeout", o.timeout),
    ...mtuArgs(o.proto),
  ]);
}

/**
 * A peer's advertised endpoint as a `Remote`, or undefined if OpenVPN cannot use it (unknown
 * protocol, or an "IP" that is not an IP literal — peers' addresses are untrusted input).
 */
export function remoteFromEndpoint(e: Endpoint): Remote | undefined {
  const proto = canonicalProto(e.proto);
  if (!isProtocol(proto) || !isIpLiteral(e.ip)) return undefined;
  if (!Number.isInteger(e.port) || e.port < 1 || e.port > 65535) return undefined;
  return { ip: e.ip, port: e.port, proto };
}

function remoteArgs(r: Remote): string[] {
  // Never let a word that OpenVPN would read as an option (e.g. "--up") into the command line.
  if (!isIpLiteral(r.ip)) throw new RangeError(`not an IP address: ${JSON.stringify(r.ip)}`);
  if (!isProtocol(r.proto)) throw new RangeError(`unknown protocol: ${JSON.stringify(r.proto)}`);
  return ["--remote", r.ip, positiveInt("port", r.port, 65535), CLIENT_PROTO[r.proto]];
}

/** Arguments of one client tunnel to `peerCn` at one address. */
export function clientArgs(o: ClientOptions): string[] {
  if (!/^\d+\/\d+$/.test(o.peerCn)) {
    throw new RangeError(`not a node CN: ${JSON.stringify(o.peerCn)}`);
  }
  return common(o, [
    "--nobind",
    "--client",
    ...remoteArgs(o.remote),
    ...mtuArgs(o.remote.proto),
    "--verify-x509-name",
    o.peerCn,
    "name",
    "--resolv-retry",
    "0",
    "--connect-retry-max",
    "3",
    "--tls-exit",
    "--remap-usr1",
    "SIGTERM",
    "--ping-exit",
    positiveInt("timeout", o.timeout),
    "--route-up",
    o.routeUpHook,
  ]);
}

/** MTU class of a protocol: remotes of one `--client` process must share it. */
function mtuClass(proto: Protocol): string {
  return proto === "udp" || proto === "udp6" ? proto : "tcp";
}

/** Arguments of the single `--client` process: every address, restarting on silence. */
export function clientModeArgs(o: ClientModeOptions): string[] {
  const first = o.remotes[0];
  if (first === undefined) throw new RangeError("--client needs at least one address");
  const cls = mtuClass(first.proto);
  if (o.remotes.some((r) => mtuClass(r.proto) !== cls)) {
    throw new RangeError("--client addresses must share one MTU class (udp, udp6 or tcp)");
  }
  return common(o, [
    "--nobind",
    "--client",
    ...o.remotes.flatMap(remoteArgs),
    ...mtuArgs(first.proto),
    "--ping-restart",
    positiveInt("timeout", o.timeout),
    "--route-up",
    o.routeUpHook,
  ]);
}
