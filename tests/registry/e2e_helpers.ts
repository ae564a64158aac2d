/**
 * Helpers for end-to-end registry tests: a fresh openssl CA, CSRs, a real `re6st registry`
 * process, a real SMTP server (aiosmtpd), a UDP socket standing in for the co-located node,
 * and a small spec-following HTTP client with the session HMAC chain.
 */
import { Buffer } from "node:buffer";
import crypto from "node:crypto";
import dgram from "node:dgram";
import { DatabaseSync } from "node:sqlite";
import { createCsr } from "../../lib/pki/csr.ts";
import { TEST_CA_SUBJECT } from "../../lib/pki/testing.ts";
import { selfSignedArgs } from "../pki/fixtures.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** Runs a program, throwing on failure; returns stdout. */
export async function sh(cmd: string, args: string[], cwd?: string): Promise<string> {
  const out = await new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" })
    .output();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
  return new TextDecoder().decode(out.stdout);
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** A test CA for 2001:db8:42::/48 made by openssl (serial 0x120010db80042, RSA, SHA-512). */
export interface TestCa {
  dir: string;
  caPath: string;
  keyPath: string;
  dhPath: string;
  caPem: string;
  caKey: crypto.KeyObject;
}

/** Creates a temporary directory with a CA (`bits` RSA key) and a DH file. */
export async function makeCa(bits = 2048): Promise<TestCa> {
  const dir = await Deno.makeTempDir({ prefix: "re6st-registry-" });
  await sh(
    "openssl",
    selfSignedArgs({
      newKey: `rsa:${bits}`,
      keyOut: `${dir}/ca.key`,
      digest: "sha512",
      serial: "0x120010db80042",
      days: 365,
      subject: `${TEST_CA_SUBJECT}/emailAddress=registry@example.com`,
      out: `${dir}/ca.crt`,
    }),
  );
  await Deno.writeTextFile(
    `${dir}/dh.pem`,
    "-----BEGIN DH PARAMETERS-----\ntest\n-----END DH PARAMETERS-----\n",
  );
  return {
    dir,
    caPath: `${dir}/ca.crt`,
    keyPath: `${dir}/ca.key`,
    dhPath: `${dir}/dh.pem`,
    caPem: await Deno.readTextFile(`${dir}/ca.crt`),
    caKey: crypto.createPrivateKey(await Deno.readTextFile(`${dir}/ca.key`)),
  };
}

/** A node key and a CSR for it. */
export interface TestNode {
  key: crypto.KeyObject;
  csr: string;
}

/** Generates an RSA key (CA-sized by default) and a SHA-512 CSR with `fields`. */
export function makeNode(
  bits = 2048,
  fields: [string, string][] = [["O", "test"]],
): TestNode {
  const { privateKey } = crypto.generateKeyPairSync("rsa", { modulusLength: bits });
  return { key: privateKey, csr: createCsr(privateKey, fields) };
}

/** The CA files a registry runs on. */
export interface RegistryFiles {
  caPath: string;
  keyPath: string;
  dhPath: string;
}

/**
 * `deno run -A main.ts registry` arguments of this checkout: HTTP on 127.0.0.1:`port` only,
 * database `db`, the CA's files, then `extra`.
 */
export function registryArgs(
  ca: RegistryFiles,
  port: number,
  db: string,
  extra: string[] = [],
): string[] {
  return [
    "run",
    "-A",
    `${ROOT}main.ts`,
    "registry",
    "--port",
    String(port),
    "-4",
    "127.0.0.1",
    "-6",
    "",
    "--db",
    db,
    "--ca",
    ca.caPath,
    "--key",
    ca.keyPath,
    "--dh",
    ca.dhPath,
    ...extra,
  ]; // deno-fmt-ignore
}

/** A running `re6st registry` process. */
export class RegistryProcess {
  #child: Deno.ChildProcess | undefined;
  readonly url: string;

  constructor(
    readonly ca: TestCa,
    readonly port: number,
    readonly args: string[],
    readonly env: Record<string, string> = {},
    readonly db = `${ca.dir}/registry.db`,
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  /** Starts the process and waits (≤ 20 s) until it answers `getCa`. */
  async start(): Promise<void> {
    this.#child = new Deno.Command(Deno.execPath(), {
      args: registryArgs(this.ca, this.port, this.db, [
        "-l",
        `${this.ca.dir}/registry.log`,
        "-v",
        "3",
        ...this.args,
      ]),
      env: this.env,
      stdout: "null",
      stderr: "null",
    }).spawn();
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      try {
        const r = await fetch(`${this.url}/getCa`);
        await r.body?.cancel();
        if (r.status === 200) return;
      } catch { /* not yet listening */ }
      await new Promise((r) => setTimeout(r, 100));
    }
    await this.kill("SIGKILL");
    throw new Error(`registry did not start:\n${await this.log()}`);
  }

  /** Stops the process with `signal` and waits for it; returns its exit code. */
  async kill(signal: Deno.Signal = "SIGTERM"): Promise<number> {
    const child = this.#child;
    if (!child) return 0;
    this.#child = undefined;
    try {
      child.kill(signal);
    } catch { /* already gone */ }
    return (await child.status).code;
  }

  /** The registry's log file. */
  log(): Promise<string> {
    return Deno.readTextFile(`${this.ca.dir}/registry.log`).catch(() => "");
  }

  /** Opens the registry's database read-only for checks. */
  openDb(): DatabaseSync {
    return new DatabaseSync(this.db, { readOnly: true });
  }
}

