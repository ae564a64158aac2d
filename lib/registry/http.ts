/**
 * The registry's HTTP front (spec §3.1–3.4): a hono app on `Deno.serve`. Paths are exactly
 * `/<method>[?<query>]`, GET only; queries are parsed strictly and must name exactly the
 * method's parameters; methods with a `cn` parameter are authenticated by the session HMAC
 * chain; private methods only answer authorised origins. Results are sent raw (200, no
 * Content-Type) or as 204; failures only by status code. Bad input never yields a 5xx.
 *
 * Beside the methods, `pages` are served at exact paths (`/admin`, `/metrics`, `/install.sh`…),
 * each with its own allowed origins and HTTP methods. Every request, method or page, is
 * reported once to `onRequest` (the metrics' single instrumentation point).
 */
import { Buffer } from "node:buffer";
import { Hono } from "hono";
import { logger } from "../log.ts";
import type { Registry, RpcResult } from "./service.ts";
import { RpcError } from "./rpc_error.ts";
import { hmacSha1, type SessionTable } from "./sessions.ts";

const log = logger("registry");

/** Name of the header carrying session HMACs. */
export const HMAC_HEADER = "Re6stHMAC";

/** Longest accepted request target (a 4096-bit CSR URL-encoded fits easily). */
export const MAX_TARGET = 16 * 1024;

/** Arguments of a call, by parameter name. */
type Args = Record<string, string>;

/** One RPC method: its parameters in signature order (with defaults) and how to call it. */
interface Method {
  params: [name: string, defaultValue?: string][];
  private?: boolean;
  call: (r: Registry, a: Args, protocol: number) => RpcResult | Promise<RpcResult>;
}

/** The registry's methods (spec §3.3, §3.4). Those with a `cn` parameter need a session. */
export const METHODS: Record<string, Method> = {
  hello: {
    params: [["client_prefix"], ["protocol", "1"]],
    call: (r, a) => r.hello(a.client_prefix, a.protocol),
  },
  getCa: { params: [], call: (r) => r.getCa() },
  requestToken: { params: [["email"]], call: (r, a) => r.requestToken(a.email) },
  requestCertificate: {
    params: [["token"], ["req"], ["location", ""], ["ip", ""]],
    call: (r, a) => r.requestCertificate(a.token, a.req, a.location, a.ip),
  },
  renewCertificate: { params: [["cn"]], call: (r, a) => r.renewCertificate(a.cn) },
  getDh: { params: [["cn"]], call: (r, a) => r.getDh(a.cn) },
  getNetworkConfig: { params: [["cn"]], call: (r, a) => r.getNetworkConfig(a.cn) },
  getCountry: {
    params: [["cn"], ["address"]],
    call: (r, a) => r.getCountry(a.cn, a.address),
  },
  getBootstrapPeer: {
    params: [["cn"]],
    call: (r, a, protocol) => r.getBootstrapPeer(a.cn, protocol),
  },
  isToken: { params: [["token"]], private: true, call: (r, a) => r.isToken(a.token) },
  deleteToken: { params: [["token"]], private: true, call: (r, a) => r.deleteToken(a.token) },
  addToken: {
    params: [["email"], ["token"]],
    private: true,
    call: (r, a) => r.addToken(a.email, a.token),
  },
  revoke: {
    params: [["cn_or_serial"]],
    private: true,
    call: (r, a) => r.revoke(a.cn_or_serial),
  },
  updateHMAC: { params: [], private: true, call: (r) => r.updateHMAC() },
  getNodePrefix: {
    params: [["email"]],
    private: true,
    call: (r, a) => r.getNodePrefix(a.email),
  },
  getIPv6Address: {
    params: [["email"]],
    private: true,
    call: (r, a) => r.getIPv6Address(a.email),
  },
  getIPv4Information: {
    params: [["email"]],
    private: true,
    call: (r, a) => r.getIPv4Information(a.email),
  },
  versions: { params: [], private: true, call: (r) => r.versions() },
  topology: { params: [], private: true, call: (r) => r.topology() },
};

/**
 * Strict `application/x-www-form-urlencoded` parsing: every pair must be `name=value`, escapes
 * must be valid UTF-8, names must not repeat. Throws RpcError(400).
 */
