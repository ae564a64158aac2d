/**
 * What the firewall generators need to know about a node (`FirewallInput`) and its validation.
 * Everything is checked here so that the generators can print values verbatim.
 */
import { bitsToCidr, cidrToBits } from "../wire/prefix.ts";

/** OpenVPN server protocol as spelt by `--pp` (`udp4`/`tcp4` normalise to `udp`/`tcp`). */
export type OpenVpnProto = "udp" | "tcp" | "udp6" | "tcp6";

/** One OpenVPN server the node runs (`--pp PORT PROTO`). */
export interface ServerPort {
  port: number;
  proto: OpenVpnProto;
}

/** An extra local service to open on both families, e.g. `22/tcp` for SSH. */
export interface ServicePort {
  port: number;
  proto: "tcp" | "udp";
}

/** The node facts the rule set is derived from. */
export interface FirewallInput {
  /** OpenVPN servers (family from the protocol: `udp`/`tcp` IPv4, `udp6`/`tcp6` IPv6). */
  servers: ServerPort[];
  /** Tunnel interface patterns, iptables style (`re6stnet+` = every name starting so). */
  tunnelInterfaces: string[];
  /** LAN interfaces given to babeld with `-i`. */
  lanInterfaces: string[];
  /** Interface carrying the node's re6st address (`-I`, default `lo`). */
  mainInterface: string;
  /** The re6st network `N` as an IPv6 CIDR (normalised). */
  network: string;
  /** Address of the UPnP IGD (usually the IPv4 NAT gateway), whose SSDP replies come from UDP 1900. */
  upnpGateway?: string;
  /** The node exports its default route (`--gateway`): forward from the re6st network outwards. */
  gateway: boolean;
  /** Extra local services opened on every interface. */
  allow: ServicePort[];
}

const IFACE = /^[A-Za-z0-9_.:@-]{1,15}\+?$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** Parses a port number (1–65535) or throws. */
export function parsePort(text: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) < 1 || Number(text) > 65535) {
    throw new Error(`invalid port '${text}'`);
  }
  return Number(text);
}

/** Parses an OpenVPN protocol name (`udp`, `tcp`, `udp4`, `tcp4`, `udp6`, `tcp6`) or throws. */
export function parseOpenVpnProto(text: string): OpenVpnProto {
  const p = text === "udp4" ? "udp" : text === "tcp4" ? "tcp" : text;
  if (p !== "udp" && p !== "tcp" && p !== "udp6" && p !== "tcp6") {
    throw new Error(`invalid OpenVPN protocol '${text}' (udp, tcp, udp6 or tcp6)`);
  }
  return p;
}

/** Parses `PORT/PROTO` (`22/tcp`) or throws. */
export function parseServicePort(text: string): ServicePort {
  const m = /^(\d+)\/(tcp|udp)$/.exec(text);
  if (!m) throw new Error(`invalid service '${text}' (expected PORT/tcp or PORT/udp)`);
  return { port: parsePort(m[1]), proto: m[2] as "tcp" | "udp" };
}

/** Throws unless `name` is an interface name or an iptables-style `prefix+` pattern. */
export function checkInterface(name: string): string {
  if (!IFACE.test(name)) throw new Error(`invalid interface name '${name}'`);
  return name;
}

/** Whether `addr` is a dotted-quad IPv4 address. */
export function isIPv4(addr: string): boolean {
  return IPV4.test(addr);
}

/** Checks every field; returns a copy with the network normalised. Throws a clear error. */
export function validateInput(input: FirewallInput): FirewallInput {
  for (const s of input.servers) {
    parsePort(String(s.port));
    parseOpenVpnProto(s.proto);
  }
  for (const s of input.allow) parseServicePort(`${s.port}/${s.proto}`);
  input.tunnelInterfaces.forEach(checkInterface);
  input.lanInterfaces.forEach(checkInterface);
  checkInterface(input.mainInterface);
  if (input.mainInterface.endsWith("+")) {
    throw new Error(`main interface must be one interface, not a pattern`);
  }
  let network: string;
  try {
    network = bitsToCidr(cidrToBits(input.network));
  } catch (e) {
    throw new Error(`invalid network '${input.network}': ${(e as Error).message}`);
  }
  if (input.upnpGateway !== undefined && !isIPv4(input.upnpGateway)) {
    throw new Error(`invalid UPnP gateway '${input.upnpGateway}' (an IPv4 address)`);
  }
  return { ...input, network };
}