/** A raw HTTP answer. */
export interface Answer {
  status: number;
  body: Uint8Array;
  headers: Headers;
}

/** GET `target` (path and query, sent as is) on the registry. */
export async function get(
  url: string,
  target: string,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const r = await fetch(url + target, { headers });
  return { status: r.status, body: new Uint8Array(await r.arrayBuffer()), headers: r.headers };
}

/** Form-encodes parameters the way re6stnet's client does (`+` for spaces). */
export function query(params: [string, string][]): string {
  return params.map(([k, v]) =>
    `${encodeURIComponent(k)}=${encodeURIComponent(v).replace(/%20/g, "+")}`
  ).join("&");
}

/** A node's side of the session HMAC chain (spec §3.2), written from the spec. */
export class NodeSession {
  key: Uint8Array | undefined;

  constructor(
    readonly url: string,
    readonly ca: TestCa,
    readonly nodeKey: crypto.KeyObject,
    readonly prefix: string,
  ) {}

  /** `hello`; checks and decrypts the answer. */
  async hello(protocol = 10): Promise<Answer> {
    const a = await get(this.url, `/hello?client_prefix=${this.prefix}&protocol=${protocol}`);
    if (a.status === 200) {
      const half = a.body.length / 2;
      const e = a.body.subarray(0, half), s = a.body.subarray(half);
      if (!crypto.verify("sha512", e, this.ca.caPem, s)) throw new Error("bad hello signature");
      this.key = new Uint8Array(crypto.privateDecrypt(
        { key: this.nodeKey, padding: crypto.constants.RSA_PKCS1_PADDING },
        e,
      ));
    }
    return a;
  }

  /** An authenticated call; verifies the answer's HMAC and advances the chain on success. */
  async call(
    method: string,
    params: [string, string][] = [],
  ): Promise<Answer & { authentic: boolean }> {
    const target = `/${method}?${query([["cn", this.prefix], ...params])}`;
    const k = this.key ?? new Uint8Array(20);
    const tag = crypto.createHmac("sha1", k).update(target).digest("base64");
    const a = await get(this.url, target, { Re6stHMAC: tag });
    const k1 = crypto.createHash("sha1").update(k).digest();
    const expected = crypto.createHmac("sha1", k1).update(a.body).digest("base64");
    const authentic = (a.status === 200 || a.status === 204) &&
      a.headers.get("Re6stHMAC") === expected;
    this.key = authentic
      ? new Uint8Array(crypto.createHash("sha1").update(k1).digest())
      : undefined;
    return { ...a, authentic };
  }
}

/** Decrypts a base64 RSA blob with a node key. */
export function decryptB64(key: crypto.KeyObject, b64: string): Uint8Array {
  return new Uint8Array(crypto.privateDecrypt(
    { key, padding: crypto.constants.RSA_PKCS1_PADDING },
    Buffer.from(b64, "base64"),
  ));
}

/** A UDP socket on [::1] standing in for the registry's co-located node (spec §9.7). */
export class FakeLocalNode {
  readonly socket = dgram.createSocket("udp6");
  readonly received: { msg: Uint8Array; from: dgram.RemoteInfo }[] = [];
  /** Answers to send back for a request `<bits>\0<code>`: returns the full datagram or null. */
  answer: (target: string, code: number) => Uint8Array | null = () => null;
  port = 0;

  /** Binds on `::1`, to `port` if given (else an ephemeral one). */
  async start(port = 0): Promise<void> {
    this.socket.on("message", (msg: Uint8Array, from: dgram.RemoteInfo) => {
      this.received.push({ msg: new Uint8Array(msg), from });
      const sep = msg.indexOf(0);
      const reply = this.answer(new TextDecoder().decode(msg.subarray(0, sep)), msg[sep + 1]);
      if (reply) this.socket.send(reply, from.port, from.address);
    });
    await new Promise<void>((r) => this.socket.bind(port, "::1", () => r()));
    this.port = this.socket.address().port;
  }

  close(): void {
    this.socket.close();
  }
}

/** Encodes `<bits>\0<code><text>`. */
export function localDatagram(bits: string, code: number, text: string): Uint8Array {
  return new Uint8Array([
    ...new TextEncoder().encode(bits),
    0,
    code,
    ...new TextEncoder().encode(text),
  ]);
}

/** Waits until `cond()` holds (≤ `ms`). */
export async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 20));
  }
}
