/**
 * The `re6st conf` flow (spec §2.3): fetch and check the CA, obtain a token (or register
 * anonymously), reuse or create the node key, request the certificate, and write `ca.crt`,
 * `cert.key` (0600), `cert.crt` and, if absent, `re6stnet.conf` into the target directory.
 */
import { Buffer } from "node:buffer";
import crypto from "node:crypto";
import type { ConfOptions } from "../config/conf_options.ts";
import { type CaCertificate, parseCa } from "../pki/ca.ts";
import { type NodeCertificate, parseNodeCertificate } from "../pki/certificate.ts";
import { createCsr } from "../pki/csr.ts";
import { PkiError } from "../pki/errors.ts";
import { fingerprint } from "../pki/fingerprint.ts";
import { generateRsaKey, keyBits, loadPrivateKey, writePrivateKey } from "../pki/keys.ts";
import type { SubjectField } from "../pki/name.ts";
import { RegistryClient, RegistryForbiddenError } from "../registry/client.ts";
import { bitsToCidr, subnetAnycast } from "../wire/prefix.ts";
import { nodeConfigText } from "./config_text.ts";
import { addressInNetwork, routeSource } from "./route_check.ts";
import { overlaySubject, reusableSubject } from "./subject.ts";

/** How the flow talks to the user and the system. */
export interface ConfIO {
  /** Asks a question; the answer line, or undefined at end of input. */
  ask(question: string): Promise<string | undefined>;
  /** Progress and results. */
  say(line: string): void;
  /** Warnings. */
  warn(line: string): void;
}

/** A fatal problem: printed as `error: <message>`, exit status 1. */
export class ConfFailure extends Error {}

/** Renewal starts this long before a certificate expires (spec §4.4). */
const RENEW_PERIOD_MS = 30 * 86400_000;

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/** Runs a lib/pki parser, turning its PkiError into a ConfFailure about `what`. */
function pki<T>(what: string, parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    if (e instanceof PkiError) throw new ConfFailure(`${what}: ${e.message}`);
    throw e;
  }
}

function checkFingerprint(ca: CaCertificate, options: ConfOptions, io: ConfIO): void {
  const fp = options.fingerprint;
  if (!fp) {
    io.warn(
      `warning: no --fingerprint given, the CA certificate of ${options.registry} is not ` +
        `verified (its fingerprint is ${fingerprint(ca.der)})`,
    );
    return;
  }
  const got = fingerprint(ca.der, fp.algorithm);
  if (got !== `${fp.algorithm}:${fp.hex}`) {
    throw new ConfFailure(
      `CA fingerprint mismatch: expected ${fp.algorithm}:${fp.hex}, got ${got}`,
    );
  }
}

/** `ip -6 -o route get` of the network address: is it routed from inside the network? */
async function alreadyRouted(network: string): Promise<string | undefined> {
  const address = subnetAnycast(network);
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command("ip", { args: ["-6", "-o", "route", "get", address] }).output();
  } catch (e) {
    throw new ConfFailure(`cannot run 'ip': ${(e as Error).message}`);
  }
  if (!out.success) return undefined; // no route at all: re6st is needed
  const src = routeSource(new TextDecoder().decode(out.stdout));
  return src !== undefined && addressInNetwork(src, network) ? src : undefined;
}

async function obtainToken(
  options: ConfOptions,
  client: RegistryClient,
  io: ConfIO,
): Promise<string> {
  if (options.anonymous) return "";
  if (options.token !== undefined) return options.token;
  const email = options.email ?? (await io.ask("Please enter your e-mail address: "))?.trim();
  if (!email) throw new ConfFailure("an e-mail address is needed to get a token (--email)");
  try {
    if (!await client.requestToken(email)) {
      throw new ConfFailure(`cannot request a token: ${client.lastFailure}`);
    }
  } catch (e) {
    if (e instanceof RegistryForbiddenError) {
      throw new ConfFailure("the registry does not accept registrations by e-mail");
    }
    throw e;
  }
  io.say(`A token has been sent to ${email}.`);
  const token = (await io.ask("Please enter your token: "))?.trim();
  if (!token) throw new ConfFailure("no token given");
  return token;
}

/** Our private key: `path` if it exists, else a new key of the CA's size written 0600. */
async function nodeKey(path: string, bits: number, io: ConfIO): Promise<string> {
  if (exists(path)) {
    const pem = Deno.readTextFileSync(path);
    const size = pki(path, () => keyBits(loadPrivateKey(pem)));
    if (size !== bits) {
      io.warn(`warning: ${path} has ${size} bits but the CA key has ${bits}: sessions will fail`);
    }
    return pem;
  }
  const pem = await generateRsaKey(bits);
  await writePrivateKey(path, pem);
  return pem;
}

