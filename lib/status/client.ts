/**
 * Asks a running node over its control socket (HTTP on a unix socket). Every failure — no
 * socket, nobody listening, no permission, no answer in time, an answer that is not a status
 * document — becomes a `NodeQueryError` with a one-line explanation.
 */
import { STATUS_FORMAT, type StatusDocument } from "../node/control/document.ts";

/** Why the node could not be asked. */
export class NodeQueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NodeQueryError";
  }
}

/** How long to wait for the node's answer. */
export const QUERY_TIMEOUT_MS = 5000;

function reason(e: unknown): string {
  if (e instanceof Deno.errors.NotFound) return "no control socket there (is re6st node running?)";
  if (e instanceof Deno.errors.PermissionDenied) return "permission denied (try as root)";
  if (e instanceof Deno.errors.ConnectionRefused) return "nobody listens (the node is not running)";
  const err = e as Error;
  if (err?.name === "TimeoutError") return `no answer within ${QUERY_TIMEOUT_MS / 1000} s`;
  const cause = (err?.cause as Error | undefined)?.message;
  return cause ? `${err.message}: ${cause}` : String(err?.message ?? e);
}

/** GETs `path` from the node listening on `socket`; returns the body of a 200 answer. */
export async function queryNode(
  socket: string,
  path: "/status" | "/metrics",
  timeoutMs = QUERY_TIMEOUT_MS,
): Promise<string> {
  const fail = (why: string) => new NodeQueryError(`no node answers on ${socket}: ${why}`);
  try {
    const info = await Deno.stat(socket);
    if (!info.isSocket) throw fail("not a socket");
    // connecting first gives clearer errors than fetch (refused, permission)
    (await Deno.connect({ transport: "unix", path: socket })).close();
  } catch (e) {
    if (e instanceof NodeQueryError) throw e;
    throw fail(reason(e));
  }
  const client = Deno.createHttpClient({ proxy: { transport: "unix", path: socket } });
  try {
    const r = await fetch(`http://re6st${path}`, {
      client,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = await r.text();
    if (r.status !== 200) {
      let why = body.trim();
      try {
        why = JSON.parse(body).error ?? why;
      } catch { /* not JSON: show as is */ }
      throw new NodeQueryError(`the node answered ${r.status}: ${why.slice(0, 200)}`);
    }
    return body;
  } catch (e) {
    if (e instanceof NodeQueryError) throw e;
    throw fail(reason(e));
  } finally {
    client.close();
  }
}

/** Parses a status document; throws NodeQueryError if it is not one this version understands. */
export function parseStatusDocument(text: string): StatusDocument {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new NodeQueryError("the node's answer is not JSON");
  }
  const d = doc as Partial<StatusDocument> | null;
  if (typeof d !== "object" || d === null || Array.isArray(d)) {
    throw new NodeQueryError("the node's answer is not a status document");
  }
  if (d.format !== STATUS_FORMAT) {
    throw new NodeQueryError(
      `status document format ${JSON.stringify(d.format)} (this re6st reads ${STATUS_FORMAT})`,
    );
  }
  for (const key of ["node", "parameters", "peers", "babel", "software", "registry"] as const) {
    if (typeof d[key] !== "object" || d[key] === null) {
      throw new NodeQueryError(`status document without '${key}'`);
    }
  }
  const lists: Array<[string, unknown]> = [
    ["tunnels", d.tunnels],
    ["peers.sessions", d.peers!.sessions],
    ["babel.neighbours", d.babel!.neighbours],
    ["babel.routes", d.babel!.routes],
    ["servers", d.servers],
  ];
  for (const [name, list] of lists) {
    if (!Array.isArray(list) || list.some((x) => typeof x !== "object" || x === null)) {
      throw new NodeQueryError(`status document without a '${name}' list`);
    }
  }
  return d as StatusDocument;
}
