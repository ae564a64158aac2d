/**
 * Requests of the control socket: plain HTTP/1.1 (so `curl --unix-socket` works), two read-only
 * resources. `GET /status` → the status document (JSON), `GET /metrics` → Prometheus text.
 * Anything else gets a JSON `{"error": …}` with 404/405, a node still starting gets 503, and a
 * failure while building an answer gets 500: a request can never stop the server.
 */
import { logger } from "../../log.ts";
import { METRICS_CONTENT_TYPE } from "../../metrics/registry.ts";
import type { StatusDocument } from "./document.ts";

const log = logger("control");

/** Resources served on the control socket. */
export const CONTROL_PATHS = ["/status", "/metrics"] as const;

/** What the handler reads; `status` gives undefined while the node is starting. */
export interface ControlSource {
  status(): Promise<StatusDocument | undefined>;
  metrics(): Promise<string>;
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body) + "\n", {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });
}

/** The request handler of the control socket. */
export function controlHandler(source: ControlSource): (req: Request) => Promise<Response> {
  return async (req) => {
    let path: string;
    try {
      path = new URL(req.url).pathname;
    } catch {
      return json(400, { error: "malformed request URL" });
    }
    if (!(CONTROL_PATHS as readonly string[]).includes(path)) {
      return json(404, { error: `no resource ${path}; try ${CONTROL_PATHS.join(" or ")}` });
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      return json(405, { error: `${req.method} not allowed; use GET` }, { allow: "GET, HEAD" });
    }
    try {
      if (path === "/metrics") {
        return new Response(await source.metrics(), {
          headers: { "content-type": METRICS_CONTENT_TYPE },
        });
      }
      const doc = await source.status();
      if (!doc) return json(503, { error: "the node is starting (no network parameters yet)" });
      return json(200, doc);
    } catch (e) {
      log.error(`${path}: ${(e as Error).stack ?? e}`);
      return json(500, { error: `cannot build ${path}: ${(e as Error).message}` });
    }
  };
}