/** Checks that `path` can be written before spending the token; true if it was created. */
function prepareCertFile(path: string): boolean {
  try {
    if (exists(path)) {
      Deno.openSync(path, { write: true }).close();
      return false;
    }
    Deno.writeTextFileSync(path, "", { createNew: true, mode: 0o644 });
    return true;
  } catch (e) {
    throw new ConfFailure(`cannot write ${path}: ${(e as Error).message}`);
  }
}

async function requestCertificate(
  client: RegistryClient,
  options: ConfOptions,
  token: string,
  csr: string,
): Promise<string> {
  const location = options.location
    ? `${options.location.country},${options.location.continent}`
    : "";
  let cert: string | undefined;
  try {
    cert = await client.requestCertificate(token, csr, location);
  } catch (e) {
    if (!(e instanceof RegistryForbiddenError)) throw e;
    throw new ConfFailure(
      token === ""
        ? "the registry does not accept anonymous registrations"
        : "the registry does not accept registrations by token",
    );
  }
  if (cert === undefined) throw new ConfFailure(`registration failed: ${client.lastFailure}`);
  if (cert === "") throw new ConfFailure("invalid or expired token");
  return cert;
}

/** Runs the whole flow; returns the exit status (throws ConfFailure on fatal problems). */
export async function register(options: ConfOptions, io: ConfIO): Promise<number> {
  const dir = options.dir.replace(/\/+$/, "") || "/";
  if (!exists(dir) || !Deno.statSync(dir).isDirectory) {
    throw new ConfFailure(`${dir} is not a directory`);
  }
  const path = (name: string) => `${dir}/${name}`;
  const client = new RegistryClient({ url: options.registry });

  const caPem = await client.getCa();
  if (!caPem) throw new ConfFailure(`cannot get the CA certificate: ${client.lastFailure}`);
  const ca = pki("the registry's CA certificate", () => parseCa(caPem));
  checkFingerprint(ca, options, io);
  const network = ca.network;
  if (options.isNeeded) {
    const src = await alreadyRouted(network);
    if (src === undefined) return 0;
    io.say(`${bitsToCidr(network)} is already routed from ${src}: re6st is not needed here`);
    return 1;
  }
  Deno.writeTextFileSync(path("ca.crt"), caPem);
  if (options.caOnly) return 0;

  let subject: SubjectField[] = [];
  if (exists(path("cert.crt")) && Deno.statSync(path("cert.crt")).size > 0) {
    try {
      subject = reusableSubject(Deno.readTextFileSync(path("cert.crt")));
    } catch (e) {
      if (!(e instanceof PkiError)) throw e;
      io.warn(`warning: ignoring unreadable ${path("cert.crt")}: ${e.message}`);
    }
  }
  subject = overlaySubject(subject, options.req);

  const token = await obtainToken(options, client, io);
  const key = await nodeKey(path("cert.key"), ca.keyBits, io);
  const csr = pki("cannot build the certificate request", () => createCsr(key, subject));

  const created = prepareCertFile(path("cert.crt"));
  let certPem: string, cert: NodeCertificate;
  try {
    certPem = await requestCertificate(client, options, token, csr);
    cert = pki("the registry sent a bad certificate", () => parseNodeCertificate(certPem));
    const spki = crypto.createPublicKey(key).export({ type: "spki", format: "der" });
    if (!Buffer.from(cert.spki).equals(spki)) {
      throw new ConfFailure("the registry sent a certificate for another key");
    }
    if (network.length + cert.prefix.length > 128) {
      throw new ConfFailure(`the certificate's CN ${cert.cn} does not fit in the network`);
    }
  } catch (e) {
    if (created && Deno.statSync(path("cert.crt")).size === 0) Deno.removeSync(path("cert.crt"));
    throw e;
  }
  Deno.writeTextFileSync(path("cert.crt.new"), certPem);
  Deno.renameSync(path("cert.crt.new"), path("cert.crt"));

  const renewal = new Date(cert.notAfter.getTime() - RENEW_PERIOD_MS);
  io.say(
    `Certificate valid from ${cert.notBefore.toISOString()} to ${cert.notAfter.toISOString()}`,
  );
  io.say(`It will be renewed automatically from ${renewal.toISOString()}.`);

  if (!exists(path("re6stnet.conf"))) {
    Deno.writeTextFileSync(
      path("re6stnet.conf"),
      nodeConfigText(options.registry, options.location?.country),
    );
    io.say(`Created ${path("re6stnet.conf")}.`);
  }
  io.say(`Your subnet: ${bitsToCidr(network + cert.prefix)} (CN=${cert.cn})`);
  return 0;
}
