/**
 * `re6st ca`: creates a new network's CA for an IPv6 prefix — `ca.key` (0600), `ca.crt` (serial
 * `1‖prefix bits`, SHA-512) and `dh.pem` (ffdhe2048 for OpenVPN) — and prints the network, the
 * CA serial and its sha256 fingerprint (for `re6st conf --fingerprint`).
 *
 * `run(args)` → exit status: 0 done, 1 refused/failed (existing files without `--force`, I/O),
 * 2 bad options.
 */
import { parseArgs } from "node:util";
import { createCa } from "./ca.ts";
import { writeDhParams } from "./dh.ts";
import { PkiError } from "./errors.ts";
import { fingerprint } from "./fingerprint.ts";
import { writePrivateKey } from "./keys.ts";
import { encodeName, parseSubject, type SubjectField } from "./name.ts";
import { bitsToCidr, cidrToBits } from "../wire/prefix.ts";

const USAGE = `usage: re6st ca --prefix IPV6/LEN [options]

Creates the CA of a new re6st network: ca.key (mode 0600), ca.crt, dh.pem.

options:
  --prefix IPV6/LEN  network prefix, e.g. 2001:db8:42::/48 (required; host bits zero)
  --dir DIR          output directory (default: .)
  --bits N           RSA key size; node keys get the same size (default: 2048)
  --days N           CA validity in days (default: 3650)
  --subject SUBJ     CA subject, e.g. "/C=FR/O=example/CN=re6st CA" (default: /CN=re6st CA)
  --email ADDR       subject emailAddress: sender of token e-mails
  --force            overwrite existing ca.key, ca.crt, dh.pem
  -h, --help         show this help`;

/** Validated options of the command. */
interface CaOptions {
  prefix: string;
  dir: string;
  bits: number;
  days: number;
  /** Subject fields, emailAddress included. */
  subject: SubjectField[];
  force: boolean;
}

class UsageError extends Error {}

function integer(name: string, text: string, min: number, max: number): number {
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(n >= min && n <= max)) {
    throw new UsageError(`--${name} must be an integer in ${min}–${max}`);
  }
  return n;
}

function parseOptions(args: string[]): CaOptions | "help" {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        prefix: { type: "string" },
        dir: { type: "string", default: "." },
        bits: { type: "string", default: "2048" },
        days: { type: "string", default: "3650" },
        subject: { type: "string", default: "/CN=re6st CA" },
        email: { type: "string" },
        force: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (e) {
    throw new UsageError((e as Error).message.split("\n")[0]);
  }
  if (values.help) return "help";
  if (values.prefix === undefined) throw new UsageError("--prefix is required");
  if (!values.prefix.includes(":")) throw new UsageError("--prefix must be an IPv6 prefix");
  let network: string;
  try {
    network = cidrToBits(values.prefix);
  } catch (e) {
    throw new UsageError(`--prefix: ${(e as Error).message}`);
  }
  if (network.length > 127) throw new UsageError("--prefix must leave room for node prefixes");
  const bits = integer("bits", values.bits, 1024, 8192);
  if (bits % 8) throw new UsageError("--bits must be a multiple of 8");
  let subject: SubjectField[];
  try {
    subject = parseSubject(values.subject);
  } catch (e) {
    throw new UsageError(`--subject: ${(e as Error).message}`);
  }
  if (values.email !== undefined) {
    if (!/^[^\s@]+@[^\s@]+$/.test(values.email)) {
      throw new UsageError(`--email: not an e-mail address: ${values.email}`);
    }
    subject.push(["emailAddress", values.email]);
  }
  try {
    encodeName(subject);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  return {
    prefix: bitsToCidr(network),
    dir: values.dir,
    bits,
    days: integer("days", values.days, 1, 100_000),
    subject,
    force: values.force,
  };
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/** Entry point of `re6st ca`. */
export async function run(args: string[]): Promise<number> {
  let opts: CaOptions;
  try {
    const parsed = parseOptions(args);
    if (parsed === "help") {
      console.log(USAGE);
      return 0;
    }
    opts = parsed;
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`re6st ca: ${e.message}`);
    return 2;
  }
  const paths = { key: `${opts.dir}/ca.key`, cert: `${opts.dir}/ca.crt`, dh: `${opts.dir}/dh.pem` };
  try {
    await Deno.mkdir(opts.dir, { recursive: true });
    const present = [];
    for (const p of Object.values(paths)) if (await exists(p)) present.push(p);
    if (present.length && !opts.force) {
      console.error(`re6st ca: refusing to overwrite ${present.join(", ")} (use --force)`);
      return 1;
    }
    const { keyPem, certPem, signer } = await createCa({
      prefixCidr: opts.prefix,
      bits: opts.bits,
      days: opts.days,
      subject: opts.subject,
    });
    await writePrivateKey(paths.key, keyPem);
    await Deno.writeTextFile(paths.cert, certPem);
    await writeDhParams(paths.dh);
    console.log(`network ${opts.prefix}`);
    console.log(`serial 0x${signer.ca.serial.toString(16)}`);
    console.log(`subject ${signer.ca.subjectText}`);
    console.log(`valid until ${signer.ca.notAfter.toISOString()}`);
    console.log(`fingerprint ${fingerprint(signer.ca.der, "sha256")}`);
    console.log(`wrote ${paths.key}, ${paths.cert}, ${paths.dh}`);
    return 0;
  } catch (e) {
    console.error(`re6st ca: ${(e as Error).message}`);
    return e instanceof PkiError && e.code === "invalid-argument" ? 2 : 1;
  }
}
