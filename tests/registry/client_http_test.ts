/**
 * The registry client against a small registry written in this test from spec §3.1–3.2
 * (session list, hash chain, 401 without session), served by Deno.serve behind a base path.
 */
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { deflateSync } from "node:zlib";
import { rsaEncrypt, rsaSign } from "../../lib/pki/rsa.ts";
import { RegistryClient, RegistryForbiddenError } from "../../lib/registry/client.ts";
import { platform, PROTOCOL, VERSION } from "../../lib/version.ts";

const PREFIX = "0000000000000101";
const ca = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
const node = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });

const sha1 = (b: Uint8Array) => new Uint8Array(crypto.createHash("sha1").update(b).digest());
const hmac = (k: Uint8Array, d: Uint8Array | string) =>
  crypto.createHmac("sha1", k).update(d).digest("base64");

/** Spec-following fake registry; `tamper` corrupts the next response HMAC. */
class FakeRegistry {
  sessions = new Map<string, [Uint8Array, number][]>();
  requests: { path: string; userAgent: string | null }[] = [];
  hellos = 0;
  tamper = false;
  delay?: Promise<void>;
  server: Deno.HttpServer<Deno.NetAddr>;

  constructor() {
    this.server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      (req) => this.handle(req),
    );
  }

  get url() {
    return `http://127.0.0.1:${this.server.addr.port}/re6st/`;
  }

  async handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    assert.ok(url.pathname.startsWith("/re6st/"), "client keeps the base path");
    const path = url.pathname.slice("/re6st".length) + url.search;
    this.requests.push({ path, userAgent: req.headers.get("user-agent") });
    const q = url.searchParams;
    switch (url.pathname.slice("/re6st/".length)) {
      case "hello": {
        this.hellos++;
        const secret = crypto.randomBytes(20);
        const list = this.sessions.get(q.get("client_prefix")!) ?? [];
        this.sessions.set(q.get("client_prefix")!, [
          ...list.slice(0, 1),
          [secret, Number(q.get("protocol"))],
        ]);
        const e = rsaEncrypt(node.publicKey, secret);
        return new Response(new Uint8Array([...e, ...rsaSign(ca.privateKey, e)]));
      }
      case "getNetworkConfig":
        return this.authenticated(req, path, q.get("cn")!, deflateSync('{"client_count":3}'));
      case "getBootstrapPeer": {
        const plain = new TextEncoder().encode("0000000000000011 198.18.0.3,1194,tcp");
        return this.authenticated(req, path, q.get("cn")!, rsaEncrypt(node.publicKey, plain));
      }
      case "getDh":
        return this.authenticated(req, path, q.get("cn")!, new Uint8Array());
      case "getCa":
        if (this.delay) await this.delay;
        return new Response("-----BEGIN CERTIFICATE-----\n");
      case "requestToken":
        return new Response(null, { status: 403 });
      case "isToken":
        return new Response(null, { status: 500 });
      case "getNodePrefix":
        return new Response(q.get("email") === "a b+c@example.org" ? "5/16" : null, {
          status: q.get("email") === "a b+c@example.org" ? 200 : 204,
        });
      default:
        return new Response(null, { status: 400 });
    }
  }

  authenticated(req: Request, path: string, cn: string, body: Uint8Array): Response {
    const list = this.sessions.get(cn);
    if (!list) return new Response(null, { status: 401 });
    const header = req.headers.get("re6sthmac") ?? "";
    const match = list.find(([k]) => hmac(k, path) === header);
    if (!match) return new Response(null, { status: 400 });
    const k1 = sha1(match[0]);
    this.sessions.set(cn, [[sha1(k1), match[1]]]);
    const tag = hmac(this.tamper ? sha1(k1) : k1, body);
    this.tamper = false;
    return new Response(body.length ? new Uint8Array(body) : null, {
      status: body.length ? 200 : 204,
      headers: { Re6stHMAC: tag },
    });
  }

  async close() {
    await this.server.shutdown();
  }
}

function client(url: string, timeoutMs?: number) {
  return new RegistryClient({
    url,
    timeoutMs,
    session: { ca: ca.publicKey, key: node.privateKey, prefix: PREFIX },
  });
}

