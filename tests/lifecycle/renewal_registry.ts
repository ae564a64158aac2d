/**
 * A tiny real registry for renewal tests, over real HTTP (Deno.serve on 127.0.0.1): `hello` and
 * the session HMAC chain of spec §3.2, `renewCertificate` with the registry rules of §4.4 (new
 * 365-day certificate inside the last 30 days, same-notAfter certificate for a revoked serial,
 * else the stored PEM), and `getCa` serving `caPem` (tests swap it to model a re-issued CA).
 * Certificates are made with lib/pki. Serve mode (for namespaced tests) at the bottom.
 */
import { Buffer } from "node:buffer";
import crypto from "node:crypto";
import { type CaSigner, loadCaSigner } from "../../lib/pki/ca.ts";
import { parseNodeCertificate } from "../../lib/pki/certificate.ts";
import { renewCertificate } from "../../lib/pki/issue.ts";
import { rsaEncrypt, rsaSign } from "../../lib/pki/rsa.ts";

const DAY_MS = 86_400_000;

function sha1(b: Uint8Array): Uint8Array {
  return new Uint8Array(crypto.createHash("sha1").update(b).digest());
}

function hmac(key: Uint8Array, data: Uint8Array): string {
  return crypto.createHmac("sha1", key).update(data).digest("base64");
}

/** A running renewal registry. */
export class RenewalRegistry {
  /** node certificates by prefix bits */
  readonly certs = new Map<string, string>();
  /** revoked X.509 serials */
  readonly crl = new Set<bigint>();
  /** served by getCa */
  caPem: string;
  /** when set, renewCertificate answers this instead (a broken registry) */
  override?: string;
  /** lifetime of renewed certificates (default 365 days) */
  validityMs = 365 * DAY_MS;
  /** the registry's clock (epoch ms) */
  now: () => number = Date.now;
  /** calls received, by method */
  readonly calls: string[] = [];
  readonly #sessions = new Map<string, Uint8Array[]>();
  #serial = 1000n;
  readonly server: Deno.HttpServer<Deno.NetAddr>;

  constructor(readonly signer: CaSigner, caPem: string, hostname = "127.0.0.1", port = 0) {
    this.caPem = caPem;
    this.server = Deno.serve({ hostname, port, onListen: () => {} }, (req) => this.#handle(req));
  }

  get url(): string {
    const { hostname, port } = this.server.addr;
    return `http://${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}/`;
  }

  /** Registers a node certificate. */
  add(pem: string): void {
    this.certs.set(parseNodeCertificate(pem).prefix, pem);
  }

  #handle(req: Request): Response {
    const url = new URL(req.url);
    const q = url.searchParams;
    const method = url.pathname.slice(1);
    this.calls.push(method);
    if (method === "getCa") return new Response(this.caPem);
    if (method === "hello") {
      const pem = this.certs.get(q.get("client_prefix") ?? "");
      if (!pem) return new Response(null, { status: 404 });
      const secret = new Uint8Array(crypto.randomBytes(20));
      this.#sessions.set(q.get("client_prefix")!, [secret]);
      const e = rsaEncrypt(parseNodeCertificate(pem).publicKey, secret);
      return new Response(Buffer.concat([e, rsaSign(this.signer.key, e)]));
    }
    if (method !== "renewCertificate") return new Response(null, { status: 400 });
    const cn = q.get("cn") ?? "";
    const secrets = this.#sessions.get(cn);
    if (!secrets) return new Response(null, { status: 401 });
    const path = new TextEncoder().encode(url.pathname + url.search);
    const secret = secrets.find((s) => hmac(s, path) === req.headers.get("Re6stHMAC"));
    if (!secret) return new Response(null, { status: 400 });
    const k1 = sha1(secret);
    this.#sessions.set(cn, [sha1(k1)]);
    const body = new TextEncoder().encode(this.override ?? this.#renew(cn));
    return new Response(body, { headers: { Re6stHMAC: hmac(k1, body) } });
  }

  /** Registry side of §4.4. */
  #renew(prefix: string): string {
    const pem = this.certs.get(prefix)!;
    const cert = parseNodeCertificate(pem);
    const now = this.now();
    let notAfter: Date;
    if (cert.notAfter.getTime() - 30 * DAY_MS < now) notAfter = new Date(now + this.validityMs);
    else if (this.crl.has(cert.serial)) notAfter = cert.notAfter;
    else return pem;
    const fresh = renewCertificate(this.signer, cert, {
      serial: ++this.#serial,
      notBefore: new Date(Math.floor(now / 1000) * 1000 - 60_000),
      notAfter,
    }).pem;
    this.certs.set(prefix, fresh);
    return fresh;
  }

  async close(): Promise<void> {
    await this.server.shutdown();
  }
}

// Serve mode, for namespaced tests: `renewal_registry.ts <ca.crt> <ca.key> <hostname> <port>
// <node cert.crt>…` serves until killed.
if (import.meta.main) {
  const [caCert, caKey, hostname, port, ...nodes] = Deno.args;
  const caPem = await Deno.readTextFile(caCert);
  const signer = loadCaSigner(caPem, await Deno.readTextFile(caKey));
  const registry = new RenewalRegistry(signer, caPem, hostname, Number(port));
  for (const node of nodes) registry.add(await Deno.readTextFile(node));
  console.log(`serving on ${registry.url}`);
}
