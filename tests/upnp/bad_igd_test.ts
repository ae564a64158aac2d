/**
 * Broken gateways over real sockets on loopback: garbage SSDP datagrams, broken or silent
 * HTTP description servers, garbage SOAP answers. Each is dropped with a log line (or a
 * clear error) and never crashes; a good answer among bad ones is still found.
 */
import assert from "node:assert/strict";
import dgram from "node:dgram";
import { getVerbosity, setSink, setVerbosity } from "../../lib/log.ts";
import { HttpError, httpRequest } from "../../lib/node/upnp/http.ts";
import { IgdClient, NoIgdError } from "../../lib/node/upnp/igd.ts";
import { PortMapper } from "../../lib/node/upnp/port_mapper.ts";
import { SoapError } from "../../lib/node/upnp/soap.ts";
import { discoverIgds } from "../../lib/node/upnp/ssdp.ts";

/** Collects log lines while `fn` runs. */
async function withLog<T>(fn: (lines: string[]) => Promise<T>): Promise<T> {
  const lines: string[] = [];
  const prevSink = setSink((l) => lines.push(l));
  const prevV = getVerbosity();
  setVerbosity(3);
  try {
    return await fn(lines);
  } finally {
    setSink(prevSink);
    setVerbosity(prevV);
  }
}

/** A TCP server on 127.0.0.1 answering each request with `reply(request)` raw bytes. */
function rawHttpServer(reply: (request: string) => string | null) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  const done = (async () => {
    for await (const c of listener) {
      conns.add(c);
      (async () => {
        const buf = new Uint8Array(65536);
        let req = "";
        while (!/\r\n\r\n/.test(req) || !bodyComplete(req)) {
          const n = await c.read(buf);
          if (n === null) break;
          req += new TextDecoder().decode(buf.subarray(0, n));
        }
        const answer = reply(req);
        if (answer === null) return; // stay silent, keep the connection open
        await c.write(new TextEncoder().encode(answer));
        c.close();
        conns.delete(c);
      })().catch(() => {});
    }
  })().catch(() => {});
  return {
    url: (path: string) => `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}${path}`,
    async close() {
      listener.close();
      for (const c of conns) {
        try {
          c.close();
        } catch {
          // closed already
        }
      }
      await done;
    },
  };
}

function bodyComplete(req: string): boolean {
  const m = /content-length: *(\d+)/i.exec(req);
  return !m || req.length - req.indexOf("\r\n\r\n") - 4 >= Number(m[1]);
}

const ok = (body: string) =>
  `HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: ${
    new TextEncoder().encode(body).length
  }\r\n\r\n${body}`;

const description = (control: string) =>
  `<?xml version="1.0"?><root><device><serviceList><service>
  <serviceType>urn:schemas-upnp-org:service:WANIPConnection:1</serviceType>
  <controlURL>${control}</controlURL></service></serviceList></device></root>`;

