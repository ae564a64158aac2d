/**
 * Renders the rule set as `iptables-restore` (IPv4) or `ip6tables-restore` (IPv6) input: the
 * whole `filter` table, which the restore tool replaces atomically. Pure.
 */
import type { FirewallInput } from "./input.ts";
import { firewallRules, type IcmpKind, icmpTypeName, POLICIES, type Rule } from "./rules.ts";

/** ip6tables' ICMPv6 names that differ from the kind's own (numeric for MLD: it has none). */
const ICMP6_NAMES: Partial<Record<IcmpKind, string>> = {
  "mld-query": "130",
  "mld-report": "131",
  "mld-done": "132",
  "mld2-report": "143",
};

function isFamily(addr: string, family: 4 | 6): boolean {
  return addr.includes(":") === (family === 6);
}

/** Whether `rule` belongs in the `family` table. */
function applies(rule: Rule, family: 4 | 6): boolean {
  if (rule.family !== "any" && rule.family !== family) return false;
  return [rule.saddr, rule.daddr].every((a) => a === undefined || isFamily(a, family));
}

function reject(rule: Rule, family: 4 | 6): string {
  if (rule.rejectWith === "port" && rule.proto === "tcp") return "REJECT --reject-with tcp-reset";
  if (family === 4) {
    return `REJECT --reject-with ${
      rule.rejectWith === "admin" ? "icmp-admin-prohibited" : "icmp-port-unreachable"
    }`;
  }
  return `REJECT --reject-with ${
    rule.rejectWith === "admin" ? "icmp6-adm-prohibited" : "icmp6-port-unreachable"
  }`;
}

/** The `-A` lines of one rule (one per ICMP kind, iptables having no sets). */
function ruleLines(rule: Rule, family: 4 | 6): string[] {
  const m: string[] = [`-A ${rule.chain.toUpperCase()}`];
  if (rule.iif) m.push(`-i ${rule.iif}`);
  if (rule.oif) m.push(`-o ${rule.oif}`);
  if (rule.saddr) m.push(`-s ${rule.saddr}`);
  if (rule.daddr) m.push(`-d ${rule.daddr}`);
  if (rule.proto === "icmp") m.push(family === 4 ? "-p icmp" : "-p ipv6-icmp");
  else if (rule.proto) m.push(`-p ${rule.proto} -m ${rule.proto}`);
  if (rule.sport !== undefined) m.push(`--sport ${rule.sport}`);
  if (rule.dport !== undefined) m.push(`--dport ${rule.dport}`);
  if (rule.hopLimit255) m.push("-m hl --hl-eq 255");
  if (rule.ctstate) m.push(`-m conntrack --ctstate ${rule.ctstate.join(",").toUpperCase()}`);
  const comment = `-m comment --comment "re6st: ${rule.comment}"`;
  const target = rule.action === "reject" ? reject(rule, family) : rule.action.toUpperCase();
  const kinds = rule.icmp?.map((k) => icmpTypeName(k, family, ICMP6_NAMES)).filter((k) => k) ??
    [];
  if (rule.icmp) {
    const opt = family === 4 ? "--icmp-type" : "--icmpv6-type";
    return kinds.map((k) =>
      [...m, `-m ${family === 4 ? "icmp" : "icmp6"} ${opt} ${k}`, comment, `-j ${target}`].join(" ")
    );
  }
  return [[...m, comment, `-j ${target}`].join(" ")];
}

/** `iptables-restore` (family 4) or `ip6tables-restore` (family 6) text for the filter table. */
export function renderIptables(input: FirewallInput, family: 4 | 6): string {
  const tool = family === 4 ? "iptables" : "ip6tables";
  const lines = [
    `# re6st node firewall (${tool}-restore); replaces the whole filter table atomically`,
    "*filter",
    `:INPUT ${POLICIES.input.toUpperCase()} [0:0]`,
    `:FORWARD ${POLICIES.forward.toUpperCase()} [0:0]`,
    `:OUTPUT ${POLICIES.output.toUpperCase()} [0:0]`,
  ];
  for (const rule of firewallRules(input)) {
    if (applies(rule, family)) lines.push(...ruleLines(rule, family));
  }
  lines.push("COMMIT", "");
  return lines.join("\n");
}
