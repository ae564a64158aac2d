/**
 * A tiny registry for `re6st conf` tests: getCa, requestToken and requestCertificate of spec
 * §3.3 over real HTTP (Deno.serve on 127.0.0.1), with a real test CA for 2001:db8:42::/48.
 */
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import crypto from "node:crypto";

x509.cryptoProvider.set(globalThis.crypto);

const ALG = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-512" };

/** What the registry received. */
export interface Received {
  emails: string[];
  certificateRequests: { token: string; req: string; location: string; ip: string }[];
}

/** A running test registry. */
export class TestRegistry {
  readonly received: Received = { emails: [], certificateRequests: [] };
  /** Tokens accepted by requestCertificate. */
  readonly tokens = new Set<string>();
  anonymous = true;
  /** Issue certificates for a key other than the request's (a broken registry). */
  wrongKey = false;
  #next = 1;

  readonly server: Deno.HttpServer<Deno.NetAddr>;

  private constructor(readonly caPem: string, readonly caKey: CryptoKey) {
    this.server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      (req) => this.handle(req),
    );
  }

  /** Starts a registry whose CA (2048-bit RSA) has serial 0x120010db80042. */
  static async start(): Promise<TestRegistry> {
    const keys = await crypto.subtle.generateKey(
      { ...ALG, modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) },
      true,
      ["sign", "verify"],
    ) as CryptoKeyPair;
    const ca = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: "0120010db80042",
      name: "C=FR, O=re6st test, CN=TEST-CA",
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 365 * 86400_000),
      keys,
      signingAlgorithm: ALG,
    });
    return new TestRegistry(ca.toString("pem"), keys.privateKey);
  }

  get url(): string {
    return `http://127.0.0.1:${this.server.addr.port}/`;
  }

  /** SHA-256 of the CA certificate DER, hex. */
  get caSha256(): string {
    return crypto.createHash("sha256").update(new crypto.X509Certificate(this.caPem).raw).digest(
      "hex",
    );
  }

  async handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const q = url.searchParams;
    switch (url.pathname) {
      case "/getCa":
        return new Response(this.caPem);
      case "/requestToken":
        this.received.emails.push(q.get("email")!);
        return new Response(null, { status: 204 });
      case "/requestCertificate": {
        const [token, csr, location, ip] = ["token", "req", "location", "ip"].map((k) => q.get(k)!);
        this.received.certificateRequests.push({ token, req: csr, location, ip });
        if (token === "" ? !this.anonymous : !this.tokens.delete(token)) {
          return new Response(null, { status: token === "" ? 403 : 204 });
        }
        return new Response(await this.issue(csr));
      }
      default:
        return new Response(null, { status: 400 });
    }
  }

  async issue(csrPem: string): Promise<string> {
    const csr = new x509.Pkcs10CertificateRequest(csrPem);
    const serial = this.#next++;
    const name = [
      ...csr.subjectName.toJSON().filter((rdn) => !("CN" in rdn)),
      { CN: [`${serial}/16`] },
      { "2.5.4.5": [String(serial - 1)] },
    ];
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial.toString(16).padStart(2, "0"),
      subject: new x509.Name(name),
      issuer: new x509.X509Certificate(this.caPem).subject,
      notBefore: new Date(),
      notAfter: new Date(Date.now() + 365 * 86400_000),
      publicKey: this.wrongKey
        ? (await crypto.subtle.generateKey(
          { ...ALG, modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) },
          true,
          ["sign", "verify"],
        ) as CryptoKeyPair).publicKey
        : await csr.publicKey.export(ALG, ["verify"]),
      signingKey: this.caKey,
      signingAlgorithm: ALG,
    });
    return cert.toString("pem");
  }

  async close(): Promise<void> {
    await this.server.shutdown();
  }
}

// Serve mode, for tests that need the registry inside a network namespace: prints the URL,
// serves until stdin is closed.
if (import.meta.main) {
  const registry = await TestRegistry.start();
  console.log(registry.url);
  for await (const _ of Deno.stdin.readable) { /* wait for end of input */ }
  await registry.close();
}
