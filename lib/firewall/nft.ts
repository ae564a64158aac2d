/**
 * Renders the rule set for nftables as one `nft -f` file: an `inet re6st` table (both families)
 * that replaces any previous one in a single transaction. Pure.
 */
import type { FirewallInput } from "./input.ts";
import { firewallRules, type IcmpKind, icmpTypeName, POLICIES, type Rule } from "./rules.ts";

/** The nft table that holds the rules. */
export const NFT_TABLE = "inet re6st";

/** nft's ICMPv6 names that differ from the kind's own. */
const ICMP6_NAMES: Partial<Record<IcmpKind, string>> = {
  "router-solicitation": "nd-router-solicit",
  "router-advertisement": "nd-router-advert",
  "neighbour-solicitation": "nd-neighbor-solicit",
  "neighbour-advertisement": "nd-neighbor-advert",
  "mld-query": "mld-listener-query",
  "mld-report": "mld-listener-report",
  "mld-done": "mld-listener-done",
  "mld2-report": "mld2-listener-report",
};

/** `re6stnet+` → `"re6stnet*"` (nft wildcard), else the quoted name. */
function ifname(pattern: string): string {
  return `"${pattern.endsWith("+") ? pattern.slice(0, -1) + "*" : pattern}"`;
}

function addr(a: string): string {
  return a.includes(":") ? "ip6" : "ip";
}

function statement(rule: Rule): string {
  const m: string[] = [];
  const family = rule.family;
  const hasAddr = rule.saddr !== undefined || rule.daddr !== undefined;
  if (family !== "any" && !hasAddr && rule.proto !== "icmp") {
    m.push(`meta nfproto ${family === 4 ? "ipv4" : "ipv6"}`);
  }
  if (rule.iif) m.push(`iifname ${ifname(rule.iif)}`);
  if (rule.oif) m.push(`oifname ${ifname(rule.oif)}`);
  if (rule.saddr) m.push(`${addr(rule.saddr)} saddr ${rule.saddr}`);
  if (rule.daddr) m.push(`${addr(rule.daddr)} daddr ${rule.daddr}`);
  if (rule.proto === "icmp") {
    const v6 = family === 6;
    const names = rule.icmp!.map((k) => icmpTypeName(k, v6 ? 6 : 4, ICMP6_NAMES)).filter((k) => k);
    m.push(`${v6 ? "icmpv6" : "icmp"} type { ${names.join(", ")} }`);
  } else if (rule.proto) {
    if (rule.sport === undefined && rule.dport === undefined) m.push(`meta l4proto ${rule.proto}`);
    if (rule.sport !== undefined) m.push(`${rule.proto} sport ${rule.sport}`);
    if (rule.dport !== undefined) m.push(`${rule.proto} dport ${rule.dport}`);
  }
  if (rule.hopLimit255) m.push("ip6 hoplimit 255");
  if (rule.ctstate) m.push(`ct state ${rule.ctstate.join(",")}`);
  if (rule.action === "reject") {
    if (rule.rejectWith === "port" && rule.proto === "tcp") m.push("reject with tcp reset");
    else {
      m.push(
        `reject with icmpx type ${
          rule.rejectWith === "admin" ? "admin-prohibited" : "port-unreachable"
        }`,
      );
    }
  } else m.push(rule.action);
  m.push(`comment "re6st: ${rule.comment}"`);
  return m.join(" ");
}

/** The `nft -f` text: create-then-delete makes the replacement work whether or not it exists. */
export function renderNft(input: FirewallInput): string {
  const rules = firewallRules(input);
  const chain = (name: "input" | "forward" | "output") => [
    `\tchain ${name} {`,
    `\t\ttype filter hook ${name} priority filter; policy ${POLICIES[name]};`,
    ...rules.filter((r) => r.chain === name).map((r) => `\t\t${statement(r)}`),
    "\t}",
  ];
  return [
    "# re6st node firewall (nft -f); replaces table inet re6st in one transaction",
    `table ${NFT_TABLE}`,
    `delete table ${NFT_TABLE}`,
    `table ${NFT_TABLE} {`,
    ...chain("input"),
    ...chain("forward"),
    ...chain("output"),
    "}",
    "",
  ].join("\n");
}
