/**
 * A small HTTP/1.1 client for talking to an IGD on the LAN: one request per connection
 * (`Connection: close`), bounded in time and size, no proxy. It reports the local address of
 * the TCP connection — the LAN address the IGD sees us with, which becomes the port mappings'
 * internal client. The response parser is pure and rejects malformed answers with a clear error.
 */

/** A parsed HTTP response. */
export interface HttpResponse {
  status: number;
  /** header names lower-cased; repeated headers joined with ", " */
  headers: Record<string, string>;
  body: string;
}

/** What `httpRequest` returns: the response plus our end of the connection. */
export interface HttpExchange extends HttpResponse {
  localAddress: string;
}

/** Options of `httpRequest`. */
export interface HttpRequestOptions {
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  body?: string;
  /** whole exchange deadline (default 5000 ms) */
  timeoutMs?: number;
  /** largest accepted response (default 1 MiB) */
  maxBytes?: number;
}

/** A failed or malformed HTTP exchange. */
export class HttpError extends Error {
  override name = "HttpError";
}

/** Sends one request to a plain `http:` URL and returns the parsed response. */
export async function httpRequest(
  url: string,
  opts: HttpRequestOptions = {},
): Promise<HttpExchange> {
  const u = new URL(url);
  if (u.protocol !== "http:") throw new HttpError(`unsupported URL ${url}`);
  const hostname = u.hostname.replace(/^\[|\]$/g, "");
  const port = u.port ? Number(u.port) : 80;
  const body = new TextEncoder().encode(opts.body ?? "");
  const headers: Record<string, string> = {
    Host: u.host,
    Connection: "close",
    "User-Agent": "re6st UPnP/1.1",
    ...(opts.method === "POST" ? { "Content-Length": String(body.length) } : {}),
    ...opts.headers,
  };
  const head = `${opts.method ?? "GET"} ${u.pathname}${u.search} HTTP/1.1\r\n` +
    Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("") + "\r\n";
  const timeoutMs = opts.timeoutMs ?? 5000;
  const maxBytes = opts.maxBytes ?? 1 << 20;

  let conn: Deno.TcpConn | undefined;
  let timedOut = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      timedOut = true;
      conn?.close();
      conn = undefined;
      reject(new HttpError(`no complete answer from ${u.host} within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  const exchange = async (): Promise<HttpExchange> => {
    const c = await Deno.connect({ hostname, port, transport: "tcp" });
    if (timedOut) { // connected after the deadline: nobody waits for this exchange any more
      c.close();
      throw new HttpError("connected too late");
    }
    conn = c;
    const localAddress = c.localAddr.hostname;
    await writeAll(c, new Uint8Array([...new TextEncoder().encode(head), ...body]));
    const raw = await readAll(c, maxBytes);
    return { ...parseHttpResponse(raw), localAddress };
  };
  try {
    return await Promise.race([exchange(), expired]);
  } catch (e) {
    if (e instanceof HttpError) throw e;
    throw new HttpError(`HTTP ${u.host}: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    clearTimeout(timer);
    try {
      conn?.close();
    } catch {
      // already closed by the deadline
    }
  }
}

async function writeAll(c: Deno.Conn, data: Uint8Array): Promise<void> {
  for (let off = 0; off < data.length;) off += await c.write(data.subarray(off));
}

async function readAll(c: Deno.Conn, maxBytes: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const buf = new Uint8Array(16384);
  for (;;) {
    const n = await c.read(buf);
    if (n === null) break;
    total += n;
    if (total > maxBytes) throw new HttpError(`answer larger than ${maxBytes} bytes`);
    chunks.push(buf.slice(0, n));
  }
  const out = new Uint8Array(total);
  let off = 0;
  for (const ch of chunks) {
    out.set(ch, off);
    off += ch.length;
  }
  return out;
}

/**
 * Parses a complete HTTP/1.x response (the bytes up to connection close): status line,
 * headers, and a body framed by `Transfer-Encoding: chunked`, `Content-Length` or EOF.
 */
export function parseHttpResponse(raw: Uint8Array): HttpResponse {
  const sep = indexOf(raw, [13, 10, 13, 10]);
  if (sep < 0) throw new HttpError("malformed HTTP answer: no end of headers");
  const head = new TextDecoder("latin1").decode(raw.subarray(0, sep));
  const [statusLine, ...lines] = head.split("\r\n");
  const m = /^HTTP\/1\.[01] (\d{3})(?: .*)?$/.exec(statusLine);
  if (!m) {
    throw new HttpError(`malformed HTTP status line ${JSON.stringify(statusLine.slice(0, 80))}`);
  }
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon <= 0) {
      throw new HttpError(`malformed HTTP header ${JSON.stringify(line.slice(0, 80))}`);
    }
    const k = line.slice(0, colon).trim().toLowerCase(), v = line.slice(colon + 1).trim();
    headers[k] = headers[k] === undefined ? v : `${headers[k]}, ${v}`;
  }
  let body = raw.subarray(sep + 4);
  if (/\bchunked\b/i.test(headers["transfer-encoding"] ?? "")) body = dechunk(body);
  else if (headers["content-length"] !== undefined) {
    const len = headers["content-length"];
    if (!/^\d+$/.test(len)) throw new HttpError(`malformed Content-Length ${JSON.stringify(len)}`);
    if (body.length < Number(len)) {
      throw new HttpError(`truncated HTTP body: ${body.length} of ${len} bytes`);
    }
    body = body.subarray(0, Number(len));
  }
  return { status: Number(m[1]), headers, body: new TextDecoder().decode(body) };
}

function dechunk(data: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  let off = 0;
  for (;;) {
    const eol = indexOf(data, [13, 10], off);
    if (eol < 0) throw new HttpError("malformed chunked body: no chunk size line");
    const sizeText = new TextDecoder("latin1").decode(data.subarray(off, eol)).split(";")[0].trim();
    if (!/^[0-9a-fA-F]{1,8}$/.test(sizeText)) {
      throw new HttpError(`malformed chunk size ${JSON.stringify(sizeText.slice(0, 20))}`);
    }
    const size = parseInt(sizeText, 16);
    if (size === 0) break;
    const start = eol + 2;
    if (start + size > data.length) throw new HttpError("truncated chunked body");
    parts.push(data.subarray(start, start + size));
    off = start + size + 2;
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function indexOf(hay: Uint8Array, needle: number[], from = 0): number {
  outer: for (let i = from; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}
