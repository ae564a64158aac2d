/**
 * Options of the registry (`re6st registry`, re6stnet's `re6st-registry`; spec §2.2). Option
 * names are re6stnet's, so its config files work unchanged.
 * Beyond re6stnet: `-V/--version`, `--metrics-origin`, `--public-url`, `--artifacts`, `--geoip`.
 */
import { PROTOCOL } from "../version.ts";
import { checkCountry, checkIP, isIPv4, isIPv6, problemOf } from "./checks.ts";
import { VERSION_OPTION } from "./common_options.ts";
import { ConfigError } from "./error.ts";
import type { OptionSpec, Schema, Values } from "./schema.ts";

/** Where token mails go: an SMTP server, or an mbox file to append to (debugging). */
export type Mailhost =
  | { kind: "smtp"; host: string; port: number }
  | { kind: "mbox"; path: string };

/** IPv4 payload (`--ipv4 NET/M PLEN`): network normalised to `a.b.c.d/M`, per-node bits. */
export interface Ipv4Payload {
  network: string;
  sublen: number;
}

/** Typed options of the registry. Fields are re6stnet's option names in camelCase. */
export interface RegistryOptions {
  port: number;
  /** `-4`: IPv4 bind address; undefined ⇒ no IPv4 listener (given as ''). */
  ipv4Bind?: string;
  /** `-6`: IPv6 bind address; undefined ⇒ no IPv6 listener (given as ''). */
  ipv6Bind?: string;
  db: string;
  dh: string;
  ca: string;
  key: string;
  /** Unset ⇒ e-mail registration disabled. */
  mailhost?: Mailhost;
  smtpUser?: string;
  smtpPwd?: string;
  smtpStarttls: boolean;
  /** Prefix length of e-mail registrations; 0 disables them. */
  prefixLength: number;
  /** Prefix length of anonymous registrations; 0 disables them. */
  anonymousPrefixLength: number;
  ipv4?: Ipv4Payload;
  logfile: string;
  run: string;
  verbose: number;
  minProtocol: number;
  /** Client IPs allowed to call private methods: 127.0.0.1, ::1, then every `--authorized-origin`. */
  authorizedOrigins: string[];
  community?: string;
  /** Seconds after expiry before certificates and tokens are purged. */
  gracePeriod: number;
  hello: number;
  encrypt: boolean;
  clientCount: number;
  maxClients: number;
  tunnelRefresh: number;
  sameCountry: string[];
  /** `--geoip`: GeoIP2/GeoLite2 Country database; overrides the `GEOIP2_MMDB` environment. */
  geoip?: string;
  /** Client IPs allowed to read `/metrics`: the authorised origins plus `--metrics-origin`. */
  metricsOrigins: string[];
  /** URL nodes reach the registry at (filled into `install.sh`); unset ⇒ from the Host header. */
  publicUrl?: string;
  /** Directory holding the `re6st-<arch>` binaries served to the installer. */
  artifacts?: string;
}

/** Default private-method origins, always allowed (spec §2.2). */
export const DEFAULT_AUTHORIZED_ORIGINS = ["127.0.0.1", "::1"];

/**
 * `--mailhost` value: an absolute path, or an existing file, is an mbox; otherwise `host`,
 * `host:port`, `[v6]:port` or a bare IPv6 address (port 25 by default). `exists` tells whether
 * a relative path names an existing file.
 */
export function parseMailhost(text: string, exists: (path: string) => boolean): Mailhost {
  if (text.startsWith("/") || exists(text)) return { kind: "mbox", path: text };
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  let host = text, port = "25";
  if (bracketed) [host, port] = [bracketed[1], bracketed[2] ?? "25"];
  else if (text.split(":").length === 2) [host, port] = text.split(":");
  if (host === "" || !/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
    throw new Error(`invalid mail host '${text}' (expected host[:port] or a file path)`);
  }
  return { kind: "smtp", host, port: Number(port) };
}

