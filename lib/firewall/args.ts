/**
 * Command line of `re6st firewall` → a validated `FirewallInput` plus what to do with it.
 *
 * Two ways to describe the node: its own options (any `@file` argument, e.g.
 * `@re6stnet.conf` run from /etc/re6stnet, parsed with the node's option schema; the network
 * comes from the CA certificate), or explicit flags (`--network`, `--pp`, `-i`, `-I`,
 * `--gateway`). Firewall options (`--format`, `--apply`, `--force`, `--allow`,
 * `--upnp-gateway`, `--network`) work with both.
 */
import { parseArgs as parseNodeArgs } from "../config/cli.ts";
import { type FileReader, readFromDisk } from "../config/expand.ts";
import { nodeSchema } from "../config/node_options.ts";
import { parseCa } from "../pki/ca.ts";
import { bitsToCidr } from "../wire/prefix.ts";
import {
  checkInterface,
  type FirewallInput,
  parseOpenVpnProto,
  parsePort,
  parseServicePort,
  validateInput,
} from "./input.ts";
import { inputFromNode } from "./node_config.ts";

/** Output formats: one restore file, the nft file, or all three (printing only). */
export type FirewallFormat = "iptables" | "ip6tables" | "nft" | "all";

/** Parsed command line: `--help`, or the rules to print or apply. */
export type FirewallCommand = { help: true } | {
  help: false;
  input: FirewallInput;
  format: FirewallFormat;
  apply: boolean;
  /** Apply even when it would cut the SSH connection we run in. */
  force: boolean;
};

/** `--help` text. */
export const FIREWALL_USAGE = `usage: re6st firewall [options] @re6stnet.conf [node options]
       re6st firewall [options] --network CIDR [--pp PORT PROTO]... [-i IFACE]... [-I IFACE]
                      [--gateway]

Prints the packet filter rules a re6st node needs, or applies them with --apply.
The node is described by its own configuration (run from /etc/re6stnet; the network comes
from its CA certificate) or by these flags:

  --network CIDR        the re6st network (IPv6 prefix N); overrides the CA's
  --pp PORT PROTO       an OpenVPN server (udp, tcp, udp6, tcp6); repeatable;
                        default 1194 tcp
  -i IFACE              a LAN interface given to babeld; repeatable
  -I, --main-interface IFACE
                        interface with the node's re6st address (default lo)
  --gateway             the node exports its default route: forward re6st traffic out

Options:
  --upnp-gateway IP     accept UPnP (SSDP) replies from this IPv4 gateway
  --allow PORT/PROTO    also open a local service (e.g. 22/tcp); repeatable
  --format F            iptables | ip6tables | nft | all (default all; with --apply:
                        iptables = both iptables and ip6tables, default)
  --apply               load the rules (iptables-restore + ip6tables-restore, or nft -f);
                        each table is replaced all-or-nothing
  --force               apply even if it would close the SSH port we are connected through

Policies: INPUT drop (closed ports rejected at once: TCP reset / ICMP port unreachable),
FORWARD drop except transit between re6st interfaces, OUTPUT accept.`;

const FORMATS = ["iptables", "ip6tables", "nft", "all"];

/** Options of the firewall itself, and the arguments left to describe the node. */
interface Split {
  format?: FirewallFormat;
  apply: boolean;
  force: boolean;
  help: boolean;
  allow: FirewallInput["allow"];
  upnpGateway?: string;
  network?: string;
  rest: string[];
}

/**
 * Calls `take` on each argument in turn; its `value()` consumes the argument after it (an error
 * when there is none).
 */
function eachArg(args: string[], take: (arg: string, value: () => string) => void): void {
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    take(a, () => {
      const v = args[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    });
  }
}

function splitArgs(args: string[]): Split {
  const s: Split = { apply: false, force: false, help: false, allow: [], rest: [] };
  eachArg(args, (a, value) => {
    switch (a) {
      case "--format": {
        const f = value();
        if (!FORMATS.includes(f)) throw new Error(`--format must be one of ${FORMATS.join(", ")}`);
        s.format = f as FirewallFormat;
        break;
      }
      case "--apply":
        s.apply = true;
        break;
      case "--force":
        s.force = true;
        break;
      case "-h":
      case "--help":
        s.help = true;
        break;
      case "--allow":
        s.allow.push(parseServicePort(value()));
        break;
      case "--upnp-gateway":
        s.upnpGateway = value();
        break;
      case "--network":
        s.network = value();
        break;
      default:
        s.rest.push(a);
    }
  });
  return s;
}

/** The node described by explicit flags. */
function inputFromFlags(s: Split): FirewallInput {
  const input: FirewallInput = {
    servers: [],
    tunnelInterfaces: ["re6stnet+"],
    lanInterfaces: [],
    mainInterface: "lo",
    network: s.network ?? "",
    upnpGateway: s.upnpGateway,
    gateway: false,
    allow: s.allow,
  };
  eachArg(s.rest, (a, value) => {
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
      case "--gateway":
        input.gateway = true;
        break;
      default:
        throw new Error(`unknown argument '${a}'`);
    }
  });
  if (input.network === "") {
    throw new Error("--network CIDR (or the node's @re6stnet.conf) is required");
  }
  if (input.servers.length === 0) input.servers.push({ port: 1194, proto: "tcp" });
  return input;
}

/** How the node's files are read (tests inject their own). */
export interface ConfigFiles {
  /** Reads `@file` includes. */
  read: FileReader;
  /** Reads the CA certificate named by `--ca`. */
  readText: (path: string) => string;
}

/** The node described by its own options; the network comes from its CA unless given. */
function inputFromNodeOptions(s: Split, files: ConfigFiles): FirewallInput {
  const parsed = parseNodeArgs(nodeSchema, s.rest, files.read);
  if (!parsed.ok) throw new Error(`node options: ${parsed.stderr ?? parsed.stdout ?? "invalid"}`);
  let network = s.network;
  if (network === undefined) {
    const path = parsed.options.ca;
    let pem: string;
    try {
      pem = files.readText(path);
    } catch (e) {
      throw new Error(`cannot read the CA certificate '${path}': ${(e as Error).message}`);
    }
    try {
      network = bitsToCidr(parseCa(pem).network);
    } catch (e) {
      throw new Error(`the CA certificate '${path}' gives no network: ${(e as Error).message}`);
    }
  }
  return inputFromNode(parsed.options, network, { upnpGateway: s.upnpGateway, allow: s.allow });
}

/** Parses the arguments; throws an Error with a clear message on bad input. */
export function parseFirewallArgs(
  args: string[],
  files: ConfigFiles = { read: readFromDisk, readText: Deno.readTextFileSync },
): FirewallCommand {
  const s = splitArgs(args);
  if (s.help) return { help: true };
  const fromNode = s.rest.some((a) => a.startsWith("@"));
  const input = fromNode ? inputFromNodeOptions(s, files) : inputFromFlags(s);
  if (s.apply && s.format === "ip6tables") {
    throw new Error("--apply --format ip6tables: use --format iptables (applies both families)");
  }
  return {
    help: false,
    input: validateInput(input),
    format: s.format ?? (s.apply ? "iptables" : "all"),
    apply: s.apply,
    force: s.force,
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
