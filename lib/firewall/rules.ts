/**
 * The rule set a re6st node needs (spec §14.3, §11.1, §13.1, §10.10), as family-neutral rules
 * that `iptables.ts` and `nft.ts` render. Pure.
 *
 * Default policies (documented in docs/OPERATING.md):
 * - INPUT: policy DROP; every packet not accepted by a rule is REJECTed by the chain's last rules
 *   (TCP reset, else ICMP port unreachable) so that a closed port fails at once instead of
 *   timing out. The DROP policy is only a safety net.
 * - FORWARD: policy DROP, tail REJECT (administratively prohibited); transit between re6st
 *   interfaces is accepted first, before any connection-tracking check, because a node is a
 *   router and must never drop transit packets (babel may route the two directions of a flow
 *   differently, so conntrack must not judge them).
 * - OUTPUT: policy ACCEPT.
 */
import type { FirewallInput } from "./input.ts";

/** Address family a rule applies to. */
export type Family = 4 | 6 | "any";

/** ICMP / ICMPv6 message kinds the rules name (rendered per backend). */
export type IcmpKind =
  | "echo-request"
  | "echo-reply"
  | "destination-unreachable"
  | "packet-too-big"
  | "time-exceeded"
  | "parameter-problem"
  | "router-solicitation"
  | "router-advertisement"
  | "neighbour-solicitation"
  | "neighbour-advertisement"
  | "mld-query"
  | "mld-report"
  | "mld-done"
  | "mld2-report";

/** The kinds ICMP (IPv4) has as well; the others are ICMPv6 only. */
const ICMP4_KINDS: ReadonlySet<IcmpKind> = new Set([
  "echo-request",
  "echo-reply",
  "destination-unreachable",
  "time-exceeded",
  "parameter-problem",
]);

/**
 * A backend's name of ICMP `kind` in `family`: the kind's own name unless `icmp6Names` gives
 * another (ICMPv6 names differ between backends), or undefined for an ICMPv6-only kind in IPv4.
 */
export function icmpTypeName(
  kind: IcmpKind,
  family: 4 | 6,
  icmp6Names: Partial<Record<IcmpKind, string>>,
): string | undefined {
  if (family === 4) return ICMP4_KINDS.has(kind) ? kind : undefined;
  return icmp6Names[kind] ?? kind;
}

/** One family-neutral rule. Absent fields match anything. */
export interface Rule {
  chain: "input" | "forward";
  family: Family;
  /** Input interface (iptables pattern, `+` suffix = prefix match). */
  iif?: string;
  /** Output interface (same syntax). */
  oif?: string;
  saddr?: string;
  daddr?: string;
  proto?: "tcp" | "udp" | "icmp";
  sport?: number;
  dport?: number;
  /** ICMP kinds (with `proto: "icmp"`; ICMPv6 when `family` is 6). */
  icmp?: IcmpKind[];
  /** Require hop limit 255 (neighbour discovery). */
  hopLimit255?: boolean;
  ctstate?: ("established" | "related" | "invalid")[];
  action: "accept" | "drop" | "reject";
  /** For `reject`: ICMP port unreachable / TCP reset, or administratively prohibited. */
  rejectWith?: "port" | "admin";
  comment: string;
}

/** Default chain policies. */
export const POLICIES = { input: "drop", forward: "drop", output: "accept" } as const;

const LINK_LOCAL = "fe80::/10";
const BABEL_PORT = 6696;
const PEER_PORT = 326;
const SSDP_PORT = 1900;

/** Interfaces that carry re6st traffic: tunnels, `-i` LANs and the main interface unless `lo`. */
export function re6stInterfaces(input: FirewallInput): string[] {
  const all = [...input.tunnelInterfaces, ...input.lanInterfaces];
  if (input.mainInterface !== "lo") all.push(input.mainInterface);
  return [...new Set(all)];
}

/** Babel runs on the tunnels and the `-i` interfaces. */
function babelInterfaces(input: FirewallInput): string[] {
  return [...new Set([...input.tunnelInterfaces, ...input.lanInterfaces])];
}