export function parseQuery(query: string): Map<string, string> {
  const out = new Map<string, string>();
  if (query === "") return out;
  for (const pair of query.split("&")) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new RpcError(400, `bad query field ${JSON.stringify(pair.slice(0, 40))}`);
    let name: string, value: string;
    try {
      const decode = (s: string) => decodeURIComponent(s.replaceAll("+", " "));
      name = decode(pair.slice(0, eq));
      value = decode(pair.slice(eq + 1));
    } catch {
      throw new RpcError(400, "bad escape in query");
    }
    if (out.has(name)) throw new RpcError(400, `repeated parameter ${JSON.stringify(name)}`);
    out.set(name, value);
  }
  return out;
}

/** Maps query parameters onto a method's signature; unknown or missing ones ⇒ 400. */
export function bindArguments(method: Method, query: Map<string, string>): Args {
  const args: Args = {};
  const known = new Set(method.params.map(([n]) => n));
  for (const name of query.keys()) {
    if (!known.has(name)) throw new RpcError(400, `unexpected parameter ${JSON.stringify(name)}`);
  }
  for (const [name, dflt] of method.params) {
    const v = query.get(name) ?? dflt;
    if (v === undefined) throw new RpcError(400, `missing parameter ${name}`);
    args[name] = v;
  }
  return args;
}

/** `::ffff:a.b.c.d` (IPv4 through a dual-stack socket) → `a.b.c.d`. */
export function normaliseAddress(a: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(a);
  return m ? m[1] : a;
}

/** True if a private method may be called: peer and whole X-Forwarded-For are authorised. */
export function isAuthorised(
  origins: readonly string[],
  peer: string,
  forwardedFor: string | null,
): boolean {
  return origins.includes(normaliseAddress(peer)) &&
    (forwardedFor === null || origins.includes(forwardedFor));
}

/** Information about the TCP peer, as `Deno.serve` gives it. */
export interface PeerInfo {
  remoteAddr: { hostname: string };
}

/** A resource served beside the RPC methods at an exact path. */
export interface Page {
  /**
   * Client IPs allowed to fetch it, checked like private methods (peer and X-Forwarded-For);
   * 403 otherwise. Undefined ⇒ public.
   */
  origins?: readonly string[];
  /** Accepted HTTP methods (default: GET only); others ⇒ 405. */
  methods?: readonly string[];
  /** Answers the request; thrown `RpcError`s become error pages. */
  handle(req: Request): Response | Promise<Response>;
}

/** A page whose module is imported on its first request (rarely used pages cost no memory). */
export function lazyPage(
  access: Pick<Page, "origins" | "methods">,
  load: () => Promise<Page>,
): Page {
  let loaded: Promise<Page> | undefined;
  return {
    ...access,
    async handle(req) {
      return (await (loaded ??= load())).handle(req);
    },
  };
}

/** What the HTTP layer serves beside the RPC methods, and who it reports requests to. */
export interface AppExtras {
  /** Pages by exact path (`/admin`). */
  pages?: Readonly<Record<string, Page>>;
  /** Told about every answered request: method or page name (`unknown` otherwise), status. */
  onRequest?: (name: string, status: number, seconds: number) => void;
}

function errorPage(status: number, message: string): Response {
  const body = `<html><head><title>Error response</title></head><body>` +
    `<h1>Error response</h1><p>Error code: ${status}</p></body></html>\n`;
  log.debug(`answering ${status}: ${message}`);
  return new Response(body, { status, headers: { "content-type": "text/html;charset=utf-8" } });
}