Deno.test("authenticated calls: one hello, then the chain; User-Agent and base path", async () => {
  const reg = new FakeRegistry();
  try {
    const c = client(reg.url);
    assert.deepEqual(await c.fetchNetworkConfig(), { client_count: 3 });
    assert.deepEqual(await c.getBootstrapPeer(), {
      prefix: "0000000000000011",
      address: "198.18.0.3,1194,tcp",
    });
    assert.equal(await c.getDh(), "", "204 with a valid HMAC is an empty answer");
    assert.equal(reg.hellos, 1);
    assert.deepEqual(reg.requests.map((r) => r.path), [
      `/hello?client_prefix=${PREFIX}&protocol=${PROTOCOL}`,
      `/getNetworkConfig?cn=${PREFIX}`,
      `/getBootstrapPeer?cn=${PREFIX}`,
      `/getDh?cn=${PREFIX}`,
    ]);
    for (const r of reg.requests) assert.equal(r.userAgent, `re6stnet/${VERSION}, ${platform()}`);
  } finally {
    await reg.close();
  }
});

Deno.test("statement 11 (client side): 401 after a registry restart is retried once with a new hello", async () => {
  const reg = new FakeRegistry();
  try {
    const c = client(reg.url);
    assert.ok(await c.getNetworkConfig());
    reg.sessions.clear(); // what a restart does: sessions live in memory only
    assert.deepEqual(await c.fetchNetworkConfig(), { client_count: 3 });
    assert.equal(reg.hellos, 2);
    assert.deepEqual(reg.requests.map((r) => r.path.split("?")[0]), [
      "/hello",
      "/getNetworkConfig",
      "/getNetworkConfig",
      "/hello",
      "/getNetworkConfig",
    ]);
  } finally {
    await reg.close();
  }
});

Deno.test("a response with a wrong HMAC gives no result and resets the session", async () => {
  const reg = new FakeRegistry();
  try {
    const c = client(reg.url);
    reg.tamper = true;
    assert.equal(await c.getNetworkConfig(), undefined);
    assert.match(c.lastFailure!, /getNetworkConfig: answer has a wrong or missing HMAC/);
    assert.equal(reg.hellos, 1, "a failure with a fresh session is not retried");
    assert.ok(await c.getNetworkConfig());
    assert.equal(reg.hellos, 2, "the next call starts a new session");
  } finally {
    await reg.close();
  }
});

Deno.test("concurrent authenticated calls are serialised on the chain", async () => {
  const reg = new FakeRegistry();
  try {
    const c = client(reg.url);
    const results = await Promise.all([c.getNetworkConfig(), c.getDh(), c.getNetworkConfig()]);
    assert.ok(results.every((r) => r !== undefined));
    assert.equal(reg.hellos, 1);
  } finally {
    await reg.close();
  }
});

Deno.test("public calls: 403 is thrown typed, other failures give no result", async () => {
  const reg = new FakeRegistry();
  try {
    const c = new RegistryClient({ url: reg.url });
    assert.equal(await c.getCa(), "-----BEGIN CERTIFICATE-----\n");
    await assert.rejects(c.requestToken("a@example.org"), RegistryForbiddenError);
    assert.equal(await c.isToken("abcdefgh"), undefined);
    assert.equal(c.lastFailure, "isToken: HTTP status 500");
    assert.equal(await c.getNodePrefix("a b+c@example.org"), "5/16");
    assert.equal(await c.getNodePrefix("x@example.org"), "");
    assert.equal(await c.versions(), undefined, "400 ⇒ no result");
    await assert.rejects(c.getDh(), /needs session credentials/);
  } finally {
    await reg.close();
  }
  const gone = new RegistryClient({ url: reg.url });
  assert.equal(await gone.getCa(), undefined);
  assert.match(gone.lastFailure!, /^getCa: .*Connection refused/);
});

Deno.test("a registry that does not answer in time gives no result", async () => {
  const reg = new FakeRegistry();
  let release = () => {};
  reg.delay = new Promise((r) => release = r);
  try {
    const c = client(reg.url, 200);
    assert.equal(await c.getCa(), undefined);
    assert.equal(c.lastFailure, "getCa: no answer within 0.2 s");
  } finally {
    release();
    await reg.close();
  }
});

Deno.test("hello answers not signed by the CA give no result", async () => {
  const reg = new FakeRegistry();
  try {
    const other = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
    const c = new RegistryClient({
      url: reg.url,
      session: { ca: other.publicKey, key: node.privateKey, prefix: PREFIX },
    });
    assert.equal(await c.getNetworkConfig(), undefined);
    assert.equal(c.lastFailure, "hello: hello answer not signed by the CA");
  } finally {
    await reg.close();
  }
});