function inputRules(input: FirewallInput): Rule[] {
  const r: Rule[] = [
    { chain: "input", family: "any", iif: "lo", action: "accept", comment: "loopback" },
    {
      chain: "input",
      family: "any",
      ctstate: ["established", "related"],
      action: "accept",
      comment: "replies",
    },
    { chain: "input", family: "any", ctstate: ["invalid"], action: "drop", comment: "invalid" },
    {
      chain: "input",
      family: 6,
      proto: "icmp",
      icmp: [
        "router-solicitation",
        "router-advertisement",
        "neighbour-solicitation",
        "neighbour-advertisement",
      ],
      hopLimit255: true,
      action: "accept",
      comment: "neighbour discovery",
    },
    {
      chain: "input",
      family: 6,
      saddr: LINK_LOCAL,
      proto: "icmp",
      icmp: ["mld-query", "mld-report", "mld-done", "mld2-report"],
      action: "accept",
      comment: "multicast listener discovery",
    },
    {
      chain: "input",
      family: 6,
      proto: "icmp",
      icmp: [
        "destination-unreachable",
        "packet-too-big",
        "time-exceeded",
        "parameter-problem",
        "echo-request",
        "echo-reply",
      ],
      action: "accept",
      comment: "required ICMPv6",
    },
    {
      chain: "input",
      family: 4,
      proto: "icmp",
      icmp: [
        "destination-unreachable",
        "time-exceeded",
        "parameter-problem",
        "echo-request",
        "echo-reply",
      ],
      action: "accept",
      comment: "required ICMP",
    },
    ...babelInterfaces(input).map((iif): Rule => ({
      chain: "input",
      family: 6,
      iif,
      saddr: LINK_LOCAL,
      proto: "udp",
      dport: BABEL_PORT,
      action: "accept",
      comment: "babel",
    })),
    {
      chain: "input",
      family: 6,
      saddr: input.network,
      daddr: input.network,
      proto: "udp",
      dport: PEER_PORT,
      action: "accept",
      comment: "re6st peer protocol",
    },
    ...input.servers.map((s): Rule => ({
      chain: "input",
      family: s.proto.endsWith("6") ? 6 : 4,
      proto: s.proto.startsWith("tcp") ? "tcp" : "udp",
      dport: s.port,
      action: "accept",
      comment: `openvpn server ${s.proto}`,
    })),
  ];
  if (input.upnpGateway !== undefined) {
    r.push({
      chain: "input",
      family: 4,
      saddr: input.upnpGateway,
      proto: "udp",
      sport: SSDP_PORT,
      action: "accept",
      comment: "UPnP IGD replies",
    });
  }
  r.push({
    chain: "input",
    family: 6,
    saddr: LINK_LOCAL,
    proto: "udp",
    sport: 547,
    dport: 546,
    action: "accept",
    comment: "DHCPv6 client",
  });
  for (const s of input.allow) {
    r.push({
      chain: "input",
      family: "any",
      proto: s.proto,
      dport: s.port,
      action: "accept",
      comment: `allowed ${s.port}/${s.proto}`,
    });
  }
  r.push(
    {
      chain: "input",
      family: "any",
      proto: "tcp",
      action: "reject",
      rejectWith: "port",
      comment: "closed (TCP reset)",
    },
    {
      chain: "input",
      family: "any",
      action: "reject",
      rejectWith: "port",
      comment: "closed (port unreachable)",
    },
  );
  return r;
}

function forwardRules(input: FirewallInput): Rule[] {
  const ifaces = re6stInterfaces(input);
  const r: Rule[] = [];
  for (const iif of ifaces) {
    for (const oif of ifaces) {
      r.push({
        chain: "forward",
        family: "any",
        iif,
        oif,
        action: "accept",
        comment: "re6st transit",
      });
    }
  }
  r.push({
    chain: "forward",
    family: 6,
    proto: "icmp",
    icmp: ["destination-unreachable", "packet-too-big", "time-exceeded", "parameter-problem"],
    action: "accept",
    comment: "ICMPv6 errors",
  }, {
    chain: "forward",
    family: "any",
    ctstate: ["established", "related"],
    action: "accept",
    comment: "replies",
  });
  if (input.gateway) {
    for (const iif of ifaces) {
      r.push({
        chain: "forward",
        family: 6,
        iif,
        saddr: input.network,
        action: "accept",
        comment: "gateway: re6st network out",
      });
    }
  }
  r.push({
    chain: "forward",
    family: "any",
    action: "reject",
    rejectWith: "admin",
    comment: "not re6st transit",
  });
  return r;
}

/** Every rule of the node's rule set, INPUT then FORWARD, in evaluation order. */
export function firewallRules(input: FirewallInput): Rule[] {
  return [...inputRules(input), ...forwardRules(input)];
}