/** An SSDP responder on 127.0.0.1 answering each M-SEARCH with every datagram of `answers`. */
async function ssdpResponder(answers: () => (string | Uint8Array)[]) {
  const sock = dgram.createSocket("udp4");
  let searches = 0;
  sock.on("message", (msg, rinfo) => {
    if (!new TextDecoder().decode(msg).startsWith("M-SEARCH")) return;
    if (searches++ > 0) return; // one burst is enough
    for (const a of answers()) sock.send(a, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => sock.bind(0, "127.0.0.1", () => r()));
  return { target: { host: "127.0.0.1", port: sock.address().port }, close: () => sock.close() };
}

Deno.test("bad IGDs: garbage SSDP, broken/silent/wrong descriptions are dropped with log lines; the good one is used", async () => {
  const silent = rawHttpServer(() => null);
  const notHttp = rawHttpServer(() => "SSH-2.0-OpenSSH\r\n\r\n");
  const noService = rawHttpServer(() => ok("<root><device>nothing useful</device></root>"));
  const good = rawHttpServer((req) => {
    if (req.startsWith("GET")) return ok(description("/ctl/IPConn"));
    return ok(
      `<s:Envelope><s:Body><u:GetExternalIPAddressResponse><NewExternalIPAddress>198.18.2.1` +
        `</NewExternalIPAddress></u:GetExternalIPAddressResponse></s:Body></s:Envelope>`,
    );
  });
  const ssdp = await ssdpResponder(() => [
    new Uint8Array([0, 1, 2, 255, 254]),
    "NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\n\r\n",
    "HTTP/1.1 200 OK\r\nST: urn:x\r\n\r\n",
    "HTTP/1.1 200 OK\r\nLOCATION: gopher://x\r\n\r\n",
    `HTTP/1.1 200 OK\r\nST: a\r\nLOCATION: ${silent.url("/d.xml")}\r\n\r\n`,
    `HTTP/1.1 200 OK\r\nST: a\r\nLOCATION: ${notHttp.url("/d.xml")}\r\n\r\n`,
    `HTTP/1.1 200 OK\r\nST: a\r\nLOCATION: ${noService.url("/d.xml")}\r\n\r\n`,
    `HTTP/1.1 200 OK\r\nST: a\r\nLOCATION: ${good.url("/d.xml")}\r\n\r\n`,
    `HTTP/1.1 200 OK\r\nST: b\r\nLOCATION: ${good.url("/d.xml")}\r\n\r\n`,
  ]);
  try {
    await withLog(async (lines) => {
      const igd = await IgdClient.discover({ target: ssdp.target, httpTimeoutMs: 300 });
      assert.equal(igd.controlUrl, good.url("/ctl/IPConn"));
      assert.equal(igd.lanAddress, "127.0.0.1");
      assert.equal(await igd.getExternalIPAddress(), "198.18.2.1");
      const drops = lines.filter((l) => /dropped SSDP datagram from 127\.0\.0\.1/.test(l));
      assert.equal(drops.length, 4, lines.join("\n"));
      assert.ok(drops.some((l) => /not an SSDP answer/.test(l)));
      assert.ok(drops.some((l) => /without LOCATION/.test(l)));
      assert.ok(drops.some((l) => /not http/.test(l)));
      const candidates = lines.filter((l) => /dropped IGD candidate/.test(l));
      assert.equal(candidates.length, 3, lines.join("\n"));
      assert.ok(candidates.some((l) => /no complete answer .* within 300 ms/.test(l)));
      assert.ok(candidates.some((l) => /malformed HTTP status line/.test(l)));
      assert.ok(candidates.some((l) => /no WANIPConnection\/WANPPPConnection service/.test(l)));
    });
  } finally {
    ssdp.close();
    for (const s of [silent, notHttp, noService, good]) await s.close();
  }
});

Deno.test("bad IGDs: garbage SOAP answers give clear errors; the mapper backs off 60 s", async () => {
  let externalBody = "\x00\x01<<garbage>>";
  const soap = rawHttpServer((req) => {
    if (req.startsWith("GET")) return ok(description("/ctl"));
    if (/#GetExternalIPAddress/.test(req)) return ok(externalBody);
    return "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 5\r\n\r\nnope!";
  });
  const ssdp = await ssdpResponder(
    () => [`HTTP/1.1 200 OK\r\nLOCATION: ${soap.url("/d")}\r\n\r\n`],
  );
  try {
    await withLog(async (lines) => {
      const igd = await IgdClient.discover({ target: ssdp.target, httpTimeoutMs: 500 });
      await assert.rejects(igd.getExternalIPAddress(), /lacks the action response/);
      externalBody = `<u:GetExternalIPAddressResponse><NewExternalIPAddress>0.0.0.0` +
        `</NewExternalIPAddress></u:GetExternalIPAddressResponse>`;
      await assert.rejects(igd.getExternalIPAddress(), /unusable external address "0.0.0.0"/);
      externalBody = `<u:GetExternalIPAddressResponse><NewExternalIPAddress>198.18.2.1` +
        `</NewExternalIPAddress></u:GetExternalIPAddressResponse>`;
      await assert.rejects(
        igd.addPortMapping({
          externalPort: 33000,
          protocol: "TCP",
          internalPort: 1194,
          internalClient: "127.0.0.1",
          description: "x",
          leaseDuration: 0,
        }),
        (e) => e instanceof SoapError && /HTTP status 500/.test(e.message),
      );
      let now = 1_000_000;
      const mapper = new PortMapper({
        servers: [{ proto: "tcp", port: 1194 }],
        implicit: false,
        discover: () => Promise.resolve(igd),
        now: () => now,
      });
      assert.deepEqual(await mapper.start(), { kind: "waiting" });
      assert.equal(mapper.dueAt, now + 60_000);
      assert.ok(lines.some((l) => /UPnP refresh failed: AddPortMapping: HTTP status 500/.test(l)));
      now += 59_999;
      assert.deepEqual(await mapper.tick(), []);
      assert.equal(mapper.dueAt, 1_060_000, "nothing done before the retry time");
    });
  } finally {
    ssdp.close();
    await soap.close();
  }
});

Deno.test("bad IGDs: silence gives an empty discovery within the bounded wait", async () => {
  const sock = dgram.createSocket("udp4");
  await new Promise<void>((r) => sock.bind(0, "127.0.0.1", () => r()));
  try {
    const t0 = Date.now();
    const answers = await discoverIgds({
      target: { host: "127.0.0.1", port: sock.address().port },
      timeoutMs: 300,
    });
    assert.deepEqual(answers, []);
    assert.ok(Date.now() - t0 < 2000);
    await assert.rejects(
      IgdClient.discover({
        target: { host: "127.0.0.1", port: sock.address().port },
        timeoutMs: 200,
      }),
      NoIgdError,
    );
  } finally {
    sock.close();
  }
});

Deno.test("http: oversize answers and refused connections are clear errors", async () => {
  const big = rawHttpServer(() => ok("x".repeat(5000)));
  try {
    await assert.rejects(httpRequest(big.url("/"), { maxBytes: 1000 }), /larger than 1000 bytes/);
  } finally {
    await big.close();
  }
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  await assert.rejects(httpRequest(`http://127.0.0.1:${port}/`), (e) => e instanceof HttpError);
  await assert.rejects(httpRequest("https://127.0.0.1/"), /unsupported URL/);
});
