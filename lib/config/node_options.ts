/**
 * Options of the node daemon (`re6st node`, re6stnet's `re6stnet`; spec §2.1), with the derived
 * rules that depend on options only: disabled protocols, default server ports, `--pp`
 * conflicts and `--ip` consistency. Option names are re6stnet's, so its config files work.
 */
import { canonicalProto } from "../wire/address.ts";
import {
  checkCn,
  checkCountry,
  checkIP,
  checkIPv4,
  checkPort,
  isIPv4,
  problemOf,
} from "./checks.ts";
import { parseExpression } from "../node/test_expr/parse.ts";
import { registryUrlOption, VERSION_OPTION } from "./common_options.ts";
import { ConfigError } from "./error.ts";
import type { OptionSpec, Schema, Values } from "./schema.ts";

/** Tunnel protocols of OpenVPN servers and clients. */
export type TunnelProto = "udp" | "tcp" | "udp6" | "tcp6";

/** Every tunnel protocol, in re6stnet's order. */
export const TUNNEL_PROTOS: readonly TunnelProto[] = ["udp", "tcp", "udp6", "tcp6"];

/** A port and protocol of one of our OpenVPN servers (`--pp`). */
export interface ServerPort {
  port: number;
  proto: TunnelProto;
}

/** A remote of `--client` mode. */
export interface ClientRemote {
  host: string;
  port: number;
  proto: TunnelProto;
}

/** Typed options of the node daemon. Fields are re6stnet's option names in camelCase. */
export interface NodeOptions {
  registry: string;
  ca: string;
  cert: string;
  key: string;
  /** DH parameters file; absent ⇒ fetched from the registry into `<state>/dh.pem`. */
  dh?: string;
  /** `--ip` values as given: IPv4/IPv6 addresses, `upnp`, `any`. */
  ip: string[];
  log: string;
  run: string;
  state: string;
  verbose: number;
  /** `-i`: extra interfaces handed to babeld. */
  interfaces: string[];
  mainInterface: string;
  multicast: boolean;
  up?: string;
  /** `--daemon` commands. */
  daemons: string[];
  test?: string;
  console?: string;
  /** `--country`, upper-cased. */
  country?: string;
  /** `-B`: raw babeld arguments. */
  babeldArgs: string[];
  /** `-O`: raw OpenVPN arguments. */
  openvpnArgs: string[];
  gateway: boolean;
  ovpnlog: boolean;
  /** Server ports by preference; one server per protocol, on its first port. */
  pp: ServerPort[];
  /** `--client-count` if given (else the network config decides). */
  clientCount?: number;
  /** `--max-clients` if given (else the network config decides). */
  maxClients?: number;
  remoteGateways: string[];
  /** Protocols never used for tunnels (`none` ⇒ empty). */
  disabledProtos: TunnelProto[];
  /** `--client` remotes (single OpenVPN client mode). */
  client?: ClientRemote[];
  /** `--neighbour` peers, in CN form. */
  neighbours: string[];
}

const PROTO_CHOICES = ["none", ...TUNNEL_PROTOS];

function checkTunnelProto(proto: string): string | undefined {
  const p = canonicalProto(proto);
  return (TUNNEL_PROTOS as readonly string[]).includes(p)
    ? undefined
    : `invalid protocol '${proto}'`;
}

function checkNodeIp([ip]: readonly string[]): string | undefined {
  return ip === "upnp" || ip === "any" ? undefined : checkIP([ip]);
}

/** MTU class of a tunnel protocol: one `--client` OpenVPN can only use remotes of one class. */
function mtuClass(proto: TunnelProto): string {
  return proto === "tcp6" ? "tcp" : proto;
}

/**
 * Parses `HOST,PORT,PROTO[;...]`; throws an Error with a short reason. Every remote must share
 * one MTU class (udp, udp6, or tcp/tcp6): re6stnet crashes on a mix (spec §17.3), we refuse it.
 */
