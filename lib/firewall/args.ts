/**
 * Command line of `re6st firewall` → a validated `FirewallInput` plus what to do with it. Pure.
 */
import {
  checkInterface,
  type FirewallInput,
  parseOpenVpnProto,
  parsePort,
  parseServicePort,
  validateInput,
} from "./input.ts";

/** Output formats: one restore file, the nft file, or all three (printing only). */
export type FirewallFormat = "iptables" | "ip6tables" | "nft" | "all";

/** Parsed command line. */
export interface FirewallCommand {
  input: FirewallInput;
  format: FirewallFormat;
  apply: boolean;
  /** Apply even when it would cut the SSH connection we run in. */
  force: boolean;
  help: boolean;
}

/** `--help` text. */
export const FIREWALL_USAGE = `usage: re6st firewall [options]

Prints the packet filter rules a re6st node needs, or applies them with --apply.

  --network CIDR        the re6st network (IPv6 prefix N), required
  --pp PORT PROTO       an OpenVPN server (udp, tcp, udp6, tcp6); repeatable;
                        default 1194 tcp
  -i IFACE              a LAN interface given to babeld; repeatable
  -I, --main-interface IFACE
                        interface with the node's re6st address (default lo)
  --upnp-gateway IP     accept UPnP (SSDP) replies from this IPv4 gateway
  --gateway             the node exports its default route: forward re6st traffic out
  --allow PORT/PROTO    also open a local service (e.g. 22/tcp); repeatable
  --format F            iptables | ip6tables | nft | all (default all; with --apply:
                        iptables = both iptables and ip6tables, default)
  --apply               load the rules (iptables-restore + ip6tables-restore, or nft -f);
                        each table is replaced all-or-nothing
  --force               apply even if it would close the SSH port we are connected through

Policies: INPUT drop (closed ports rejected at once: TCP reset / ICMP port unreachable),
FORWARD drop except transit between re6st interfaces, OUTPUT accept.`;

const FORMATS = ["iptables", "ip6tables", "nft", "all"];

/** Parses the arguments; throws an Error with a clear message on bad input. */
export function parseFirewallArgs(args: string[]): FirewallCommand {
  const input: FirewallInput = {
    servers: [],
    tunnelInterfaces: ["re6stnet+"],
    lanInterfaces: [],
    mainInterface: "lo",
    network: "",
    gateway: false,
    allow: [],
  };
  let format: FirewallFormat | undefined;
  const cmd = { apply: false, force: false, help: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const value = () => {
      const v = args[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    switch (a) {
      case "--pp": {
        const port = parsePort(value());
        input.servers.push({ port, proto: parseOpenVpnProto(value()) });
        break;
      }
      case "-i":
      case "--interface":
        input.lanInterfaces.push(checkInterface(value()));
        break;
      case "-I":
      case "--main-interface":
        input.mainInterface = checkInterface(value());
        break;
      case "--network":
        input.network = value();
        break;
      case "--upnp-gateway":
        input.upnpGateway = value();
        break;
      case "--gateway":
        input.gateway = true;
        break;
      case "--allow":
        input.allow.push(parseServicePort(value()));
        break;
      case "--format": {
        const f = value();
        if (!FORMATS.includes(f)) throw new Error(`--format must be one of ${FORMATS.join(", ")}`);
        format = f as FirewallFormat;
        break;
      }
      case "--apply":
        cmd.apply = true;
        break;
      case "--force":
        cmd.force = true;
        break;
      case "-h":
      case "--help":
        cmd.help = true;
        break;
      default:
        throw new Error(`unknown argument '${a}'`);
    }
  }
  if (cmd.help) return { input, format: format ?? "all", ...cmd };
  if (input.network === "") throw new Error("--network CIDR is required");
  if (input.servers.length === 0) input.servers.push({ port: 1194, proto: "tcp" });
  if (cmd.apply && format === "ip6tables") {
    throw new Error("--apply --format ip6tables: use --format iptables (applies both families)");
  }
  return {
    input: validateInput(input),
    format: format ?? (cmd.apply ? "iptables" : "all"),
    ...cmd,
  };
}

/**
 * If we run inside an SSH session (`SSH_CONNECTION` = "client port server port") whose server
 * port the rules would close, the message explaining it; otherwise undefined.
 */
export function sshLockout(
  input: FirewallInput,
  sshConnection: string | undefined,
): string | undefined {
  const port = Number(sshConnection?.trim().split(/\s+/)[3]);
  if (!Number.isInteger(port) || port < 1) return undefined;
  if (input.allow.some((s) => s.proto === "tcp" && s.port === port)) return undefined;
  if (input.servers.some((s) => s.proto.startsWith("tcp") && s.port === port)) return undefined;
  return `this SSH session uses TCP port ${port}, which these rules would close: ` +
    `add --allow ${port}/tcp (or --force)`;
}
