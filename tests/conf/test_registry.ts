/**
 * A tiny registry for `re6st conf` tests: getCa, requestToken and requestCertificate of spec
 * §3.3 over real HTTP (Deno.serve on 127.0.0.1), issuing with a real test CA for
 * 2001:db8:42::/48 (lib/pki). Prefixes are handed out as 1/16, 2/16, …
 */
import crypto from "node:crypto";
import type { CaSigner } from "../../lib/pki/ca.ts";
import { createCsr, parseCsr } from "../../lib/pki/csr.ts";
import { issueCertificate } from "../../lib/pki/issue.ts";
import { generateRsaKey } from "../../lib/pki/keys.ts";
import { createTestCa } from "../../lib/pki/testing.ts";

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
  readonly server: Deno.HttpServer<Deno.NetAddr>;
  #next = 1;

  private constructor(readonly caPem: string, readonly signer: CaSigner) {
    this.server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      (req) => this.handle(req),
    );
  }

  /** Starts a registry with a fresh test CA (2048-bit RSA, serial 0x120010db80042). */
  static async start(): Promise<TestRegistry> {
    const { certPem, signer } = await createTestCa();
    return new TestRegistry(certPem, signer);
  }

  get url(): string {
    return `http://127.0.0.1:${this.server.addr.port}/`;
  }

  /** SHA-256 of the CA certificate DER, hex. */
  get caSha256(): string {
    return crypto.createHash("sha256").update(this.signer.ca.der).digest("hex");
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
    const keyBits = this.signer.ca.keyBits;
    const request = this.wrongKey ? createCsr(await generateRsaKey(keyBits), []) : csrPem;
    const n = this.#next++;
    return issueCertificate(this.signer, parseCsr(request, { keyBits }), {
      prefix: n.toString(2).padStart(16, "0"),
      subjectSerial: n - 1,
      serial: BigInt(n),
    }).pem;
  }

  async close(): Promise<void> {
    await this.server.shutdown();
  }
}

// Serve mode, for tests that need the registry inside a network namespace: prints the URL,
// serves until SIGTERM.
if (import.meta.main) {
  const registry = await TestRegistry.start();
  console.log(registry.url);
  await new Promise<void>((resolve) => Deno.addSignalListener("SIGTERM", resolve));
  await registry.close();
}
