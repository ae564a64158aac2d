/** Shared fixtures of the pki tests: one test CA and reusable keys, made once per process. */
import { createTestCa } from "../../lib/pki/testing.ts";
import { generateRsaKey } from "../../lib/pki/keys.ts";
import { type CommandResult, tryRun } from "../../lib/netns/exec.ts";

let ca: ReturnType<typeof createTestCa> | undefined;
const keys = new Map<string, Promise<string>>();

/** The test CA (2001:db8:42::/48, 2048 bits). */
export function testCa(): ReturnType<typeof createTestCa> {
  ca ??= createTestCa();
  return ca;
}

/** A cached RSA key of `bits`, distinct per `name`. */
export function testKey(name: string, bits = 2048): Promise<string> {
  const id = `${name}/${bits}`;
  if (!keys.has(id)) keys.set(id, generateRsaKey(bits));
  return keys.get(id)!;
}

/** Runs a program, returns its exit code and output; throws if it cannot start. */
export function run(cmd: string, args: string[], stdin?: string): Promise<CommandResult> {
  return tryRun([cmd, ...args], { stdin });
}

/** A temporary directory removed after `fn`. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "re6st-pki-" });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** A self-signed certificate for `openssl req` to make (`selfSignedArgs`). */
export interface SelfSigned {
  /** certificate file written */
  out: string;
  /** subject, `/K=V/…` */
  subject: string;
  /** a new unencrypted key, `rsa:BITS` or `ec` (with `-pkeyopt` in `extra`), written to `keyOut` */
  newKey?: string;
  keyOut?: string;
  /** or an existing key file */
  key?: string;
  /** `-set_serial` value, e.g. `0x120010db80042` */
  serial?: string;
  days?: number;
  /** signature digest, e.g. `sha512` */
  digest?: string;
  /** more `openssl req` arguments */
  extra?: string[];
}

/** `openssl req -new -x509 -nodes …` arguments making the certificate `c` describes. */
export function selfSignedArgs(c: SelfSigned): string[] {
  return [
    "req",
    "-new",
    "-x509",
    "-nodes",
    ...(c.newKey ? ["-newkey", c.newKey, "-keyout", c.keyOut ?? `${c.out}.key`] : []),
    ...(c.key ? ["-key", c.key] : []),
    ...(c.serial ? ["-set_serial", c.serial] : []),
    ...(c.days ? ["-days", String(c.days)] : []),
    ...(c.digest ? [`-${c.digest}`] : []),
    "-subj",
    c.subject,
    ...(c.extra ?? []),
    "-out",
    c.out,
  ];
}
