/**
 * The registry admin page at `/admin` (served to authorised origins only, like the private
 * methods). GET shows nodes, tokens and the topology (`?revoke=CN` adds the confirmation of a
 * revocation; GET never changes anything). POST does one action — `add-token` (e-mail, optional
 * token), `delete-token`, `revoke` (CN, after confirmation) — through the service's own
 * methods, and answers with the page and the outcome. A POST needs the CSRF token of a page
 * served here and, when the browser sends an Origin header, the registry's own origin.
 */
import crypto from "node:crypto";
import { parseTopology } from "../topology/graph.ts";
import { topologyToSvg } from "../topology/svg.ts";
import { logger } from "../log.ts";
import { type AdminView, renderAdminPage } from "./admin_html.ts";
import { CsrfTokens } from "./csrf.ts";
import { type Page, parseQuery } from "./http.ts";
import { RpcError } from "./rpc_error.ts";
import type { Registry } from "./service.ts";

const log = logger("registry");

/** Largest accepted form body. */
export const MAX_FORM_BYTES = 8 * 1024;

/** How long a crawled topology is shown before the next crawl (a crawl takes ≥ 3 s). */
export const TOPOLOGY_TTL_MS = 30_000;

/** How the admin page is built. */
export interface AdminOptions {
  /** Client IPs allowed (the authorised origins). */
  origins: readonly string[];
  /** Current time in ms (injectable). */
  now?: () => number;
  /** Key of the CSRF tokens (default: random per process). */
  csrfSecret?: Uint8Array;
}

type Notice = AdminView["notice"];

/** Fields each POST action takes besides `action` and `csrf`: [name, required]. */
const ACTIONS: Record<string, [string, boolean][]> = {
  "add-token": [["email", true], ["token", false]],
  "delete-token": [["token", true]],
  revoke: [["cn", true]],
};

/** Reads a form body of at most MAX_FORM_BYTES. */
async function readForm(req: Request): Promise<Map<string, string>> {
  const type = req.headers.get("content-type") ?? "";
  if (!/^application\/x-www-form-urlencoded\s*(;|$)/i.test(type)) {
    throw new RpcError(400, `form expected, got ${JSON.stringify(type.slice(0, 60))}`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of req.body ?? []) {
    size += chunk.length;
    if (size > MAX_FORM_BYTES) throw new RpcError(400, "form too large");
    chunks.push(chunk);
  }
  const body = new Uint8Array(size);
  chunks.reduce((at, c) => (body.set(c, at), at + c.length), 0);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(body);
  } catch {
    throw new RpcError(400, "form is not UTF-8");
  }
  return parseQuery(text);
}

/** True unless the browser says the request comes from another origin than this registry. */
export function sameOrigin(origin: string | null, host: string | null): boolean {
  if (origin === null) return true;
  try {
    return host !== null && new URL(origin).host === host;
  } catch {
    return false;
  }
}

/** Builds the `/admin` page over `registry`. */
export function adminPage(registry: Registry, o: AdminOptions): Page {
  const now = o.now ?? Date.now;
  const csrf = new CsrfTokens(o.csrfSecret ?? new Uint8Array(crypto.randomBytes(32)), now);
  let topology: { svg?: string; until: number; crawl?: Promise<string | undefined> } = {
    until: 0,
  };

  async function topologySvg(): Promise<string | undefined> {
    if (topology.until > now()) return topology.svg;
    topology.crawl ??= (async () => {
      try {
        const graph = parseTopology(await registry.topology());
        return graph.responders.size ? topologyToSvg(graph) : undefined;
      } catch (e) {
        log.warn(`topology for the admin page: ${(e as Error).message}`);
        return undefined;
      }
    })();
    const svg = await topology.crawl;
    topology = { svg, until: now() + TOPOLOGY_TTL_MS };
    return svg;
  }

  async function render(
    status: number,
    notice?: Notice,
    confirmCn?: string,
  ): Promise<Response> {
    const nodes = registry.listNodes();
    const view: AdminView = {
      nodes,
      tokens: registry.listTokens(),
      topologySvg: await topologySvg(),
      csrf: csrf.issue(),
      nonce: crypto.randomBytes(16).toString("base64"),
      notice,
      now: Math.floor(now() / 1000),
    };
    if (confirmCn !== undefined) {
      view.confirmRevoke = nodes.find((n) => n.cn === confirmCn && !n.registryNode);
      if (!view.confirmRevoke) {
        view.notice = { ok: false, text: `No node ${confirmCn} to revoke.` };
        status = 404;
      }
    }
    return new Response(renderAdminPage(view), {
      status,
      headers: {
        "content-type": "text/html; charset=utf-8",
        "cache-control": "no-store",
        "x-frame-options": "DENY",
        "referrer-policy": "same-origin",
        "content-security-policy": `default-src 'none'; style-src 'unsafe-inline'; ` +
          `script-src 'nonce-${view.nonce}'; form-action 'self'; frame-ancestors 'none'; ` +
          `base-uri 'none'`,
      },
    });
  }

  async function act(form: Map<string, string>): Promise<Notice> {
    const action = form.get("action") ?? "";
    const fields = Object.hasOwn(ACTIONS, action) ? ACTIONS[action] : undefined;
    if (!fields) throw new RpcError(400, `unknown action ${JSON.stringify(action.slice(0, 40))}`);
    const known = new Set(["action", "csrf", ...fields.map(([n]) => n)]);
    for (const name of form.keys()) {
      if (!known.has(name)) throw new RpcError(400, `unexpected field ${JSON.stringify(name)}`);
    }
    const arg: Record<string, string> = {};
    for (const [name, required] of fields) {
      const v = (form.get(name) ?? "").trim();
      if (required && v === "") throw new RpcError(400, `missing ${name}`);
      arg[name] = v;
    }
    switch (action) {
      case "add-token": {
        const made = registry.addToken(arg.email, arg.token);
        return { ok: true, text: `Token ${made ?? arg.token} created for ${arg.email}.` };
      }
      case "delete-token":
        registry.deleteToken(arg.token);
        return { ok: true, text: `Token ${arg.token} deleted.` };
      default: {
        const node = registry.listNodes().find((n) => n.cn === arg.cn);
        if (node?.registryNode) throw new RpcError(403, "the registry's own node is not revoked");
        await registry.revoke(arg.cn);
        return { ok: true, text: `Node ${arg.cn} revoked (X.509 serial ${node?.serial}).` };
      }
    }
  }

  return {
    origins: o.origins,
    methods: ["GET", "POST"],
    async handle(req) {
      const url = new URL(req.url);
      if (req.method === "GET") {
        const query = parseQuery(url.search.slice(1));
        for (const name of query.keys()) {
          if (name !== "revoke") throw new RpcError(400, `unexpected parameter ${name}`);
        }
        return await render(200, undefined, query.get("revoke"));
      }
      if (!sameOrigin(req.headers.get("origin"), req.headers.get("host"))) {
        throw new RpcError(403, `cross-origin POST from ${req.headers.get("origin")}`);
      }
      const form = await readForm(req);
      if (!csrf.verify(form.get("csrf"))) throw new RpcError(403, "missing or stale CSRF token");
      try {
        const notice = await act(form);
        log.info(`admin: ${notice!.text}`);
        return await render(200, notice);
      } catch (e) {
        if (!(e instanceof RpcError)) throw e;
        return await render(e.status, { ok: false, text: e.message });
      }
    },
  };
}