export function parseClientRemotes(text: string): ClientRemote[] {
  const remotes = text.split(";").map((item) => {
    const fields = item.split(",");
    if (fields.length !== 3 || fields[0] === "") {
      throw new Error(`remote '${item}' is not HOST,PORT,PROTO`);
    }
    const [host, port, proto] = fields;
    const problem = checkPort(port) ?? checkTunnelProto(proto);
    if (problem) throw new Error(problem);
    return { host, port: Number(port), proto: canonicalProto(proto) as TunnelProto };
  });
  const classes = new Set(remotes.map((r) => mtuClass(r.proto)));
  if (classes.size > 1) {
    throw new Error(
      `remotes mix MTU classes (${[...classes].join(", ")}): one OpenVPN client needs all ` +
        "udp, all udp6, or all tcp/tcp6",
    );
  }
  return remotes;
}

const options: OptionSpec[] = [
  VERSION_OPTION,
  registryUrlOption("HTTP(S) URL of the registry"),
  { name: "ca", kind: "string", metavar: "PATH", required: true, help: "CA certificate (PEM)" },
  { name: "cert", kind: "string", metavar: "PATH", required: true, help: "node certificate" },
  { name: "key", kind: "string", metavar: "PATH", required: true, help: "node private key" },
  {
    name: "dh",
    kind: "string",
    metavar: "PATH",
    help: "DH parameters for OpenVPN servers (default: fetched from the registry)",
  },
  {
    name: "ip",
    kind: "list",
    metavar: "ADDR",
    check: checkNodeIp,
    help: "address advertised to peers; IPv4 specials: upnp, any",
  },
  {
    name: "log",
    short: "l",
    kind: "string",
    metavar: "DIR",
    default: "/var/log/re6stnet",
    help: "log directory",
  },
  {
    name: "run",
    short: "r",
    kind: "string",
    metavar: "DIR",
    default: "/var/run/re6stnet",
    help: "runtime directory",
  },
  {
    name: "state",
    short: "s",
    kind: "string",
    metavar: "DIR",
    default: "/var/lib/re6stnet",
    help: "state directory (cache.db, babeld.state, dh.pem)",
  },
  {
    name: "verbose",
    short: "v",
    kind: "int",
    default: 2,
    min: 0,
    help: "log level: 0 none, 1 warning, 2 info, 3 debug, 4 trace",
  },
  {
    name: "interface",
    short: "i",
    kind: "list",
    metavar: "IF",
    help: "extra interface for babeld (LAN discovery of other nodes)",
  },
  {
    name: "main-interface",
    short: "I",
    kind: "string",
    metavar: "IF",
    default: "lo",
    help: "interface that receives our re6st address",
  },
  { name: "multicast", short: "m", kind: "flag", help: "run pim-dm multicast routing" },
  { name: "up", kind: "string", metavar: "CMD", help: "shell command run once after start-up" },
  {
    name: "daemon",
    kind: "list",
    metavar: "CMD",
    help: "background shell command, killed at exit",
  },
  {
    name: "test",
    kind: "string",
    metavar: "EXPR",
    check: ([text]) => problemOf(() => parseExpression(text)),
    help: "evaluate EXPR (Python subset) over the options and exit with its value",
  },
  { name: "console", kind: "string", metavar: "SOCK", help: "UNIX socket of a debug console" },
  {
    name: "country",
    kind: "string",
    metavar: "CC",
    check: checkCountry,
    help: "country advertised in our addresses",
  },
  { name: "B", short: "B", kind: "list", metavar: "ARG", help: "extra babeld argument" },
  { name: "default", short: "D", kind: "flag", help: "obsolete, ignored" },
  {
    name: "table",
    kind: "int",
    min: 0,
    max: 0,
    help: "obsolete, ignored (only 0 is accepted)",
  },
  { name: "gateway", kind: "flag", help: "export our default route into the network" },
  { name: "O", short: "O", kind: "list", metavar: "ARG", help: "extra OpenVPN argument" },
  { name: "ovpnlog", kind: "flag", help: "each OpenVPN logs to <log>/<iface>.log" },
  {
    name: "pp",
    kind: "pairs",
    metavar: "PORT PROTO",
    check: ([port, proto]) => checkPort(port) ?? checkTunnelProto(proto),
    help: "port and protocol of an OpenVPN server, by preference (default: 1194 udp, 1194 tcp " +
      "minus disabled protocols)",
  },
  {
    name: "client-count",
    kind: "int",
    min: 0,
    help: "number of client tunnels (default: from the registry)",
  },
  {
    name: "max-clients",
    kind: "int",
    min: 0,
    help: "max clients per OpenVPN server; 0 disables servers (default: from the registry)",
  },
  {
    name: "remote-gateway",
    kind: "list",
    metavar: "IP",
    check: checkIPv4,
    help: "reach client tunnel endpoints through these gateways, round-robin",
  },
  {
    name: "disable-proto",
    kind: "list",
    metavar: "PROTO",
    choices: PROTO_CHOICES,
    help: "never use this tunnel protocol; 'none' enables all (default: udp, udp6)",
  },
  {
    name: "client",
    kind: "string",
    metavar: "HOST,PORT,PROTO[;...]",
    check: ([text]) => problemOf(() => parseClientRemotes(text)),
    help: "single OpenVPN client with these remotes; no servers, no tunnel manager",
  },
  {
    name: "neighbour",
    kind: "list",
    metavar: "CN",
    check: checkCn,
    help: "peer to reach preferably by a direct tunnel",
  },
];