/** `NET/M PLEN` → normalised payload; throws an Error with a short reason. */
export function parseIpv4Payload(net: string, plen: string): Ipv4Payload {
  const m = /^([\d.]+)\/(\d+)$/.exec(net);
  if (!m || !isIPv4(m[1]) || Number(m[2]) > 32) throw new Error(`not an IPv4 network: '${net}'`);
  if (!/^\d+$/.test(plen)) throw new Error(`invalid prefix length '${plen}'`);
  const len = Number(m[2]), sublen = Number(plen);
  if (len + sublen > 32) throw new Error(`${net} has no room for ${sublen} more bits`);
  const addr = m[1].split(".").reduce((a, b) => a * 256 + Number(b), 0);
  const base = len === 0 ? 0 : addr - (addr % 2 ** (32 - len));
  const dotted = [24, 16, 8, 0].map((s) => Math.floor(base / 2 ** s) % 256).join(".");
  return { network: `${dotted}/${len}`, sublen };
}

/** `--public-url`: an absolute http(s) URL; returns a problem or undefined. */
export function checkPublicUrl([text]: readonly string[]): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `not a URL: '${text}'`;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return `public URL must be http or https: '${text}'`;
  }
  if (/['"\\\s`]|\p{Cc}/u.test(text)) return `public URL contains unsafe characters: '${text}'`;
  return undefined;
}

function fileExists(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

const options: OptionSpec[] = [
  VERSION_OPTION,
  { name: "port", kind: "int", default: 80, min: 1, max: 65535, help: "HTTP port" },
  {
    name: "4",
    short: "4",
    kind: "string",
    metavar: "ADDR",
    default: "0.0.0.0",
    check: ([a]) => a === "" || isIPv4(a) ? undefined : `not an IPv4 address: '${a}'`,
    help: "IPv4 bind address ('' for no IPv4 listener)",
  },
  {
    name: "6",
    short: "6",
    kind: "string",
    metavar: "ADDR",
    default: "::",
    check: ([a]) => a === "" || isIPv6(a) ? undefined : `not an IPv6 address: '${a}'`,
    help: "IPv6 bind address ('' for no IPv6 listener)",
  },
  {
    name: "db",
    kind: "string",
    metavar: "PATH",
    default: "/var/lib/re6stnet/registry.db",
    help: "sqlite database, created if missing",
  },
  {
    name: "dh",
    kind: "string",
    metavar: "PATH",
    required: true,
    help: "DH parameters served to nodes",
  },
  { name: "ca", kind: "string", metavar: "PATH", required: true, help: "CA certificate" },
  { name: "key", kind: "string", metavar: "PATH", required: true, help: "CA private key" },
  {
    name: "mailhost",
    kind: "string",
    metavar: "HOST[:PORT]|PATH",
    check: ([text]) => problemOf(() => parseMailhost(text, () => false)),
    help: "SMTP server for token mails, or an mbox file (unset: e-mail registration disabled)",
  },
  { name: "smtp-user", kind: "string", metavar: "USER", help: "SMTP login" },
  { name: "smtp-pwd", kind: "string", metavar: "PASSWORD", help: "SMTP password" },
  { name: "smtp-starttls", kind: "flag", help: "use STARTTLS before logging in" },
  {
    name: "prefix-length",
    kind: "int",
    default: 16,
    min: 0,
    max: 128,
    help: "prefix length of e-mail registrations (0 disables them)",
  },
  {
    name: "anonymous-prefix-length",
    kind: "int",
    min: 0,
    max: 128,
    help: "prefix length of anonymous registrations (unset or 0 disables them)",
  },
  {
    name: "ipv4",
    kind: "pair",
    metavar: "NET/M PLEN",
    check: ([net, plen]) => problemOf(() => parseIpv4Payload(net, plen)),
    help: "IPv4 payload: each node gets a /(M+PLEN) inside NET/M",
  },
  {
    name: "logfile",
    short: "l",
    kind: "string",
    metavar: "PATH",
    default: "/var/log/re6stnet/registry.log",
    help: "log file",
  },
  {
    name: "run",
    short: "r",
    kind: "string",
    metavar: "DIR",
    default: "/var/run/re6stnet",
    help: "runtime directory of the co-located node (babeld.sock)",
  },
  {
    name: "verbose",
    short: "v",
    kind: "int",
    default: 1,
    min: 0,
    help: "log level: 0 none, 1 warning, 2 info, 3 debug, 4 trace",
  },
  {
    name: "min-protocol",
    kind: "int",
    default: 1,
    min: 1,
    max: PROTOCOL,
    help: "minimum protocol of nodes; older nodes exit",
  },
  {
    name: "authorized-origin",
    kind: "list",
    metavar: "IP",
    check: checkIP,
    help: `client IP allowed to call private methods, /admin and /metrics, besides ${
      DEFAULT_AUTHORIZED_ORIGINS.join(", ")
    }`,
  },
  { name: "community", kind: "string", metavar: "PATH", help: "community file" },
  {
    name: "grace-period",
    kind: "int",
    default: 8640000,
    min: 0,
    help: "seconds after expiry before certificates and tokens are purged",
  },
  { name: "hello", kind: "int", default: 15, min: 1, help: "babel hello interval (s)" },
  { name: "encrypt", kind: "flag", help: "encrypt tunnels" },
  { name: "client-count", kind: "int", default: 10, min: 0, help: "client tunnels per node" },
  {
    name: "max-clients",
    kind: "int",
    min: 0,
    help: "clients per OpenVPN server (default: 2 × client-count)",
  },
  {
    name: "tunnel-refresh",
    kind: "int",
    default: 300,
    min: 1,
    help: "seconds between tunnel replacement rounds",
  },
  {
    name: "same-country",
    kind: "list",
    metavar: "CC",
    check: checkCountry,
    help: "forbid tunnels across the borders of this country (needs a GeoIP database)",
  },
  {
    name: "geoip",
    kind: "string",
    metavar: "PATH",
    help: "GeoIP2/GeoLite2 Country database (MaxMind DB) for getCountry, communities by " +
      "location and --same-country (default: $GEOIP2_MMDB)",
  },
  {
    name: "metrics-origin",
    kind: "list",
    metavar: "IP",
    check: checkIP,
    help: "client IP allowed to read /metrics only (besides the --authorized-origin ones)",
  },
  {
    name: "public-url",
    kind: "string",
    metavar: "URL",
    check: checkPublicUrl,
    help: "URL nodes reach this registry at, written into /install.sh " +
      "(default: http://<Host header of the request>)",
  },
  {
    name: "artifacts",
    kind: "string",
    metavar: "DIR",
    help: "directory with the re6st-x86_64 and re6st-aarch64 binaries served to the installer",
  },
];

function mailhost(values: Values): Mailhost | undefined {
  const text = values.string("mailhost");
  if (text === undefined) return undefined;
  try {
    return parseMailhost(text, fileExists);
  } catch (e) {
    throw ConfigError.at(values.origin("mailhost"), (e as Error).message);
  }
}

/** Command-line interface of the registry. */
export const registrySchema: Schema<RegistryOptions> = {
  prog: "re6st registry",
  description: "re6st registry: certificate authority, prefix allocation and network parameters.",
  options,
  build(values) {
    const ipv4 = values.pair("ipv4");
    const clientCount = values.int("client-count")!;
    const authorizedOrigins = [
      ...DEFAULT_AUTHORIZED_ORIGINS,
      ...values.list("authorized-origin"),
    ];
    return {
      port: values.int("port")!,
      ipv4Bind: values.string("4") || undefined,
      ipv6Bind: values.string("6") || undefined,
      db: values.string("db")!,
      dh: values.string("dh")!,
      ca: values.string("ca")!,
      key: values.string("key")!,
      mailhost: mailhost(values),
      smtpUser: values.string("smtp-user"),
      smtpPwd: values.string("smtp-pwd"),
      smtpStarttls: values.flag("smtp-starttls"),
      prefixLength: values.int("prefix-length")!,
      anonymousPrefixLength: values.int("anonymous-prefix-length") ?? 0,
      ipv4: ipv4 && parseIpv4Payload(...ipv4),
      logfile: values.string("logfile")!,
      run: values.string("run")!,
      verbose: values.int("verbose")!,
      minProtocol: values.int("min-protocol")!,
      authorizedOrigins,
      community: values.string("community"),
      gracePeriod: values.int("grace-period")!,
      hello: values.int("hello")!,
      encrypt: values.flag("encrypt"),
      clientCount,
      maxClients: values.int("max-clients") ?? 2 * clientCount,
      tunnelRefresh: values.int("tunnel-refresh")!,
      sameCountry: values.list("same-country").map((c) => c.toUpperCase()),
      geoip: values.string("geoip"),
      metricsOrigins: [...authorizedOrigins, ...values.list("metrics-origin")],
      publicUrl: values.string("public-url")?.replace(/\/+$/, ""),
      artifacts: values.string("artifacts"),
    };
  },
};