/** Builds the hono app serving `registry`. */
export function createApp(
  registry: Registry,
  sessions: SessionTable,
  authorizedOrigins: readonly string[],
  extras: AppExtras = {},
): Hono<{ Bindings: PeerInfo }> {
  const app = new Hono<{ Bindings: PeerInfo }>();
  const pages = extras.pages ?? {};
  app.all("*", async (c) => {
    const started = performance.now();
    const peer = normaliseAddress(c.env?.remoteAddr?.hostname ?? "");
    const url = c.req.url;
    const start = url.indexOf("/", url.indexOf("//") + 2);
    const target = start < 0 ? "/" : url.slice(start);
    const qmark = target.indexOf("?");
    const path = qmark < 0 ? target : target.slice(0, qmark);
    const name = path.slice(1);
    const page = Object.hasOwn(pages, path) ? pages[path] : undefined;
    let status = 500;
    try {
      if (page) {
        if (target.length > MAX_TARGET) throw new RpcError(400, "request target too long");
        if (!(page.methods ?? ["GET"]).includes(c.req.method)) {
          status = 405;
          return errorPage(405, `method ${c.req.method} not allowed on ${path}`);
        }
        if (
          page.origins &&
          !isAuthorised(page.origins, peer, c.req.header("x-forwarded-for") ?? null)
        ) {
          throw new RpcError(403, `${path} from ${peer}`);
        }
        const response = await page.handle(c.req.raw);
        status = response.status;
        return response;
      }
      if (c.req.method !== "GET") {
        status = 405;
        return errorPage(405, `method ${c.req.method} not allowed`);
      }
      if (target.length > MAX_TARGET) throw new RpcError(400, "request target too long");
      if (!/^\/[A-Za-z0-9_]+$/.test(path) || !Object.hasOwn(METHODS, name)) {
        throw new RpcError(400, `unknown method ${JSON.stringify(path.slice(0, 60))}`);
      }
      const method = METHODS[name];
      const args = bindArguments(method, parseQuery(qmark < 0 ? "" : target.slice(qmark + 1)));
      if (
        method.private &&
        !isAuthorised(authorizedOrigins, peer, c.req.header("x-forwarded-for") ?? null)
      ) {
        throw new RpcError(403, `private method ${name} from ${peer}`);
      }
      if (name === "requestCertificate" && args.ip === "") {
        const xff = c.req.header("x-forwarded-for");
        // spec §17.3: re6stnet falls back to the Host header (meaningless); we use the peer
        args.ip = xff ? xff.split(",")[0].trim() : peer;
      }
      let responseKey: Uint8Array | undefined;
      let protocol = 0;
      if ("cn" in args) {
        const auth = sessions.authenticate(args.cn, target, c.req.header(HMAC_HEADER) ?? null);
        if (!auth.ok) throw new RpcError(auth.status, `${name} for ${args.cn}: ${auth.reason}`);
        responseKey = auth.responseKey;
        protocol = auth.protocol;
      }
      const result = await method.call(registry, args, protocol);
      const body = typeof result === "string" ? new TextEncoder().encode(result) : result;
      const headers: Record<string, string> = {};
      if (responseKey) {
        headers[HMAC_HEADER] = Buffer.from(hmacSha1(responseKey, body ?? new Uint8Array()))
          .toString("base64");
      }
      status = body && body.length ? 200 : 204;
      return new Response(status === 200 ? body as Uint8Array<ArrayBuffer> : null, {
        status,
        headers,
      });
    } catch (e) {
      if (e instanceof RpcError) {
        status = e.status;
        return errorPage(e.status, e.message);
      }
      log.error(`${name}: ${(e as Error).stack ?? e}`);
      return errorPage(500, String(e));
    } finally {
      log.info(`${peer} ${c.req.method} ${target.slice(0, 80)} ${status}`);
      const known = page !== undefined || Object.hasOwn(METHODS, name);
      extras.onRequest?.(known ? name : "unknown", status, (performance.now() - started) / 1000);
    }
  });
  return app;
}

/** A running HTTP server (one or two listeners). */
export interface HttpServer {
  /** Addresses actually bound. */
  addresses: Deno.NetAddr[];
  shutdown(): Promise<void>;
}

/**
 * Serves `app` on `port` at `bind4` and `bind6` (empty ⇒ none). When `bind6` is the wildcard
 * `::`, the IPv6 listener is dual-stack and covers IPv4 if a separate IPv4 bind conflicts.
 */
export function serve(
  app: Hono<{ Bindings: PeerInfo }>,
  port: number,
  bind4: string,
  bind6: string,
): HttpServer {
  const servers: Deno.HttpServer<Deno.NetAddr>[] = [];
  const handler = (req: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr>) =>
    app.fetch(req, { remoteAddr: info.remoteAddr });
  const listen = (hostname: string, p: number) =>
    Deno.serve({ hostname, port: p, onListen: () => {} }, handler);
  let actualPort = port;
  if (bind6) {
    const s = listen(bind6, port);
    servers.push(s);
    actualPort = s.addr.port;
  }
  if (bind4) {
    try {
      servers.push(listen(bind4, actualPort));
    } catch (e) {
      if (!(e instanceof Deno.errors.AddrInUse && bind6 === "::")) throw e;
      log.debug(`IPv4 ${bind4}:${actualPort} served by the dual-stack [::] listener`);
    }
  }
  if (!servers.length) throw new Error("no listener: both -4 and -6 are empty");
  return {
    addresses: servers.map((s) => s.addr),
    async shutdown() {
      await Promise.all(servers.map((s) => s.shutdown()));
    },
  };
}
