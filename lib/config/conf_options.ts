/**
 * Options of the registration tool (`re6st conf`, re6stnet's `re6st-conf`; spec §2.3).
 * Beyond re6stnet: `-V/--version`.
 */
import { getHashes } from "node:crypto";
import { subjectFieldProblem } from "../conf/subject.ts";
import { problemOf } from "./checks.ts";
import { registryUrlOption, VERSION_OPTION } from "./common_options.ts";
import { ConfigError } from "./error.ts";
import type { OptionSpec, Schema } from "./schema.ts";

/** Expected CA fingerprint: a node:crypto hash name and the lower-case hex digest. */
export interface Fingerprint {
  algorithm: string;
  hex: string;
}

/** `--location CC,CONT`: country and continent codes sent to the registry. */
export interface Location {
  country: string;
  continent: string;
}

/** Typed options of the registration tool. */
export interface ConfOptions {
  registry: string;
  fingerprint?: Fingerprint;
  isNeeded: boolean;
  caOnly: boolean;
  /** Directory where files are written (default: current directory). */
  dir: string;
  /** Extra CSR subject fields (`-r KEY VALUE`), in order. */
  req: [string, string][];
  email?: string;
  token?: string;
  anonymous: boolean;
  location?: Location;
}

/** `ALG:HEX` → fingerprint; throws an Error with a short reason. */
export function parseFingerprint(text: string): Fingerprint {
  const i = text.indexOf(":");
  // Python's hashlib spells SHA-3 names with "_" (sha3_256), node:crypto with "-".
  const algorithm = text.slice(0, i).toLowerCase().replaceAll("_", "-");
  const hex = text.slice(i + 1).replaceAll(":", "").toLowerCase();
  if (i < 0 || !getHashes().includes(algorithm)) {
    throw new Error(`'${text}' is not ALG:HEX with a known hash algorithm (e.g. sha256:…)`);
  }
  if (!/^([0-9a-f]{2})+$/.test(hex)) throw new Error(`'${text.slice(i + 1)}' is not hexadecimal`);
  return { algorithm, hex };
}

/** `CC,CONT` → location; throws an Error with a short reason. */
export function parseLocation(text: string): Location {
  const m = /^([A-Za-z]{2}),([A-Za-z]{2})$/.exec(text);
  if (!m) throw new Error(`'${text}' is not COUNTRY,CONTINENT (e.g. FR,EU)`);
  return { country: m[1].toUpperCase(), continent: m[2].toUpperCase() };
}

const options: OptionSpec[] = [
  VERSION_OPTION,
  registryUrlOption("registry base URL"),
  {
    name: "fingerprint",
    kind: "string",
    metavar: "ALG:HEX",
    check: ([text]) => problemOf(() => parseFingerprint(text)),
    help: "expected hash of the CA certificate (DER), e.g. sha256:…",
  },
  {
    name: "is-needed",
    kind: "flag",
    help: "exit non-zero if this host already routes the re6st network",
  },
  { name: "ca-only", kind: "flag", help: "only write ca.crt" },
  {
    name: "dir",
    short: "d",
    kind: "string",
    metavar: "DIR",
    default: ".",
    help: "directory where files are written",
  },
  {
    name: "req",
    short: "r",
    kind: "pairs",
    metavar: "KEY VALUE",
    check: ([key, value]) => subjectFieldProblem(key, value),
    help: "extra subject field of the certificate request (e.g. O Example)",
  },
  { name: "email", kind: "string", metavar: "ADDR", help: "e-mail to send the token to" },
  { name: "token", kind: "string", metavar: "TOKEN", help: "token already received" },
  { name: "anonymous", kind: "flag", help: "anonymous registration (no token)" },
  {
    name: "location",
    kind: "string",
    metavar: "CC,CONT",
    check: ([text]) => problemOf(() => parseLocation(text)),
    help: "country and continent codes, for placement; also writes 'country CC' to the config",
  },
];

/** Command-line interface of the registration tool. */
export const confSchema: Schema<ConfOptions> = {
  prog: "re6st conf",
  description: "Register this machine with a re6st registry and write its keys, certificate " +
    "and configuration.",
  options,
  build(values) {
    if (values.flag("anonymous")) {
      for (const other of ["email", "token"]) {
        if (values.given(other)) {
          throw ConfigError.at(values.origin(other), `--anonymous conflicts with --${other}`);
        }
      }
    }
    const fingerprint = values.string("fingerprint");
    const location = values.string("location");
    return {
      registry: values.string("registry")!,
      fingerprint: fingerprint === undefined ? undefined : parseFingerprint(fingerprint),
      isNeeded: values.flag("is-needed"),
      caOnly: values.flag("ca-only"),
      dir: values.string("dir")!,
      req: values.pairs("req"),
      email: values.string("email"),
      token: values.string("token"),
      anonymous: values.flag("anonymous"),
      location: location === undefined ? undefined : parseLocation(location),
    };
  },
};