function disabledProtos(values: Values): TunnelProto[] {
  const given = values.list("disable-proto");
  if (given.length === 0) return ["udp", "udp6"];
  if (given.includes("none")) return [];
  return TUNNEL_PROTOS.filter((p) => given.includes(p));
}

function serverPorts(values: Values, disabled: readonly TunnelProto[]): ServerPort[] {
  const occurrences = values.occurrences("pp");
  if (occurrences.length === 0) {
    return (["udp", "tcp"] as const)
      .filter((p) => !disabled.includes(p))
      .map((proto) => ({ port: 1194, proto }));
  }
  return occurrences.map(({ values: [port, rawProto], origin }) => {
    const proto = canonicalProto(rawProto) as TunnelProto;
    if (disabled.includes(proto)) {
      throw ConfigError.at(
        origin,
        `--pp ${port} ${rawProto} conflicts with disabled protocol '${proto}' ` +
          `(see --disable-proto)`,
      );
    }
    return { port: Number(port), proto };
  });
}

function checkIpConsistency(values: Values): void {
  const v4 = values.list("ip").filter((ip) => ip === "upnp" || ip === "any" || isIPv4(ip));
  if (v4.length > 1 && v4.some((ip) => ip === "upnp" || ip === "any")) {
    throw ConfigError.at(
      values.origin("ip"),
      `--ip ${v4.join(", ")}: 'upnp' and 'any' exclude any other IPv4 --ip`,
    );
  }
}

/** Command-line interface of the node daemon. */
export const nodeSchema: Schema<NodeOptions> = {
  prog: "re6st node",
  description: "re6st node daemon: joins the overlay network, builds tunnels, runs babeld.",
  options,
  build(values) {
    const disabled = disabledProtos(values);
    checkIpConsistency(values);
    const client = values.string("client");
    return {
      registry: values.string("registry")!,
      ca: values.string("ca")!,
      cert: values.string("cert")!,
      key: values.string("key")!,
      dh: values.string("dh"),
      ip: values.list("ip"),
      log: values.string("log")!,
      run: values.string("run")!,
      state: values.string("state")!,
      verbose: values.int("verbose")!,
      interfaces: values.list("interface"),
      mainInterface: values.string("main-interface")!,
      multicast: values.flag("multicast"),
      up: values.string("up"),
      daemons: values.list("daemon"),
      test: values.string("test"),
      console: values.string("console"),
      country: values.string("country")?.toUpperCase(),
      babeldArgs: values.list("B"),
      openvpnArgs: values.list("O"),
      gateway: values.flag("gateway"),
      ovpnlog: values.flag("ovpnlog"),
      pp: serverPorts(values, disabled),
      clientCount: values.int("client-count"),
      maxClients: values.int("max-clients"),
      remoteGateways: values.list("remote-gateway"),
      disabledProtos: disabled,
      client: client === undefined ? undefined : parseClientRemotes(client),
      neighbours: values.list("neighbour"),
    };
  },
};
