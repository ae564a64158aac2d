/**
 * The `re6st conf` flow (spec §2.3): fetch and check the CA, obtain a token (or register
 * anonymously), reuse or create the node key, request the certificate, and write `ca.crt`,
 * `cert.key` (0600), `cert.crt` and, if absent, `re6stnet.conf` into the target directory.
 */
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import crypto from "node:crypto";
import type { ConfOptions } from "../config/conf_options.ts";
import { RegistryClient, RegistryForbiddenError } from "../registry/client.ts";
import { bitsToCidr, cnToBits, serialToNetwork, subnetAnycast } from "../wire/prefix.ts";
import { nodeConfigText } from "./config_text.ts";
import { createCsr } from "./csr.ts";
import { addressInNetwork, routeSource } from "./route_check.ts";
import { overlaySubject, reusableSubject, type SubjectField } from "./subject.ts";

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

function parseCertificate(pem: string, what: string): crypto.X509Certificate {
  try {
    return new crypto.X509Certificate(pem);
  } catch {
    throw new ConfFailure(`${what} is not a valid PEM certificate`);
  }
}

function checkFingerprint(ca: crypto.X509Certificate, options: ConfOptions, io: ConfIO): void {
  const fp = options.fingerprint;
  if (!fp) {
    const sha256 = crypto.createHash("sha256").update(ca.raw).digest("hex");
    io.warn(
      `warning: no --fingerprint given, the CA certificate of ${options.registry} is not ` +
        `verified (its fingerprint is sha256:${sha256})`,
    );
    return;
  }
  const got = crypto.createHash(fp.algorithm).update(ca.raw).digest("hex");
  if (got !== fp.hex) {
    throw new ConfFailure(
      `CA fingerprint mismatch: expected ${fp.algorithm}:${fp.hex}, got ${fp.algorithm}:${got}`,
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

function nodeKey(path: string, bits: number, io: ConfIO): string {
  if (exists(path)) {
    const pem = Deno.readTextFileSync(path);
    let size: number | undefined;
    try {
      size = crypto.createPrivateKey(pem).asymmetricKeyDetails?.modulusLength;
    } catch {
      throw new ConfFailure(`${path} is not a PEM private key`);
    }
    if (size !== bits) {
      io.warn(`warning: ${path} has ${size} bits but the CA key has ${bits}: sessions will fail`);
    }
    return pem;
  }
  const { privateKey } = crypto.generateKeyPairSync("rsa", { modulusLength: bits });
  const pem = privateKey.export({ type: "pkcs8", format: "pem" }) as string;
  Deno.writeTextFileSync(path, pem, { mode: 0o600, createNew: true });
  Deno.chmodSync(path, 0o600);
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
  const ca = parseCertificate(caPem, "the registry's CA certificate");
  checkFingerprint(ca, options, io);
  const network = serialToNetwork(BigInt("0x" + ca.serialNumber));
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
    } catch {
      io.warn(`warning: ignoring unreadable ${path("cert.crt")}`);
    }
  }
  subject = overlaySubject(subject, options.req);

  const token = await obtainToken(options, client, io);
  const bits = ca.publicKey.asymmetricKeyDetails?.modulusLength;
  if (!bits) throw new ConfFailure("the CA key is not an RSA key");
  const key = nodeKey(path("cert.key"), bits, io);
  let csr: string;
  try {
    csr = await createCsr(key, subject);
  } catch (e) {
    throw new ConfFailure(`cannot build the certificate request: ${(e as Error).message}`);
  }

  const created = prepareCertFile(path("cert.crt"));
  let certPem: string, cert: crypto.X509Certificate;
  try {
    certPem = await requestCertificate(client, options, token, csr);
    cert = parseCertificate(certPem, "the certificate sent by the registry");
    if (!cert.checkPrivateKey(crypto.createPrivateKey(key))) {
      throw new ConfFailure("the registry sent a certificate for another key");
    }
  } catch (e) {
    if (created && Deno.statSync(path("cert.crt")).size === 0) Deno.removeSync(path("cert.crt"));
    throw e;
  }
  Deno.writeTextFileSync(path("cert.crt.new"), certPem);
  Deno.renameSync(path("cert.crt.new"), path("cert.crt"));

  const notAfter = cert.validToDate;
  const renewal = new Date(notAfter.getTime() - RENEW_PERIOD_MS);
  io.say(`Certificate valid from ${cert.validFromDate.toISOString()} to ${notAfter.toISOString()}`);
  io.say(`It will be renewed automatically from ${renewal.toISOString()}.`);

  if (!exists(path("re6stnet.conf"))) {
    Deno.writeTextFileSync(
      path("re6stnet.conf"),
      nodeConfigText(options.registry, options.location?.country),
    );
    io.say(`Created ${path("re6stnet.conf")}.`);
  }
  const cn = new x509.X509Certificate(certPem).subjectName.getField("CN")[0] ?? "";
  let subnet: string;
  try {
    subnet = bitsToCidr(network + cnToBits(cn));
  } catch {
    throw new ConfFailure(`the certificate's CN is not a prefix of the network: '${cn}'`);
  }
  io.say(`Your subnet: ${subnet} (CN=${cn})`);
  return 0;
}
